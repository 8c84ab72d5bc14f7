import { describe, expect, it } from 'vitest';
import raw from '../../src/plan/versions.json' with { type: 'json' };
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import {
  componentDigest,
  supportedVersions,
  versionEntry,
  versionTable,
  type VersionTable,
} from '../../src/plan/versions.js';

describe('version table', () => {
  it('the shipped table fits its schema, and is what versionTable() gives', () => {
    expect(parseVersionTable(structuredClone(raw))).toEqual(versionTable());
    expect(Object.isFrozen(versionTable().kubernetes)).toBe(true);
  });

  it('lists the supported releases, oldest first', () => {
    expect(supportedVersions()).toEqual(['v1.29.12', 'v1.30.13', 'v1.31.13', 'v1.32.11', 'v1.33.11']);
  });

  it('maps Kubernetes minors to kubeadm API versions (1.22-1.30 v1beta3, 1.31+ v1beta4)', () => {
    expect(supportedVersions().map((v) => [v, versionEntry(v)?.kubeadmApiVersion])).toEqual([
      ['v1.29.12', 'v1beta3'],
      ['v1.30.13', 'v1beta3'],
      ['v1.31.13', 'v1beta4'],
      ['v1.32.11', 'v1beta4'],
      ['v1.33.11', 'v1beta4'],
    ]);
  });

  it('finds an entry with or without the leading v, and only for the exact patch', () => {
    expect(versionEntry('1.32.11')?.version).toBe('v1.32.11');
    expect(versionEntry('v1.32.11')?.minor).toBe('1.32');
    expect(versionEntry('v1.32.10')).toBeUndefined();
    expect(versionEntry('v1.28.15')).toBeUndefined();
    expect(versionEntry('latest')).toBeUndefined();
  });

  it('carries the kubeadm images of a release', () => {
    const e = versionEntry('v1.32.11');
    expect(e?.images).toEqual({
      'kube-apiserver': { path: 'kube-apiserver', tag: 'v1.32.11' },
      'kube-controller-manager': { path: 'kube-controller-manager', tag: 'v1.32.11' },
      'kube-scheduler': { path: 'kube-scheduler', tag: 'v1.32.11' },
      'kube-proxy': { path: 'kube-proxy', tag: 'v1.32.11' },
      coredns: { path: 'coredns/coredns', tag: 'v1.11.3' },
      etcd: { path: 'etcd', tag: '3.5.24-0' },
      pause: { path: 'pause', tag: '3.10' },
    });
  });

  it('holds the digests copied from kubespray', () => {
    expect(componentDigest('kubeadm', 'v1.31.13', 'amd64')).toBe('e0c91c606e1402e943666f6fda8452140851a1b2bb4f69918dd7176e8d86845c');
    expect(componentDigest('kubeadm', 'v1.31.13', 'arm64')).toBe('30762e5a20eb8a4d52b278fe7d999fd76ab20b63b40cb1e60625bc73c6e11e96');
    expect(componentDigest('containerd', '9.9.9', 'amd64')).toBeUndefined();
  });

  it('records a source for every digest and every minor', () => {
    const t = versionTable();
    for (const rows of Object.values(t.digests)) for (const row of Object.values(rows)) expect(row.source).toMatch(/^kubernetes-sigs\/kubespray@[0-9a-f]{40} /);
    for (const e of Object.values(t.kubernetes)) expect(Object.keys(e.sources).sort()).toEqual(['cniPlugins', 'containerd', 'crictl', 'images', 'kubeadmApiVersion', 'runc', 'version']);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(versionTable().kubernetes['1.31'])).toBe(true);
  });

  it('rejects a table whose minor names a release without digests', () => {
    const t = structuredClone(versionTable()) as VersionTable;
    const d = t.digests as Record<string, Record<string, unknown>>;
    delete d.kubelet?.['v1.30.13'];
    expect(() => parseVersionTable(t)).toThrow('invalid version table:\n  kubernetes.1.30: no digests for kubelet v1.30.13');
  });

  it('rejects a malformed digest with its path', () => {
    const t = structuredClone(versionTable()) as unknown as { digests: { runc: Record<string, { amd64: string }> } };
    const row = t.digests.runc['1.3.4'];
    if (row) row.amd64 = 'ABC';
    expect(() => parseVersionTable(t)).toThrow('invalid version table:\n  digests.runc.1.3.4.amd64: a lowercase hex sha256 digest');
  });
});
