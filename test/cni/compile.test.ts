/**
 * The pod network through the CLI, with the fixture manifests and a version table pointing at
 * them (given in-process: the command line cannot swap the table). For each plugin and each
 * example profile: the init node's user-data carries the patched manifest (gz+b64), read back
 * with yaml: pod CIDR, MTU and every image (registry rewritten, digest pinned), each of which
 * `kubeseed bundle --list` lists with the same digest. Then the ways the manifest is found (or
 * not), the compile that fails on a missing anchor, and trust-on-first-use digests.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { VersionTable } from '../../src/plan/versions.js';
import { EXAMPLE_PROFILES } from '../builders/plan.js';
import { snapshot, type CliResult } from '../helpers/cli.js';
import { CALICO_IMAGES, CALICO_VERSION, FIXTURE_DIR, FLANNEL_IMAGES, FLANNEL_VERSION, fixtureTable, testDigest, withPlugin } from './fixture-table.js';

/** A parsed Kubernetes object, navigated freely by the assertions. */
type Obj = Record<string, any>;

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kubeseed-cni-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function cli(table: VersionTable, ...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += `${t}\n`; }, err: (t) => { err += `${t}\n`; }, isTTY: false, status: () => {} }, { table });
  return { code, out, err };
}

function writeProfile(dir: string, text: string): string {
  const p = join(dir, 'profile.yaml');
  writeFileSync(p, text);
  return p;
}

interface WriteFile { path: string; encoding?: string; content: string }

function writeFiles(userData: string): WriteFile[] {
  return (parse(userData, { version: '1.1' }) as { write_files: WriteFile[] }).write_files;
}

/** The patched manifest the init node receives, decoded from its gz+b64 write_files entry. */
function manifestOf(userData: string, path: string): string {
  const f = writeFiles(userData).find((w) => w.path === path);
  expect(f?.encoding).toBe('gz+b64');
  return gunzipSync(Buffer.from(f!.content, 'base64')).toString('utf8');
}

const docsOf = (text: string): Obj[] => parseAllDocuments(text, { version: '1.1' }).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Obj;
});

function containerImages(all: Obj[]): string[] {
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

const PLUGINS = [
  { plugin: 'calico', version: CALICO_VERSION, images: CALICO_IMAGES, overhead: 20 },
  { plugin: 'flannel', version: FLANNEL_VERSION, images: FLANNEL_IMAGES, overhead: 50 },
] as const;

describe.each(EXAMPLE_PROFILES.flatMap((profile) => PLUGINS.map((p) => ({ profile, ...p }))))('$plugin on $profile', ({ profile, plugin, version, images, overhead }) => {
  it('the init node gets the patched manifest: pod CIDR, MTU, every image rewritten and pinned, each listed by bundle --list with that digest', async () => {
    const table = fixtureTable();
    const dir = tmp();
    const text = withPlugin(readFileSync(profile, 'utf8'), plugin);
    const file = writeProfile(dir, text);
    const spec = (parse(text) as { spec: Obj }).spec;
    const cluster = (parse(text) as { metadata: { name: string } }).metadata.name;
    const r = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--from', FIXTURE_DIR);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toContain('no pod network');

    const nodes = spec.nodes as { name: string; role: string }[];
    const init = nodes.find((n) => n.role === 'control-plane')!.name;
    const path = `/etc/kubeseed/cni/${plugin}-${version}.yaml`;
    const userData = (n: string) => readFileSync(join(dir, 'out', cluster, 'nodes', n, 'user-data'), 'utf8');
    const manifest = manifestOf(userData(init), path);
    // Only the init node carries it.
    for (const n of nodes.filter((x) => x.name !== init)) expect(writeFiles(userData(n.name)).map((w) => w.path)).not.toContain(path);

    const all = docsOf(manifest);
    const podSubnet = spec.kubernetes.podSubnet ?? '10.244.0.0/16';
    const mtu = 1500 - overhead;
    if (plugin === 'calico') {
      const node = all.find((d) => d.kind === 'DaemonSet' && d.metadata.name === 'calico-node')!.spec.template.spec.containers.find((c: Obj) => c.name === 'calico-node');
      expect(node.env.filter((e: Obj) => e.name === 'CALICO_IPV4POOL_CIDR')).toEqual([{ name: 'CALICO_IPV4POOL_CIDR', value: podSubnet }]);
      expect(all.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'calico-config')!.data.veth_mtu).toBe(String(mtu));
    } else {
      const conf = JSON.parse(all.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'kube-flannel-cfg')!.data['net-conf.json']);
      expect(conf.Network).toBe(podSubnet);
      expect(conf.Backend.MTU).toBe(mtu + overhead);
    }
    // Rewritten under imageRepository when it names the site's registry, pinned by the table's digest.
    const repo = spec.kubernetes.imageRepository as string | undefined;
    const want = new Set(images.map(([registry, p, tag]) => `${repo ? `${repo}/${p}` : `${registry}/${p}`}:${tag}@${testDigest(`${registry}/${p}:${tag}`)}`));
    const named = containerImages(all);
    expect(new Set(named)).toEqual(want);

    const list = await cli(table, 'bundle', file, '--list', '--out', join(dir, 'out'));
    expect(list.code, list.err).toBe(0);
    for (const ref of want) {
      const [name, digest] = ref.split('@') as [string, string];
      expect(list.out.split('\n').filter((l) => l.startsWith(`image   ${name} `) && l.includes(` ${digest}`)), list.out).toHaveLength(1);
    }
    expect(list.out).toContain(`manifest ${plugin} ${version} sha256:${table.cni[plugin][version]!.manifest.sha256} ${table.cni[plugin][version]!.manifest.url}\n`);

    // The init node's kubeadm phase applies exactly this manifest, and its marker names its sha256.
    const kubeadm = writeFiles(userData(init)).find((w) => w.path.endsWith('/phases/kubeadm.sh'))!.content;
    expect(kubeadm).toContain(`local manifest='${path}' want='${plugin} ${version} sha256:${createHash('sha256').update(manifest).digest('hex')}'`);
  });
});

describe('compile without the manifest', () => {
  it('warns, exits 0, and the init node logs that no pod network was compiled in', async () => {
    const dir = tmp();
    const r = await cli(fixtureTable(), 'compile', 'profiles/ha.yaml', '--out', join(dir, 'out'), '--cache', join(dir, 'cache'));
    expect(r.code, r.err).toBe(0);
    const warning = r.err.split('\n').find((l) => l.startsWith('warning: no pod network compiled in'));
    expect(warning).toBe(`warning: no pod network compiled in: flannel v0.28.5's manifest kube-flannel.yml (sha256 ${fixtureTable().cni.flannel[FLANNEL_VERSION]!.manifest.sha256}, `
      + `https://fixtures.kubeseed.invalid/flannel-io/flannel/v0.28.5/Documentation/kube-flannel.yml) is not in the bundle ${join(dir, 'out', 'ha.bundle', 'kubeseed-bundle.tar')}; `
      + `not in the cache ${join(dir, 'cache')} (downloads are off: --offline or KUBESEED_OFFLINE=1). `
      + 'The first control-plane node will log that no pod network was applied, and the nodes stay NotReady. '
      + `Fix: run kubeseed bundle (it puts the file in the bundle and the cache), or put the file in the cache as ${join(dir, 'cache', 'sha256', fixtureTable().cni.flannel[FLANNEL_VERSION]!.manifest.sha256)}, `
      + 'or compile with --from DIR holding kube-flannel.yml');
    const files = writeFiles(readFileSync(join(dir, 'out', 'ha', 'nodes', 'cp1', 'user-data'), 'utf8'));
    expect(files.map((f) => f.path).filter((p) => p.startsWith('/etc/kubeseed/cni/'))).toEqual([]);
    expect(files.find((f) => f.path.endsWith('/phases/kubeadm.sh'))!.content).toContain("  ks_log 'no pod network was compiled in: flannel v0.28.5");
  });

  it('a file in --from with other bytes is an error naming it and both digests, and nothing is written', async () => {
    const dir = tmp();
    const from = join(dir, 'from');
    mkdirSync(from);
    writeFileSync(join(from, 'kube-flannel.yml'), 'not the manifest\n');
    const r = await cli(fixtureTable(), 'compile', 'profiles/ha.yaml', '--out', join(dir, 'out'), '--from', from);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toBe(`kubeseed compile: sha256 mismatch for ${join(from, 'kube-flannel.yml')}: expected `
      + `${fixtureTable().cni.flannel[FLANNEL_VERSION]!.manifest.sha256}, got ${createHash('sha256').update('not the manifest\n').digest('hex')}`);
    expect(existsSync(join(dir, 'out', 'ha'))).toBe(false);
  });
});

describe('a manifest whose CIDR anchor was removed', () => {
  it('fails the compile with exit 1, naming the plugin, the manifest and what was expected, and leaves out/ as it was', async () => {
    const table = fixtureTable({ calicoFile: 'calico-no-cidr-anchor.yaml' });
    const dir = tmp();
    const from = join(dir, 'from');
    mkdirSync(from);
    copyFileSync(join(FIXTURE_DIR, 'calico-no-cidr-anchor.yaml'), join(from, 'calico.yaml'));
    const file = writeProfile(dir, withPlugin(readFileSync('profiles/ha.yaml', 'utf8'), 'calico'));
    // A tree from an earlier good compile must survive the failed one.
    expect((await cli(fixtureTable(), 'compile', file, '--out', join(dir, 'out'), '--from', FIXTURE_DIR)).code).toBe(0);
    const before = snapshot(join(dir, 'out'));
    const r = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--from', from);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n').at(-1)).toBe(
      `kubeseed compile: calico v3.30.7 manifest calico.yaml (https://fixtures.kubeseed.invalid/projectcalico/calico/v3.30.7/manifests/calico.yaml): `
        + 'expected an env list on container calico-node of DaemonSet kube-system/calico-node (where CALICO_IPV4POOL_CIDR goes); '
        + 'the manifest does not have the shape kubeseed patches, so no pod network can be compiled in from it',
    );
    expect(snapshot(join(dir, 'out'))).toEqual(before);
  });
});

describe('where compile finds the manifest', () => {
  it('kubeseed bundle puts it into the cache (even when the bundle then fails for want of binaries); compile reads it there, explain says so', async () => {
    const table = fixtureTable();
    const dir = tmp();
    const file = writeProfile(dir, readFileSync('profiles/ha.yaml', 'utf8').replace('    source: online\n', '    source: bundle\n'));
    // --from holds only the manifest: the bundle fails for the binaries, after caching it.
    const b = await cli(table, 'bundle', file, '--out', join(dir, 'out'), '--from', FIXTURE_DIR, '--cache', join(dir, 'cache'), '--skip', 'packages');
    expect(b.code).toBe(1);
    const sha = table.cni.flannel[FLANNEL_VERSION]!.manifest.sha256;
    expect(readFileSync(join(dir, 'cache', 'sha256', sha))).toEqual(readFileSync(join(FIXTURE_DIR, 'kube-flannel.yml')));

    const c = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'));
    expect(c.code, c.err).toBe(0);
    expect(c.err).not.toContain('no pod network');
    const e = await cli(table, 'explain', file, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'));
    expect(e.out).toContain(`      from cache ${join(dir, 'cache', 'sha256', sha)}; patched copy /etc/kubeseed/cni/flannel-v0.28.5.yaml on the first control-plane node, applied after kubeadm init\n`);
  });

  it('reads it out of a built bundle tar', async () => {
    const table = fixtureTable();
    const dir = tmp();
    const out = join(dir, 'out');
    const { writeTar } = await import('../../src/emit/bundle/tar.js');
    const manifest = join(FIXTURE_DIR, 'kube-flannel.yml');
    const sha = table.cni.flannel[FLANNEL_VERSION]!.manifest.sha256;
    mkdirSync(join(out, 'ha.bundle'), { recursive: true });
    await writeTar(join(out, 'ha.bundle', 'kubeseed-bundle.tar'), [
      { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from('{}') },
      { type: 'directory', path: 'files', mode: 0o755 },
      { type: 'buffer', path: 'files/kube-flannel.yml', mode: 0o644, content: readFileSync(manifest) },
      { type: 'file', path: `images/${'x'.repeat(120)}.tar`, mode: 0o644, source: manifest, size: readFileSync(manifest).length, sha256: sha, label: 'x' },
    ], { mtime: new Date(0) });
    const e = await cli(table, 'explain', 'profiles/ha.yaml', '--out', out);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toContain(`      from bundle ${join(out, 'ha.bundle', 'kubeseed-bundle.tar')} (files/kube-flannel.yml); patched copy`);
  });

  it('downloads it once from the mirror into the cache (source mirror); later compiles, --offline ones too, read the cache', async () => {
    const table = fixtureTable();
    const body = readFileSync(join(FIXTURE_DIR, 'calico.yaml'));
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/kubeseed/projectcalico/calico/v3.30.7/manifests/calico.yaml') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const dir = tmp();
    const file = writeProfile(dir, readFileSync('profiles/external-etcd.yaml', 'utf8').replace('https://artifacts.example.internal/kubeseed', `http://127.0.0.1:${port}/kubeseed`));
    const saved = process.env.KUBESEED_OFFLINE;
    delete process.env.KUBESEED_OFFLINE;
    try {
      const r = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'));
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toContain('no pod network');
      const again = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'));
      expect(again.code, again.err).toBe(0);
      // --offline: the cache still has it.
      const off = await cli(table, 'compile', file, '--out', join(dir, 'out2'), '--cache', join(dir, 'cache'), '--offline');
      expect(off.err).not.toContain('no pod network');
    } finally {
      if (saved !== undefined) process.env.KUBESEED_OFFLINE = saved;
      server.close();
    }
    expect(seen).toEqual(['/kubeseed/projectcalico/calico/v3.30.7/manifests/calico.yaml']);
    expect(readFileSync(join(dir, 'cache', 'sha256', table.cni.calico[CALICO_VERSION]!.manifest.sha256))).toEqual(body);
    const manifest = manifestOf(readFileSync(join(dir, 'out', 'prod', 'nodes', 'cp1', 'user-data'), 'utf8'), '/etc/kubeseed/cni/calico-v3.30.7.yaml');
    // The profile's own mtu: 1430.
    expect(docsOf(manifest).find((d) => d.kind === 'ConfigMap')!.data.veth_mtu).toBe('1430');
  });
});

describe('images without a digest in the table (trust on first use)', () => {
  const table = fixtureTable({ calicoPinned: false });

  it('compile warns that they are not pinned and names them by tag; explain and bundle --list say they are pinned at bundle time', async () => {
    const dir = tmp();
    const file = writeProfile(dir, withPlugin(readFileSync('profiles/ha.yaml', 'utf8'), 'calico'));
    const r = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--from', FIXTURE_DIR);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('warning: calico v3.30.7 images not pinned by digest: docker.io/calico/cni:v3.30.7, docker.io/calico/kube-controllers:v3.30.7, docker.io/calico/node:v3.30.7: '
      + 'the version table has no digest for them and no bundle.json recorded one');
    const manifest = manifestOf(readFileSync(join(dir, 'out', 'ha', 'nodes', 'cp1', 'user-data'), 'utf8'), '/etc/kubeseed/cni/calico-v3.30.7.yaml');
    expect(new Set(containerImages(docsOf(manifest)))).toEqual(new Set(CALICO_IMAGES.map(([r, p, t]) => `${r}/${p}:${t}`)));
    const e = await cli(table, 'explain', file, '--out', join(dir, 'out'));
    expect(e.out).toContain('    image docker.io/calico/node:v3.30.7\n      NOT PINNED: digest pinned at bundle time: none: the version table has no digest for it and no bundle.json recorded one; '
      + 'kubeseed bundle records the digest it pulls (trust on first use)\n');
    const l = await cli(table, 'bundle', file, '--list', '--out', join(dir, 'out'));
    expect(l.out).toContain('image   docker.io/calico/node:v3.30.7 amd64 '
      + 'digest unknown: pinned at bundle time (the version table has none; kubeseed bundle records the one it pulls: trust on first use)\n');
  });

  it('compile pins the digests bundle.json recorded, and explain names where they came from', async () => {
    const dir = tmp();
    const file = writeProfile(dir, withPlugin(readFileSync('profiles/ha.yaml', 'utf8'), 'calico'));
    const recorded = (ref: string) => `sha256:${createHash('sha256').update(`pulled ${ref}`).digest('hex')}`;
    mkdirSync(join(dir, 'out', 'ha.bundle'), { recursive: true });
    writeFileSync(join(dir, 'out', 'ha.bundle', 'bundle.json'), JSON.stringify({
      kind: 'KubeseedBundle', version: 2, kubernetesVersion: 'v1.30.13', arch: 'amd64',
      // Pulled by tag (no digest in the table): `source` names the tag, `digest` what it resolved to.
      artifacts: CALICO_IMAGES.map(([r, p, t]) => ({
        name: `image/${p}`, kind: 'image', version: t, path: `images/${p.replace('/', '_')}_${t}_amd64.tar`, sha256: 'a'.repeat(64), size: 1,
        ref: `${r}/${p}:${t}`, source: `${r}/${p}:${t}`, digest: recorded(`${r}/${p}:${t}`),
      })),
      packages: [],
    }));
    const r = await cli(table, 'compile', file, '--out', join(dir, 'out'), '--from', FIXTURE_DIR);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toContain('not pinned');
    const manifest = manifestOf(readFileSync(join(dir, 'out', 'ha', 'nodes', 'cp1', 'user-data'), 'utf8'), '/etc/kubeseed/cni/calico-v3.30.7.yaml');
    expect(new Set(containerImages(docsOf(manifest)))).toEqual(new Set(CALICO_IMAGES.map(([rg, p, t]) => `${rg}/${p}:${t}@${recorded(`${rg}/${p}:${t}`)}`)));
    const e = await cli(table, 'explain', file, '--out', join(dir, 'out'));
    expect(e.out).toContain(`    image docker.io/calico/node:v3.30.7@${recorded('docker.io/calico/node:v3.30.7')}\n      digest from recorded by kubeseed bundle in ${join(dir, 'out', 'ha.bundle', 'bundle.json')} (trust on first use)\n`);
    const l = await cli(table, 'bundle', file, '--list', '--out', join(dir, 'out'));
    expect(l.out).toContain(`image   docker.io/calico/node:v3.30.7 amd64 ${recorded('docker.io/calico/node:v3.30.7')}\n`);
  });
});
