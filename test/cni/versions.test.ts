/**
 * The version table's pod network rows: which release a Kubernetes minor gets, that every fact
 * names its source, that a digest is either a source's or honestly absent, and that the schema
 * refuses a table some minor would get no default from.
 */
import { describe, expect, it } from 'vitest';
import { cniVersion } from '../../src/plan/cni.js';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import { cniRelease, cniVersionsFor, versionTable, type VersionTable } from '../../src/plan/versions.js';

describe('CNI rows of the version table', () => {
  it('defaults each Kubernetes minor to the newest release its project tests with it', () => {
    const t = versionTable();
    expect(Object.keys(t.kubernetes).map((m) => [m, cniVersion('calico', m, undefined), cniVersion('flannel', m, undefined)])).toEqual([
      ['1.29', 'v3.29.7', 'v0.28.5'],
      ['1.30', 'v3.29.7', 'v0.28.5'],
      ['1.31', 'v3.30.7', 'v0.28.5'],
      ['1.32', 'v3.30.7', 'v0.28.5'],
      ['1.33', 'v3.30.7', 'v0.28.5'],
    ]);
    // An older release stays selectable where it is tested.
    expect(cniVersionsFor('calico', '1.32')).toEqual(['v3.29.7', 'v3.30.7']);
    expect(cniVersion('calico', '1.33', 'v3.29.7')).toBeUndefined();
  });

  it('pins each manifest by the sha256 of its bytes at the release tag, with the source named', () => {
    const t = versionTable();
    expect(Object.fromEntries(Object.entries(t.cni).flatMap(([p, rows]) => Object.entries(rows).map(([v, r]) => [`${p} ${v}`, [r.manifest.url, r.manifest.sha256]])))).toEqual({
      'calico v3.29.7': ['https://raw.githubusercontent.com/projectcalico/calico/v3.29.7/manifests/calico.yaml', 'b200cb3c2c7341717abe98e4acc80a13117bcd2c9c46ad46e8c209c5753f0b2f'],
      'calico v3.30.7': ['https://raw.githubusercontent.com/projectcalico/calico/v3.30.7/manifests/calico.yaml', 'ed105288f27c7ba4cae143bcaa3f6425f02d84fa94a4786cc8e3d371412c1a36'],
      'flannel v0.28.5': ['https://raw.githubusercontent.com/flannel-io/flannel/v0.28.5/Documentation/kube-flannel.yml', '8731070bca4303bbe7f7a0c7fbcab8d5fc6fb16a3f61629cbecea7bf6caab7ca'],
    });
    for (const rows of Object.values(t.cni)) {
      for (const [v, r] of Object.entries(rows)) {
        expect(r.manifest.source).toMatch(new RegExp(`^[a-z-]+/[a-z-]+@[0-9a-f]{40} \\(tag ${v.replaceAll('.', '\\.')}\\) `));
        expect(r.kubernetesSource).toMatch(/@[0-9a-f]{40} /);
        expect(r.encapsulation.source).toMatch(/@[0-9a-f]{40} /);
        expect(r.firewall.source).toMatch(/@[0-9a-f]{40} /);
      }
    }
  });

  it('gives an image a digest only with a named source; Calico has none and says it is pinned at bundle time', () => {
    const t = versionTable();
    const flannel = cniRelease('flannel', 'v0.28.5')!.images;
    expect(flannel.map((i) => `${i.registry}/${i.path}:${i.tag}@${i.digest}`)).toEqual([
      'ghcr.io/flannel-io/flannel:v0.28.5@sha256:5414132a5547ca336112dc00113530363aeeb7e8b59c1f6b8e5703c0ccb534e7',
      'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel1@sha256:7c3377e977b4b77b8efdad96e207ebee371537d6dcd7b9c40853cf0c0f0aade3',
    ]);
    for (const i of flannel) expect(i.source).toMatch(/^randomcoww\/homelab@18368ae44430faf179a0ed7e69a090e9927b4ae2 config_env\.tf line 12[34] /);
    for (const v of Object.keys(t.cni.calico)) {
      for (const i of cniRelease('calico', v)!.images) {
        expect(i.digest).toBeNull();
        expect(i.source).toContain('kubeseed bundle records the digest it pulls (trust on first use)');
      }
    }
  });

  it('rejects a table that leaves a Kubernetes minor without a release of a plugin', () => {
    const t = structuredClone(versionTable()) as { -readonly [K in keyof VersionTable]: VersionTable[K] };
    const { 'v3.29.7': _old, ...rest } = t.cni.calico;
    t.cni = { ...t.cni, calico: rest };
    expect(() => parseVersionTable(t)).toThrow('invalid version table:\n  cni.calico: no release lists Kubernetes 1.29\n  cni.calico: no release lists Kubernetes 1.30');
  });

  it('rejects an image digest that is not sha256:<hex>', () => {
    const t = structuredClone(versionTable()) as unknown as { cni: { flannel: Record<string, { images: { digest: string }[] }> } };
    t.cni.flannel['v0.28.5']!.images[0]!.digest = '5414132a5547ca336112dc00113530363aeeb7e8b59c1f6b8e5703c0ccb534e7';
    expect(() => parseVersionTable(t)).toThrow('invalid version table:\n  cni.flannel.v0.28.5.images.0.digest: sha256:<64 lowercase hex>: the image index digest');
  });
});
