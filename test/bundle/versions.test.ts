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
    expect(supportedVersions()).toEqual(['v1.29.12', 'v1.30.13', 'v1.31.12', 'v1.32.8', 'v1.33.5']);
  });

  it('maps Kubernetes minors to kubeadm API versions (1.22-1.30 v1beta3, 1.31+ v1beta4)', () => {
    expect(supportedVersions().map((v) => [v, versionEntry(v)?.kubeadmApiVersion])).toEqual([
      ['v1.29.12', 'v1beta3'],
      ['v1.30.13', 'v1beta3'],
      ['v1.31.12', 'v1beta4'],
      ['v1.32.8', 'v1beta4'],
      ['v1.33.5', 'v1beta4'],
    ]);
  });

  it('finds an entry with or without the leading v, and only for the exact patch', () => {
    expect(versionEntry('1.32.8')?.version).toBe('v1.32.8');
    expect(versionEntry('v1.32.8')?.minor).toBe('1.32');
    expect(versionEntry('v1.32.7')).toBeUndefined();
    expect(versionEntry('v1.28.15')).toBeUndefined();
    expect(versionEntry('latest')).toBeUndefined();
  });

  it('carries the kubeadm images of a release, each pinned by its index digest with its source', () => {
    const e = versionEntry('v1.32.8');
    expect(Object.fromEntries(Object.entries(e?.images ?? {}).map(([n, i]) => [n, `${i.path}:${i.tag}@${i.digest}`]))).toEqual({
      'kube-apiserver': 'kube-apiserver:v1.32.8@sha256:6e1a2f9b24f69ee77d0c0edaf32b31fdbb5e1a613f4476272197e6e1e239050b',
      'kube-controller-manager': 'kube-controller-manager:v1.32.8@sha256:8788ccd28ceed9e2e5f8fc31375ef5771df8ea6e518b362c9a06f3cc709cd6c7',
      'kube-scheduler': 'kube-scheduler:v1.32.8@sha256:43c58bcbd1c7812dd19f8bfa5ae11093ebefd28699453ce86fc710869e155cd4',
      'kube-proxy': 'kube-proxy:v1.32.8@sha256:adc1335b480ddd833aac3b0bd20f68ff0f3c3cf7a0bd337933b006d9f5cec40a',
      coredns: 'coredns/coredns:v1.11.3@sha256:9caabbf6238b189a65d0d6e6ac138de60d6a1c419e5a341fbbb7c78382559c6e',
      etcd: 'etcd:3.5.16-0@sha256:c6a9d11cc5c04b114ccdef39a9265eeef818e3d02f5359be035ae784097fdec5',
      pause: 'pause:3.10@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a',
    });
  });

  it('holds the digests copied from kubespray', () => {
    expect(componentDigest('kubeadm', 'v1.31.12', 'amd64')).toBe('3228da53372fb8ffab303e7d8b1b0f78c016e461216b6535609e4f2377424349');
    expect(componentDigest('kubeadm', 'v1.31.12', 'arm64')).toBe('88fc31963e833d72d1e26159166591aea537d762debb5cc0f0d059fdc717b43b');
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
