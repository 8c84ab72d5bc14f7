/**
 * kubeseed's registry client against a real registry: Debian's docker-registry (CNCF distribution)
 * on 127.0.0.1 with TLS from a test CA, htpasswd basic auth or token auth, holding multi-arch test
 * images built here from busybox-static and pushed with skopeo. Digests are held to what skopeo
 * reads back (`skopeo inspect --raw | sha256sum`), stored blobs to sha256sum.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDockerConfig } from '../../src/oci/auth.js';
import { ContentStore } from '../../src/oci/content-store.js';
import { ImageError } from '../../src/oci/errors.js';
import { pullImage, type PulledImage } from '../../src/oci/pull.js';
import { pushImage } from '../../src/oci/push.js';
import { parseReference } from '../../src/oci/reference.js';
import { Registries, type RegistryConfig } from '../../src/oci/registries.js';
import { needTools, run, type Skippable } from '../helpers/tools.js';
import { buildTestImage, skopeoPush, skopeoRawDigest, type BuiltImage } from './images.mjs';
import { startProxy, type TestProxy } from './proxy.mjs';
import { makeTestCa, startRegistry, type TestRegistry, type TestTls } from './registry.mjs';

const TOOLS = ['docker-registry:docker-registry', 'skopeo:skopeo', 'htpasswd:apache2-utils', 'openssl:openssl', 'busybox:busybox-static', 'sha256sum:coreutils'] as const;

const root = mkdtempSync(join(tmpdir(), 'kubeseed-oci-'));
let n = 0;
const dir = (name: string) => join(root, `${name}-${++n}`);

interface World {
  tls: TestTls;
  oci: BuiltImage;
  docker: BuiltImage;
  basic: TestRegistry;
  token: TestRegistry;
  /** A docker config.json with the basic registry's credentials. */
  authFile: string;
}

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  rmSync(root, { recursive: true, force: true });
});

let worldP: Promise<World> | undefined;
function world(ctx: Skippable): Promise<World> {
  needTools(ctx, ...TOOLS);
  worldP ??= (async () => {
    const tls = makeTestCa(dir('ca'));
    const oci = buildTestImage({ dir: dir('img-oci'), name: 'oci' });
    const docker = buildTestImage({ dir: dir('img-docker'), name: 'docker', format: 'docker' });
    const basic = await startRegistry({ dir: dir('reg-basic'), auth: 'htpasswd', tls });
    stops.push(basic.stop);
    const token = await startRegistry({ dir: dir('reg-token'), auth: 'token', tls });
    stops.push(token.stop);
    for (const r of [basic, token]) {
      const creds = `${r.user}:${r.password}`;
      await skopeoPush(oci, `${r.host}/test/busybox:1.0`, { certDir: tls.certDir, creds });
      await skopeoPush(docker, `${r.host}/test/busybox-docker:2.0`, { certDir: tls.certDir, creds });
    }
    const authFile = join(dir('auth'), 'config.json');
    mkdirSync(join(authFile, '..'), { recursive: true });
    writeFileSync(authFile, JSON.stringify({ auths: { [`https://${basic.host}`]: { auth: Buffer.from(`${basic.user}:${basic.password}`).toString('base64') } } }));
    return { tls, oci, docker, basic, token, authFile };
  })();
  return worldP;
}

/** The world's CA for both registries and the basic registry's config.json credentials, plus `extra`'s. */
function registries(w: World, extra: RegistryConfig = {}): Registries {
  const ca = readFileSync(w.tls.caFile, 'utf8');
  return new Registries({
    ...extra,
    cas: new Map([[w.basic.host, ca], [w.token.host, ca], ...(extra.cas ?? [])]),
    credentials: new Map([...parseDockerConfig(readFileSync(w.authFile, 'utf8'), w.authFile), ...(extra.credentials ?? [])]),
  });
}

const sha256sum = (path: string) => `sha256:${run('sha256sum', [path]).stdout.slice(0, 64)}`;

async function pullOrError(p: Promise<PulledImage>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return (e as Error).message;
  }
  throw new Error('the pull succeeded');
}

describe('pulling from docker-registry (TLS, basic auth)', () => {
  it('pulls an OCI index and a Docker manifest list for each platform; digests equal skopeo inspect --raw | sha256sum', async (ctx) => {
    const w = await world(ctx);
    const store = new ContentStore(dir('store'));
    const regs = registries(w);
    const auth = { certDir: w.tls.certDir, creds: `${w.basic.user}:${w.basic.password}` };
    for (const [repo, tag, built] of [['test/busybox', '1.0', w.oci], ['test/busybox-docker', '2.0', w.docker]] as const) {
      const top = await skopeoRawDigest(`${w.basic.host}/${repo}:${tag}`, auth);
      const listed = JSON.parse(top.raw.toString()) as { mediaType: string; manifests: { digest: string; platform: { architecture: string } }[] };
      for (const arch of ['amd64', 'arm64'] as const) {
        const img = await pullImage({ reference: parseReference(`${w.basic.host}/${repo}:${tag}`), architecture: arch }, regs, store);
        expect(img.top.digest).toBe(top.digest);
        expect(img.top.mediaType).toBe(listed.mediaType);
        const platformDigest = listed.manifests.find((m) => m.platform.architecture === arch)!.digest;
        expect(img.manifest.digest).toBe(platformDigest);
        expect(img.manifest.digest).toBe(built.manifests[arch].digest);
        expect((await skopeoRawDigest(`${w.basic.host}/${repo}@${platformDigest}`, auth)).digest).toBe(platformDigest);
        expect(img.platform).toBe(arch === 'arm64' ? 'linux/arm64/v8' : 'linux/amd64');
        expect(img.config.digest).toBe(built.manifests[arch].config);
        expect(img.layers.map((l) => l.digest)).toEqual(built.layers.map((l) => l.digest));
      }
    }
    // Everything in the store is named by its own sha256, and nothing else is there.
    const stored = readdirSync(join(store.dir, 'sha256')).map((h) => `sha256:${h}`).sort();
    for (const d of stored) expect(sha256sum(store.path(d))).toBe(d);
    const wanted = new Set([...w.oci.blobs, ...w.docker.blobs]);
    expect(stored).toEqual([...wanted].sort());
    regs.close();
  });

  it('pulls images that share a layer at the same time, fetching the layer once', async (ctx) => {
    const w = await world(ctx);
    const proxy = await startProxy({ upstream: w.basic.url, tls: w.tls });
    stops.push(proxy.stop);
    const store = new ContentStore(dir('store'));
    const regs = registries(w, { cas: new Map([[proxy.host, readFileSync(w.tls.caFile, 'utf8')]]), credentials: new Map([[proxy.host, { username: w.basic.user, password: w.basic.password }]]) });
    const shared = w.oci.layers[0]!.digest;
    expect(w.docker.layers[0]!.digest).toBe(shared);
    const [a, b] = await Promise.all([
      pullImage({ reference: parseReference(`${proxy.host}/test/busybox:1.0`), architecture: 'amd64' }, regs, store),
      pullImage({ reference: parseReference(`${proxy.host}/test/busybox-docker:2.0`), architecture: 'amd64' }, regs, store),
    ]);
    expect([a.top.digest, b.top.digest]).toEqual([w.oci.index.digest, w.docker.index.digest]);
    expect(sha256sum(store.path(shared))).toBe(shared);
    expect(proxy.log.filter((l) => l.method === 'GET' && l.path.endsWith(`/blobs/${shared}`))).toHaveLength(1);
    regs.close();
  });

  it('a second pull of a pinned image downloads nothing and asks nothing', async (ctx) => {
    const w = await world(ctx);
    const proxy = await startProxy({ upstream: w.basic.url, tls: w.tls });
    stops.push(proxy.stop);
    const store = new ContentStore(dir('store'));
    const regs = registries(w, { cas: new Map([[proxy.host, readFileSync(w.tls.caFile, 'utf8')]]), credentials: new Map([[proxy.host, { username: w.basic.user, password: w.basic.password }]]) });
    const ref = parseReference(`${proxy.host}/test/busybox:1.0@${w.oci.index.digest}`);
    const first = await pullImage({ reference: ref, architecture: 'amd64' }, regs, store);
    expect(first.received).toBeGreaterThan(w.oci.layers[0]!.size);
    const asked = proxy.log.length;
    expect(asked).toBeGreaterThan(0);
    const second = await pullImage({ reference: ref, architecture: 'amd64' }, regs, store);
    expect(second.received).toBe(0);
    expect(proxy.log.length).toBe(asked);
    expect(second).toEqual({ ...first, received: 0 });
    regs.close();
  });

  it('refuses a tampered blob and a tampered manifest, naming the image, the registry and both digests; nothing enters the store', async (ctx) => {
    const w = await world(ctx);
    const proxy = await startProxy({ upstream: w.basic.url, tls: w.tls });
    stops.push(proxy.stop);
    const ca = readFileSync(w.tls.caFile, 'utf8');
    const creds = new Map([[proxy.host, { username: w.basic.user, password: w.basic.password }]]);
    const layer = w.oci.layers[0]!.digest;
    proxy.rules.flip.add(layer);
    const store = new ContentStore(dir('store'));
    const regs = registries(w, { cas: new Map([[proxy.host, ca]]), credentials: creds });
    const ref = `${proxy.host}/test/busybox:1.0@${w.oci.index.digest}`;
    const msg = await pullOrError(pullImage({ reference: parseReference(ref), architecture: 'amd64' }, regs, store));
    expect(msg).toMatch(new RegExp(`^image ${ref.replaceAll('.', '\\.')} \\(registry https://${proxy.host}\\): blob ${layer} does not match its digest: its bytes hash to sha256:[0-9a-f]{64} \\(tampered or broken registry\\)$`));
    expect(await store.has(layer)).toBeNull();
    expect(existsSync(store.partialPath(layer))).toBe(false);

    proxy.rules.flip.clear();
    proxy.rules.flip.add(w.oci.manifests.amd64.digest);
    const msg2 = await pullOrError(pullImage({ reference: parseReference(ref), architecture: 'amd64' }, regs, new ContentStore(dir('store'))));
    expect(msg2).toContain(`manifest ${w.oci.manifests.amd64.digest} does not match its digest`);
    regs.close();
  });

  it('resumes an interrupted blob with a Range request, within a pull and from a part file left by an earlier run', async (ctx) => {
    const w = await world(ctx);
    const proxy = await startProxy({ upstream: w.basic.url, tls: w.tls });
    stops.push(proxy.stop);
    const regs = registries(w, {
      cas: new Map([[proxy.host, readFileSync(w.tls.caFile, 'utf8')]]),
      credentials: new Map([[proxy.host, { username: w.basic.user, password: w.basic.password }]]),
    });
    const layer = w.oci.layers[0]!;
    const ref = parseReference(`${proxy.host}/test/busybox:1.0@${w.oci.index.digest}`);

    // Within one pull: the first answer breaks after 300,000 bytes.
    proxy.rules.cut.set(layer.digest, { at: 300_000, times: 1 });
    const store = new ContentStore(dir('store'));
    const img = await pullImage({ reference: ref, architecture: 'amd64' }, regs, store);
    const gets = proxy.log.filter((l) => l.method === 'GET' && l.path.endsWith(`/blobs/${layer.digest}`));
    expect(gets.map((g) => g.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-$/)]);
    // It asked for exactly what it lacked: every byte of the layer arrived once.
    const resumedAt = Number(/\d+/.exec(gets[1]!.range!)![0]);
    expect(resumedAt).toBeGreaterThan(200_000);
    expect(resumedAt).toBeLessThanOrEqual(300_000);
    expect(img.received).toBe(img.top.size + img.manifest.size + img.config.size + layer.size);
    expect(sha256sum(store.path(layer.digest))).toBe(layer.digest);

    // Across runs: a part file holding the first 123,456 bytes is carried on from there.
    const store2 = new ContentStore(dir('store'));
    const blob = readFileSync(store.path(layer.digest));
    mkdirSync(join(store2.dir, 'partial'), { recursive: true });
    writeFileSync(store2.partialPath(layer.digest), blob.subarray(0, 123_456));
    proxy.log.length = 0;
    await pullImage({ reference: ref, architecture: 'amd64' }, regs, store2);
    expect(proxy.log.filter((l) => l.path.endsWith(`/blobs/${layer.digest}`)).map((g) => g.range)).toEqual(['bytes=123456-']);
    expect(sha256sum(store2.path(layer.digest))).toBe(layer.digest);

    // A part file with wrong bytes fails the digest and is removed, never stored.
    const store3 = new ContentStore(dir('store'));
    mkdirSync(join(store3.dir, 'partial'), { recursive: true });
    writeFileSync(store3.partialPath(layer.digest), Buffer.alloc(5000, 7));
    const msg = await pullOrError(pullImage({ reference: ref, architecture: 'amd64' }, regs, store3));
    expect(msg).toContain(`blob ${layer.digest} does not match its digest`);
    expect(existsSync(store3.partialPath(layer.digest))).toBe(false);
    expect(await store3.has(layer.digest)).toBeNull();
    regs.close();
  });

  it('fails with one line naming the image, the registry and the cause: 401, unknown tag, unknown digest, TLS, registry down, no platform', async (ctx) => {
    const w = await world(ctx);
    const store = new ContentStore(dir('store'));
    const ca = readFileSync(w.tls.caFile, 'utf8');
    const pull = (ref: string, regs: Registries, arch = 'amd64') => pullOrError(pullImage({ reference: parseReference(ref), architecture: arch }, regs, store));
    const reg = `https://${w.basic.host}`;

    const anonymous = new Registries({ cas: new Map([[w.basic.host, ca]]) });
    expect(await pull(`${w.basic.host}/test/busybox:1.0`, anonymous)).toBe(
      `image ${w.basic.host}/test/busybox:1.0 (registry ${reg}): HTTP 401: the registry wants a user and password; give them for ${w.basic.host} with --registry-auth FILE`,
    );
    const wrong = new Registries({ cas: new Map([[w.basic.host, ca]]), credentials: new Map([[w.basic.host, { username: w.basic.user, password: 'wrong' }]]) });
    expect(await pull(`${w.basic.host}/test/busybox:1.0`, wrong)).toBe(
      `image ${w.basic.host}/test/busybox:1.0 (registry ${reg}): HTTP 401: the credentials for ${w.basic.host} were refused`,
    );
    const regs = registries(w);
    expect(await pull(`${w.basic.host}/test/busybox:9.9`, regs)).toBe(
      `image ${w.basic.host}/test/busybox:9.9 (registry ${reg}): manifest test/busybox:9.9: HTTP 404 MANIFEST_UNKNOWN: manifest unknown`,
    );
    const absent = `sha256:${'0'.repeat(64)}`;
    expect(await pull(`${w.basic.host}/test/busybox@${absent}`, regs)).toBe(
      `image ${w.basic.host}/test/busybox@${absent} (registry ${reg}): manifest test/busybox:${absent}: HTTP 404 MANIFEST_UNKNOWN: manifest unknown`,
    );
    const untrusted = new Registries({ credentials: new Map([[w.basic.host, { username: w.basic.user, password: w.basic.password }]]) });
    expect(await pull(`${w.basic.host}/test/busybox:1.0`, untrusted)).toMatch(
      new RegExp(`^image ${w.basic.host}/test/busybox:1\\.0 \\(registry ${reg}\\): TLS error: .*; trust its CA with --registry-ca HOST=FILE$`),
    );
    const down = '127.0.0.1:9';
    expect(await pull(`${down}/test/busybox:1.0`, regs)).toBe(`image ${down}/test/busybox:1.0 (registry https://${down}): connection refused (is the registry down?)`);
    expect(await pull(`${w.basic.host}/test/busybox:1.0`, regs, 's390x')).toBe(
      `image ${w.basic.host}/test/busybox:1.0 (registry ${reg}): no linux/s390x image in the index ${w.oci.index.digest} (platforms: linux/amd64, linux/arm64/v8)`,
    );
    for (const r of [anonymous, wrong, regs, untrusted]) r.close();
  });
});

describe('token auth (distribution token flow)', () => {
  it('pulls anonymously with a Bearer token from the challenge realm, and with basic credentials at the token endpoint', async (ctx) => {
    const w = await world(ctx);
    const ca = readFileSync(w.tls.caFile, 'utf8');
    const ref = parseReference(`${w.token.host}/test/busybox:1.0`);
    const top = await skopeoRawDigest(`${w.token.host}/test/busybox:1.0`, { certDir: w.tls.certDir });
    w.token.tokenRequests.length = 0;
    const anon = new Registries({ cas: new Map([[w.token.host, ca]]) });
    const img = await pullImage({ reference: ref, architecture: 'arm64' }, anon, new ContentStore(dir('store')));
    expect(img.top.digest).toBe(top.digest);
    expect(w.token.tokenRequests).toEqual([{ scope: ['repository:test/busybox:pull'], who: 'anonymous' }]);

    w.token.tokenRequests.length = 0;
    const authed = new Registries({ cas: new Map([[w.token.host, ca]]), credentials: new Map([[w.token.host, { username: w.token.user, password: w.token.password }]]) });
    await pullImage({ reference: ref, architecture: 'amd64' }, authed, new ContentStore(dir('store')));
    expect(w.token.tokenRequests).toEqual([{ scope: ['repository:test/busybox:pull'], who: w.token.user }]);

    const bad = new Registries({ cas: new Map([[w.token.host, ca]]), credentials: new Map([[w.token.host, { username: w.token.user, password: 'nope' }]]) });
    const msg = await pullOrError(pullImage({ reference: ref, architecture: 'amd64' }, bad, new ContentStore(dir('store'))));
    expect(msg).toMatch(new RegExp(`^image ${w.token.host}/test/busybox:1\\.0 \\(registry https://${w.token.host}\\): HTTP 401 from token endpoint https://127\\.0\\.0\\.1:\\d+/token: it refused the credentials for ${w.token.host}$`));
    for (const r of [anon, authed, bad]) r.close();
  });
});

describe('mirrors (containerd hosts.toml meaning)', () => {
  it('pulls through a mirror first, and falls back to the registry when the mirror lacks the image', async (ctx) => {
    const w = await world(ctx);
    const mirror = await startRegistry({ dir: dir('reg-mirror'), auth: 'none', tls: w.tls });
    stops.push(mirror.stop);
    await skopeoPush(w.oci, `${mirror.host}/test/busybox:1.0`, { certDir: w.tls.certDir });
    const ca = readFileSync(w.tls.caFile, 'utf8');
    // A registry host that does not exist: only the mirror can serve it.
    const nowhere = 'registry.kubeseed.invalid';
    const viaMirror = new Registries({ mirrors: new Map([[nowhere, [mirror.url]]]), cas: new Map([[mirror.host, ca]]) });
    const img = await pullImage({ reference: parseReference(`${nowhere}/test/busybox:1.0@${w.oci.index.digest}`), architecture: 'amd64' }, viaMirror, new ContentStore(dir('store')));
    expect(img.top.digest).toBe(w.oci.index.digest);

    // The mirror lacks busybox-docker: 404 there, then the registry itself serves it.
    const fallback = registries(w, { mirrors: new Map([[w.basic.host, [mirror.url]]]), cas: new Map([[mirror.host, ca], [w.basic.host, ca]]) });
    const d = await pullImage({ reference: parseReference(`${w.basic.host}/test/busybox-docker:2.0`), architecture: 'amd64' }, fallback, new ContentStore(dir('store')));
    expect(d.top.digest).toBe(w.docker.index.digest);

    // Neither has it: the error names the mirror and its cause, then what the registry said.
    const msg = await pullOrError(pullImage({ reference: parseReference(`${w.basic.host}/test/nothing:1`), architecture: 'amd64' }, fallback, new ContentStore(dir('store'))));
    expect(msg).toBe(`image ${w.basic.host}/test/nothing:1 (registry ${mirror.url}): manifest test/nothing:1: HTTP 404 MANIFEST_UNKNOWN: manifest unknown; then https://${w.basic.host}: manifest test/nothing:1: HTTP 404 MANIFEST_UNKNOWN: manifest unknown`);
    for (const r of [viaMirror, fallback]) r.close();
  });
});

describe('pushing', () => {
  it('pushes a pulled platform image: an index with absent platforms is refused by docker-registry (MANIFEST_BLOB_UNKNOWN), so the tag names the platform manifest', async (ctx) => {
    const w = await world(ctx);
    const target = await startRegistry({ dir: dir('reg-target'), auth: 'token', tls: w.tls });
    stops.push(target.stop);
    const ca = readFileSync(w.tls.caFile, 'utf8');
    const store = new ContentStore(dir('store'));
    const regs = registries(w, {
      cas: new Map([[target.host, ca]]),
      credentials: new Map([
        [w.basic.host, { username: w.basic.user, password: w.basic.password }],
        [target.host, { username: target.user, password: target.password }],
      ]),
    });
    const img = await pullImage({ reference: parseReference(`${w.basic.host}/test/busybox:1.0`), architecture: 'amd64' }, regs, store);
    const r = await pushImage(img, store, { client: regs.client(target.url), repository: 'site/busybox', tag: '1.0' });
    expect(r).toEqual({ reference: `${target.host}/site/busybox:1.0`, digest: w.oci.manifests.amd64.digest, platformOnly: true, uploaded: img.config.size + img.layers[0]!.size });
    const got = await skopeoRawDigest(`${target.host}/site/busybox:1.0`, { certDir: w.tls.certDir });
    expect(got.digest).toBe(w.oci.manifests.amd64.digest);
    // Pushing again uploads nothing.
    expect((await pushImage(img, store, { client: regs.client(target.url), repository: 'site/busybox', tag: '1.0' })).uploaded).toBe(0);

    // A registry that already holds every platform takes the index itself: the tag names the pinned index.
    await skopeoPush(w.oci, `${target.host}/full/busybox:0`, { certDir: w.tls.certDir, creds: `${target.user}:${target.password}` });
    const again = await pushImage(img, store, { client: regs.client(target.url), repository: 'full/busybox', tag: '1.0' });
    expect(again).toMatchObject({ digest: w.oci.index.digest, platformOnly: false, uploaded: 0 });
    expect((await skopeoRawDigest(`${target.host}/full/busybox:1.0`, { certDir: w.tls.certDir })).digest).toBe(w.oci.index.digest);

    // Anonymous push to a token registry is refused, named.
    const anon = new Registries({ cas: new Map([[target.host, ca]]) });
    await expect(pushImage(img, store, { client: anon.client(target.url), repository: 'site/other', tag: '1' })).rejects.toThrow(
      new RegExp(`^image ${target.host}/site/other:1 \\(registry https://${target.host}\\): push: `),
    );
    for (const x of [regs, anon]) x.close();
  });
});

describe('sha256 of test fixtures', () => {
  it('the test image builder names each blob by its sha256 (guards the fixture itself)', (ctx) => {
    needTools(ctx, 'busybox:busybox-static');
    const img = buildTestImage({ dir: dir('img-check'), name: 'check' });
    const top = readFileSync(join(img.dir, 'manifest.json'));
    expect(`sha256:${createHash('sha256').update(top).digest('hex')}`).toBe(img.index.digest);
  });
});
