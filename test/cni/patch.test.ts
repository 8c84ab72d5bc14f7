/**
 * The CNI manifest patcher on the fixture manifests: the values land where each plugin reads
 * them (read back with the yaml library, as YAML 1.1 like kubectl), documents it has no business
 * with keep their bytes, and every missing anchor fails with the plugin, the manifest and what
 * was expected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CniManifestError, patchManifest, type ManifestPatch } from '../../src/render/cni/patch.js';
import { FIXTURE_DIR, testDigest } from './fixture-table.js';

const fixture = (name: string): string => readFileSync(join(FIXTURE_DIR, name), 'utf8');

/** A parsed Kubernetes object, navigated freely by the assertions. */
type Obj = Record<string, any>;

function docs(text: string): Obj[] {
  return parseAllDocuments(text, { version: '1.1' }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

const find = (all: Obj[], kind: string, name: string): Obj => {
  const found = all.filter((d) => d.kind === kind && d.metadata?.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};

/** Every container image in every document, in order. */
function images(all: Obj[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'containers' || k === 'initContainers') && Array.isArray(x)) out.push(...x.map((c: Obj) => c.image as string));
        walk(x);
      }
    }
  };
  all.forEach(walk);
  return out;
}

const CALICO: ManifestPatch = {
  plugin: 'calico', version: 'v3.30.7', fileName: 'calico.yaml', url: 'https://fixtures.kubeseed.invalid/calico.yaml',
  podSubnet: '10.200.0.0/16', mtu: 1430, overhead: 20,
  images: ['cni', 'node', 'kube-controllers'].map((n) => {
    const upstream = `docker.io/calico/${n}:v3.30.7`;
    return { upstream, pinned: `registry.site.example/k8s/calico/${n}:v3.30.7@${testDigest(upstream)}` };
  }),
};

const FLANNEL: ManifestPatch = {
  plugin: 'flannel', version: 'v0.28.5', fileName: 'kube-flannel.yml', url: 'https://fixtures.kubeseed.invalid/kube-flannel.yml',
  podSubnet: '10.200.0.0/16', mtu: 1400, overhead: 50,
  images: ['ghcr.io/flannel-io/flannel:v0.28.5', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel1'].map((upstream) => ({ upstream, pinned: `${upstream}@${testDigest(upstream)}` })),
};

describe('patching calico', () => {
  const text = fixture('calico.yaml');
  const out = patchManifest(text, CALICO);
  const all = docs(out);

  it('adds CALICO_IPV4POOL_CIDR to the calico-node container, after its other env entries', () => {
    const node = find(all, 'DaemonSet', 'calico-node').spec.template.spec.containers.find((c: Obj) => c.name === 'calico-node');
    expect(node.env.at(-1)).toEqual({ name: 'CALICO_IPV4POOL_CIDR', value: '10.200.0.0/16' });
    expect(node.env.filter((e: Obj) => e.name === 'CALICO_IPV4POOL_CIDR')).toHaveLength(1);
  });

  it('sets veth_mtu as a string, which a ConfigMap needs', () => {
    expect(find(all, 'ConfigMap', 'calico-config').data.veth_mtu).toBe('1430');
    expect(out).toContain('veth_mtu: "1430"');
  });

  it('rewrites every container image to the pinned reference', () => {
    const pinned = (n: string) => CALICO.images.find((i) => i.upstream.includes(`/${n}:`))!.pinned;
    expect(images(all)).toEqual([pinned('cni'), pinned('cni'), pinned('node'), pinned('node'), pinned('kube-controllers')]);
  });

  it('replaces an existing CALICO_IPV4POOL_CIDR rather than adding a second', () => {
    const again = docs(patchManifest(out, { ...CALICO, podSubnet: '10.201.0.0/16', images: CALICO.images.map((i) => ({ upstream: i.pinned, pinned: i.pinned })) }));
    const env = find(again, 'DaemonSet', 'calico-node').spec.template.spec.containers[0].env;
    expect(env.filter((e: Obj) => e.name === 'CALICO_IPV4POOL_CIDR')).toEqual([{ name: 'CALICO_IPV4POOL_CIDR', value: '10.201.0.0/16' }]);
  });

  it('changes nothing else: the other documents keep their bytes, the patched ones their other values and comments', () => {
    const before = docs(text);
    expect(all).toHaveLength(before.length);
    const split = (t: string) => t.split(/^(?=---(?:[ \t]|\r?\n|$))/m);
    const [a, b] = [split(text), split(out)];
    // ServiceAccount and CRD untouched, byte for byte (the CRD's prose names containers and images).
    expect(b).toHaveLength(5);
    expect(b[0]).toBe(a[0]);
    expect(b[2]).toBe(a[2]);
    expect(a[2]).toContain('kind: CustomResourceDefinition');
    const strip = (d: Obj[]) => JSON.parse(JSON.stringify(d).replaceAll(/"image":"[^"]*"/g, '"image":"X"')) as Obj[];
    const was = strip(before);
    const now = strip(all);
    now.find((d) => d.kind === 'ConfigMap')!.data.veth_mtu = '0';
    now.find((d) => d.kind === 'DaemonSet')!.spec.template.spec.containers[0].env.pop();
    expect(now).toEqual(was);
    expect(out).toContain('# "0" lets Calico detect the MTU.');
    expect(out).toContain('#   value: "192.168.0.0/16"');
  });
});

describe('patching flannel', () => {
  const out = patchManifest(fixture('kube-flannel.yml'), FLANNEL);
  const all = docs(out);

  it('sets Network and the outer MTU (pods get it less the 50-byte VXLAN header) in net-conf.json', () => {
    const conf = JSON.parse(find(all, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);
    expect(conf).toEqual({ Network: '10.200.0.0/16', Backend: { Type: 'vxlan', MTU: 1450 } });
    expect(out).toContain('  net-conf.json: |\n    {\n      "Network": "10.200.0.0/16",\n');
  });

  it('rewrites both images, init containers included', () => {
    const [flannel, plugin] = FLANNEL.images.map((i) => i.pinned);
    expect(images(all)).toEqual([plugin, flannel, flannel]);
  });
});

describe('a manifest without an anchor fails, naming the plugin, the manifest and what was expected', () => {
  const calico = fixture('calico.yaml');
  const flannel = fixture('kube-flannel.yml');
  const cases: [string, string, ManifestPatch, string][] = [
    ['no env list on calico-node', fixture('calico-no-cidr-anchor.yaml'), CALICO,
      'an env list on container calico-node of DaemonSet kube-system/calico-node (where CALICO_IPV4POOL_CIDR goes)'],
    ['no calico-node DaemonSet', calico.replace('name: calico-node\n  namespace: kube-system\n  labels', 'name: calico-nodes\n  namespace: kube-system\n  labels'), CALICO,
      'one DaemonSet kube-system/calico-node (found 0)'],
    ['no calico-node container', calico.replace('        - name: calico-node\n', '        - name: calico\n'), CALICO, 'container calico-node in DaemonSet kube-system/calico-node'],
    ['no veth_mtu', calico.replace('  veth_mtu: "0"\n', ''), CALICO, 'a string data.veth_mtu in ConfigMap kube-system/calico-config'],
    ['an image the table does not list', calico.replace('image: docker.io/calico/kube-controllers:v3.30.7', 'image: docker.io/calico/kube-controllers:v3.30.6'), CALICO,
      'only the images the version table lists (docker.io/calico/cni:v3.30.7, docker.io/calico/node:v3.30.7, docker.io/calico/kube-controllers:v3.30.7); it names docker.io/calico/kube-controllers:v3.30.6'],
    ['a listed image never named', calico.replaceAll('image: docker.io/calico/cni:v3.30.7', 'image: docker.io/calico/node:v3.30.7'), CALICO, 'image docker.io/calico/cni:v3.30.7 on some container'],
    ['net-conf.json not JSON', flannel.replace('"Network": "10.244.0.0/16",', '"Network": 10.244.0.0/16,'), FLANNEL, 'JSON in data.net-conf.json of ConfigMap kube-flannel/kube-flannel-cfg'],
    ['no Network', flannel.replace('"Network": "10.244.0.0/16",', '"Subnet": "10.244.0.0/16",'), FLANNEL, 'a string Network in data.net-conf.json of ConfigMap kube-flannel/kube-flannel-cfg'],
    ['no Backend', flannel.replace(/,\n\s*"Backend": \{\n\s*"Type": "vxlan"\n\s*\}/, ''), FLANNEL, 'a Backend object in data.net-conf.json of ConfigMap kube-flannel/kube-flannel-cfg'],
    ['no kube-flannel-cfg', flannel.replace('name: kube-flannel-cfg', 'name: flannel-cfg'), FLANNEL, 'one ConfigMap kube-flannel/kube-flannel-cfg (found 0)'],
  ];
  it.each(cases)('%s', (_name, text, patch, expected) => {
    expect(text).not.toBe(patch.plugin === 'calico' ? calico : flannel);
    expect(() => patchManifest(text, patch)).toThrow(CniManifestError);
    expect(() => patchManifest(text, patch)).toThrow(
      `${patch.plugin} ${patch.version} manifest ${patch.fileName} (${patch.url}): expected ${expected}; `
        + 'the manifest does not have the shape kubeseed patches, so no pod network can be compiled in from it',
    );
  });
});
