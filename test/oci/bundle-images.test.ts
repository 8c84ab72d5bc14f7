/**
 * `kubeseed bundle` with images, end to end on this machine: a site image (busybox-static, a real
 * amd64+arm64 index) served by Debian's docker-registry over TLS with htpasswd auth and reached
 * through --registry-mirror, as the VM test does; the bundle's archive imported into a real
 * containerd (started here as root, with its own root, state and socket) with
 * `ctr -n k8s.io images import`, and `ctr images ls` showing the reference at the pinned index
 * digest; errors as the one line the CLI prints, with the previous bundle left as it was;
 * --push into a second registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, snapshot } from '../helpers/cli.js';
import { needRoot, needTools, run, type Skippable } from '../helpers/tools.js';
import { skopeoRawDigest } from './images.mjs';
import { startProxy, type TestProxy } from './proxy.mjs';
import { startRegistry } from './registry.mjs';
import { serveTestImages, SITE_REGISTRY, type ServedImages } from './serve-images.mjs';

const TOOLS = ['docker-registry:docker-registry', 'skopeo:skopeo', 'htpasswd:apache2-utils', 'openssl:openssl', 'busybox:busybox-static', 'tar:tar'] as const;
const root = mkdtempSync(join(tmpdir(), 'kubeseed-bundle-images-'));
let n = 0;
const dir = (name: string) => join(root, `${name}-${++n}`);
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  rmSync(root, { recursive: true, force: true });
});

interface World {
  served: ServedImages;
  /** A TLS proxy in front of the registry: the mirror kubeseed is pointed at, logging requests. */
  proxy: TestProxy;
  profile: string;
  args: string[];
}

let worldP: Promise<World> | undefined;
function world(ctx: Skippable): Promise<World> {
  needTools(ctx, ...TOOLS);
  worldP ??= (async () => {
    const served = await serveTestImages({ dir: dir('served'), auth: 'htpasswd' });
    stops.push(served.stop);
    const proxy = await startProxy({ upstream: `https://${served.host}`, tls: served.registry.tls });
    stops.push(proxy.stop);
    const text = readFileSync('profiles/lab.yaml', 'utf8').replace(
      '\n  nodes:\n',
      `\n  artifacts:\n    source: bundle\n    extraImages: [ "${served.extraImage}" ]\n  nodes:\n`,
    );
    const profile = join(dir('profile'), 'lab.yaml');
    mkdirSync(join(profile, '..'), { recursive: true });
    writeFileSync(profile, text);
    // The proxy is the mirror; the docker config.json names the proxy's host with the registry's credentials.
    const auth = join(dir('auth'), 'config.json');
    mkdirSync(join(auth, '..'), { recursive: true });
    writeFileSync(auth, JSON.stringify({ auths: { [proxy.host]: { username: served.registry.user, password: served.registry.password } } }));
    const args = ['--registry-mirror', `${SITE_REGISTRY}=${proxy.url}`, '--registry-ca', `${proxy.host}=${served.caFile}`, '--registry-auth', auth];
    return { served, proxy, profile, args };
  })();
  return worldP;
}

describe('kubeseed bundle with a site image from a registry mirror', () => {
  it('bundles the image as an OCI layout archive pinned to the index skopeo reads; a second bundle downloads nothing', async (ctx) => {
    const w = await world(ctx);
    const cache = dir('cache');
    const out = dir('out');
    w.proxy.log.length = 0;
    const r = await cli('bundle', w.profile, '--skip', 'binaries,images,packages', '--out', out, '--cache', cache, ...w.args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const bundleDir = join(out, 'lab.bundle');
    expect(r.out).toBe(`${join(bundleDir, 'kubeseed-bundle.tar')}: 1 files (1 images), 1.0 MiB\n`);
    const upstream = await skopeoRawDigest(`${w.served.host}/site/busybox:1.0`, { certDir: w.served.registry.tls.certDir, creds: `${w.served.registry.user}:${w.served.registry.password}` });
    const meta = JSON.parse(readFileSync(join(bundleDir, 'bundle.json'), 'utf8'));
    expect(meta.skipped).toEqual(['binaries', 'images', 'packages']);
    const entry = meta.artifacts[0];
    expect(entry).toMatchObject({
      kind: 'image',
      ref: `${SITE_REGISTRY}/site/busybox:1.0`,
      digest: upstream.digest,
      manifestDigest: w.served.image.manifests.amd64,
      platform: 'linux/amd64',
      path: 'images/registry.kubeseed.test_site_busybox_1.0_amd64.tar',
    });
    // The archive: sha256sum -c of the extracted bundle, then the OCI layout inside it.
    const x = dir('x');
    mkdirSync(x);
    expect(run('tar', ['-xf', join(bundleDir, 'kubeseed-bundle.tar'), '-C', x]).status).toBe(0);
    expect(run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x }).stdout).toBe(`${entry.path}: OK\n`);
    const layout = dir('layout');
    mkdirSync(layout);
    expect(run('tar', ['-xf', join(x, entry.path), '-C', layout]).status).toBe(0);
    expect(JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.index.v1+json', digest: upstream.digest, size: upstream.raw.length,
        annotations: { 'io.containerd.image.name': `${SITE_REGISTRY}/site/busybox:1.0`, 'org.opencontainers.image.ref.name': '1.0' },
      }],
    });
    // skopeo reads kubeseed's layout back: the same index bytes, and the amd64 image whole.
    const back = await skopeoRawDigest(`${w.served.host}/site/busybox:1.0`, { certDir: w.served.registry.tls.certDir, creds: `${w.served.registry.user}:${w.served.registry.password}` });
    expect(readFileSync(join(layout, 'blobs', 'sha256', back.digest.slice(7)))).toEqual(back.raw);
    const check = run('skopeo', ['inspect', '--raw', `oci:${layout}:1.0`]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toBe(back.raw.toString());
    const copied = run('skopeo', ['copy', '--quiet', '--override-arch', 'amd64', `oci:${layout}:1.0`, `dir:${dir('copied')}`]);
    expect(copied.status, copied.stderr).toBe(0);
    const asked = w.proxy.log.length;
    expect(asked).toBeGreaterThan(0);

    // Again with the same cache: not one request, and byte-identical files.
    const before = snapshot(bundleDir);
    const again = await cli('bundle', w.profile, '--skip', 'binaries,images,packages', '--out', out, '--cache', cache, ...w.args);
    expect(again.code, again.err).toBe(0);
    expect(w.proxy.log.length).toBe(asked);
    expect(snapshot(bundleDir)).toEqual(before);
  });

  it('--list prints the site image with its digest beside the release\'s seven', async (ctx) => {
    const w = await world(ctx);
    const r = await cli('bundle', w.profile, '--list');
    expect(r.code).toBe(0);
    const images = r.out.split('\n').filter((l) => l.startsWith('image '));
    // The release's seven, the pod network's two (flannel and its CNI plugin), the site image.
    expect(images).toHaveLength(10);
    expect(images.filter((l) => l.includes(SITE_REGISTRY))).toEqual([`image   ${SITE_REGISTRY}/site/busybox:1.0 amd64 ${w.served.image.digest}`]);
  });

  it('stops with one line naming the image, the registry and the cause, and leaves the previous bundle as it was', async (ctx) => {
    const w = await world(ctx);
    const out = dir('out');
    const ok = await cli('bundle', w.profile, '--skip', 'binaries,images,packages', '--out', out, '--cache', dir('cache'), ...w.args);
    expect(ok.code, ok.err).toBe(0);
    const before = snapshot(out);
    const ref = w.served.extraImage;
    const fail = async (args: string[], profile = w.profile) => {
      const r = await cli('bundle', profile, '--skip', 'binaries,images,packages', '--out', out, '--cache', dir('cache'), ...args);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(snapshot(out)).toEqual(before);
      return r.err.trimEnd();
    };
    const mirror = w.proxy.url;
    const [, , ca, caArg, auth, authArg] = w.args;
    // No CA for the mirror (then the site registry's own name, which does not resolve here).
    const thenNowhere = `; then https://${SITE_REGISTRY}: host not found`;
    expect(await fail(['--registry-mirror', `${SITE_REGISTRY}=${mirror}`, auth!, authArg!])).toMatch(
      new RegExp(`^kubeseed bundle: image ${esc(ref)} \\(registry ${esc(mirror)}\\): TLS error: .*(unable to verify|self.signed|certificate).*; trust its CA with --registry-ca HOST=FILE${esc(thenNowhere)}$`),
    );
    // No credentials.
    expect(await fail(['--registry-mirror', `${SITE_REGISTRY}=${mirror}`, ca!, caArg!])).toBe(
      `kubeseed bundle: image ${ref} (registry ${mirror}): HTTP 401: the registry wants a user and password; give them for ${w.proxy.host} with --registry-auth FILE`,
    );
    // A digest the registry does not have.
    const unknown = `${SITE_REGISTRY}/site/busybox:1.0@sha256:${'1'.repeat(64)}`;
    const other = join(dir('profile'), 'lab.yaml');
    mkdirSync(join(other, '..'), { recursive: true });
    writeFileSync(other, readFileSync(w.profile, 'utf8').replace(w.served.extraImage, unknown));
    expect(await fail(w.args, other)).toBe(
      `kubeseed bundle: image ${unknown} (registry ${mirror}): manifest site/busybox:sha256:${'1'.repeat(64)}: HTTP 404 MANIFEST_UNKNOWN: manifest unknown${thenNowhere}`,
    );
    // A tampered blob.
    const layer = w.served.built.layers[0]!.digest;
    w.proxy.rules.flip.add(layer);
    try {
      expect(await fail(w.args)).toMatch(new RegExp(`^kubeseed bundle: image ${esc(ref)} \\(registry ${esc(mirror)}\\): blob ${layer} does not match its digest: its bytes hash to sha256:[0-9a-f]{64} \\(tampered or broken registry\\)$`));
    } finally {
      w.proxy.rules.flip.clear();
    }
    // The mirror is down (and the site registry's name does not resolve).
    const down = await startProxy({ upstream: `https://${w.served.host}`, tls: w.served.registry.tls });
    await down.stop();
    expect(await fail(['--registry-mirror', `${SITE_REGISTRY}=${down.url}`, '--registry-ca', `${down.host}=${w.served.caFile}`])).toBe(
      `kubeseed bundle: image ${ref} (registry ${down.url}): connection refused (is the registry down?)${thenNowhere}`,
    );
  });

  it('--push copies the bundled image into the site registry under its repository and tag', async (ctx) => {
    const w = await world(ctx);
    const target = await startRegistry({ dir: dir('target'), auth: 'none', tls: w.served.registry.tls });
    stops.push(target.stop);
    const r = await cli('bundle', w.profile, '--skip', 'binaries,images,packages', '--out', dir('out'), '--cache', dir('cache'), ...w.args,
      '--registry-ca', `${target.host}=${w.served.caFile}`, '--push', target.host);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[1]).toBe(`pushed ${target.host}/site/busybox:1.0 ${w.served.image.manifests.amd64}`);
    // docker-registry refuses the index without its arm64 image: the tag names the amd64 manifest, and the note says so.
    expect(r.err).toBe(`note: ${target.host}/site/busybox:1.0: the registry refuses an index whose other platforms are absent; the tag names this platform's manifest\n`);
    expect((await skopeoRawDigest(`${target.host}/site/busybox:1.0`, { certDir: w.served.registry.tls.certDir })).digest).toBe(w.served.image.manifests.amd64);
  });
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** containerd started as root on its own root, state and socket under `d`; stopped by the returned function. */
async function startContainerd(d: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  mkdirSync(join(d, 'root'), { recursive: true });
  mkdirSync(join(d, 'state'), { recursive: true });
  const socket = join(d, 'containerd.sock');
  writeFileSync(join(d, 'config.toml'), [
    'version = 2',
    `root = "${join(d, 'root')}"`,
    `state = "${join(d, 'state')}"`,
    '[grpc]',
    `  address = "${socket}"`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    '  disable_tcp_service = true',
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('containerd', ['--config', join(d, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr?.on('data', (b) => log.push(String(b)));
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(socket)) throw new Error(`containerd did not start: ${log.join('')}`);
  return {
    socket,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      // Snapshots of unpacked images stay mounted under root after containerd exits.
      run('sh', ['-c', `grep -o " ${join(d, 'root')}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]);
    },
  };
}

describe('the bundle\'s image archive in a real containerd', () => {
  it('ctr -n k8s.io images import takes it; ctr images ls shows the reference at the pinned index digest; the image runs', async (ctx) => {
    needRoot(ctx, 'containerd');
    needTools(ctx, 'containerd:containerd', 'ctr:containerd');
    const w = await world(ctx);
    const out = dir('out');
    const r = await cli('bundle', w.profile, '--skip', 'binaries,images,packages', '--out', out, '--cache', dir('cache'), ...w.args);
    expect(r.code, r.err).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'lab.bundle', 'bundle.json'), 'utf8'));
    const x = dir('x');
    mkdirSync(x);
    expect(run('tar', ['-xf', join(out, 'lab.bundle', 'kubeseed-bundle.tar'), '-C', x]).status).toBe(0);

    const c = await startContainerd(dir('containerd'));
    stops.push(c.stop);
    const ctr = (...args: string[]) => run('ctr', ['--address', c.socket, '-n', 'k8s.io', ...args]);
    const imported = ctr('images', 'import', join(x, meta.artifacts[0].path));
    expect(imported.status, imported.stderr).toBe(0);
    const ref = `${SITE_REGISTRY}/site/busybox:1.0`;
    // The artifacts phase's own check: the DIGEST column of `images ls name==REF`.
    const ls = ctr('images', 'ls', `name==${ref}`);
    expect(ls.status, ls.stderr).toBe(0);
    const row = ls.stdout.trim().split('\n')[1]!.split(/\s+/);
    expect(row[0]).toBe(ref);
    expect(row[1]).toBe('application/vnd.oci.image.index.v1+json');
    expect(row[2]).toBe(w.served.image.digest);
    expect(ls.stdout.trim().split('\n')).toHaveLength(2);
    // Every blob of its platform is there (containerd checked each against its digest on import).
    const check = ctr('images', 'check', `name==${ref}`);
    expect(check.stdout).toMatch(/complete \(2\/2\)/);
    // The image is whole: busybox from it runs (no network: runc with the host's namespaces).
    const ran = ctr('run', '--rm', ref, `kubeseed-test-${process.pid}`, '/bin/sh', '-c', 'echo imported and running');
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toBe('imported and running\n');
  });
});
