/**
 * kubeseed's apt side against a real, signed repository of real Debian 12 packages, made here:
 * test/ospkg/apt-repo.sh downloads the .deb files of kubeseed's Debian package set and of a
 * minimal Debian 12 (apt-get download, cached under $KUBESEED_TEST_CACHE or
 * /var/cache/kubeseed-test), indexes them with apt-ftparchive (the archive's own Priority and
 * Section as overrides), signs the Release with a throw-away key, and this test serves it on
 * 127.0.0.1.
 *
 * The reference is apt itself, over the same repository: `apt-get update` with signed-by the same
 * keyring, then `apt-get install --simulate --no-install-recommends` of the base seeds (Priority
 * required and important) over an empty dpkg status, then of kubeseed's package names over a
 * status holding exactly that base. So "a minimal Debian 12 root" means what debootstrap's
 * default variant installs, computed by apt; kubeseed must find the same base and ship the same
 * packages at the same versions.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherPackages, resolvePackages } from '../../src/emit/bundle/packages.js';
import { osPackagePlan, type OsPackagePlan } from '../../src/plan/os-packages.js';
import { hasTool, needTools } from '../helpers/tools.js';

const SCRIPT = 'test/ospkg/apt-repo.sh';
const CACHE = process.env.KUBESEED_TEST_CACHE ?? '/var/cache/kubeseed-test';
const TOOLS = ['apt-get:apt', 'apt-ftparchive:apt-utils', 'gpg:gpg', 'gpgconf:gpgconf'] as const;
const canRun = () => TOOLS.every((t) => hasTool(t.slice(0, t.indexOf(':'))));

function sh(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** The Debian 12 plan kubeseed bundles for a profile with NTP servers (so chrony too). */
const PLAN = osPackagePlan({ family: 'debian', version: '12', arch: 'amd64', ntp: true })!;

interface Served {
  url: string;
  /** Replace a served path's bytes (tests of tampering). */
  override: Map<string, Buffer>;
  close(): Promise<void>;
}

async function serve(dir: string): Promise<Served> {
  const override = new Map<string, Buffer>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const body = override.get(path) ?? (() => {
      try {
        const f = normalize(join(dir, path));
        return f.startsWith(dir) && statSync(f).isFile() ? readFileSync(f) : null;
      } catch {
        return null;
      }
    })();
    res.writeHead(body ? 200 : 404).end(body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    override,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('apt: a real signed Debian 12 repository', () => {
  let work: string;
  let debs: string;
  let repo: string;
  let served: Served;

  beforeAll(async () => {
    if (!canRun()) return;
    work = mkdtempSync(join(tmpdir(), 'kubeseed-apt-'));
    debs = join(CACHE, 'debian-12-debs');
    repo = join(work, 'repo');
    const dl = await sh([SCRIPT, 'download', debs, ...PLAN.names]);
    expect(dl.status, dl.stderr).toBe(0);
    const b = await sh([SCRIPT, 'build', debs, repo]);
    expect(b.status, b.stderr).toBe(0);
    served = await serve(repo);
  }, 600_000);
  afterAll(async () => served?.close());

  const plan = (): OsPackagePlan => PLAN;
  const opts = (extra: Partial<Parameters<typeof resolvePackages>[0]> = {}) => ({
    plan: plan(), osMirror: served.url, keyringFile: join(repo, 'keyring.gpg'), cacheDir: join(work, `cache-${Math.random().toString(36).slice(2)}`), ...extra,
  });

  it('resolves the same base and the same closure, at the same versions, as apt-get install --simulate', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const ref = await sh([SCRIPT, 'reference', served.url, join(repo, 'keyring.gpg'), join(work, 'apt'), ...PLAN.names]);
    expect(ref.status, ref.stderr).toBe(0);
    const lines = ref.stdout.trim().split('\n').map((l) => l.split(' '));
    const aptBase = lines.filter((l) => l[0] === 'base').map((l) => l[1]!).sort();
    const aptShip = lines.filter((l) => l[0] === 'ship').map((l) => `${l[1]} ${l[2]}`).sort();
    expect(aptBase.length).toBeGreaterThan(100);
    expect(aptShip.length).toBeGreaterThan(10);

    const r = await resolvePackages(opts());
    expect([...r.base].sort()).toEqual(aptBase);
    expect(r.files.map((f) => `${f.name} ${f.version}`).sort()).toEqual(aptShip);
    // Requested names a minimal install has are reported, not shipped (kmod and iproute2 are important).
    expect(r.present.sort()).toEqual(PLAN.names.filter((n) => aptBase.includes(n)).sort());
    // Dependencies come before the packages that need them: libnl-genl-3-200 before ipvsadm.
    const at = (n: string) => r.files.findIndex((f) => f.name === n);
    expect(at('libnl-genl-3-200')).toBeLessThan(at('ipvsadm'));
    expect(at('libcurl4')).toBeLessThan(at('curl'));
    expect(r.signatures.map((s) => s.repository)).toEqual(['bookworm', 'bookworm-updates']);
  });

  it('fetches every .deb into the cache checked against the index, or takes the files apt-get download saved', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const o = opts();
    const g = await gatherPackages(o);
    expect(g.packages.every((p) => p.from === 'mirror')).toBe(true);
    for (const p of g.packages) expect(p.path).toBe(join(o.cacheDir, 'sha256', p.artifact.sha256!));
    expect(readdirSync(join(o.cacheDir, 'sha256')).length).toBeGreaterThanOrEqual(g.packages.length);
    // A second run finds everything in the cache.
    const again = await gatherPackages({ ...o, osMirror: served.url });
    expect(again.packages.every((p) => p.from === 'cache')).toBe(true);
    // --from: the user's apt-get download directory, with the metadata from the mirror.
    const fromDir = await gatherPackages(opts({ fromDir: debs }));
    expect(fromDir.packages.every((p) => p.from === 'dir')).toBe(true);
    expect(fromDir.packages.map((p) => p.artifact.bundlePath)).toEqual(g.packages.map((p) => p.artifact.bundlePath));
  });

  it('refuses a .deb whose sha256 is not the index\'s, naming the package', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const r = await resolvePackages(opts());
    const socat = r.files.find((f) => f.name === 'socat')!;
    const bad = Buffer.concat([readFileSync(join(repo, socat.path)), Buffer.from('tampered')]);
    served.override.set(`/${socat.path}`, bad);
    try {
      await expect(gatherPackages(opts())).rejects.toThrow(
        new RegExp(`^package socat ${socat.version.replace(/[.+]/g, '\\$&')}: http://127\\.0\\.0\\.1:\\d+/${socat.path} has sha256 [0-9a-f]{64}, the signed index says ${socat.sha256} \\(bookworm/main\\)$`),
      );
    } finally {
      served.override.delete(`/${socat.path}`);
    }
  });

  it('refuses metadata signed by a key not in the keyring, a changed InRelease, and an index the Release does not vouch for', async (ctx) => {
    needTools(ctx, ...TOOLS);
    // Another throw-away key: a well-formed keyring that did not sign this repository.
    const other = join(work, 'other');
    mkdirSync(other, { mode: 0o700 });
    const gen = await sh(['-c', `export GNUPGHOME=${other}; gpg --batch --quiet --passphrase '' --quick-gen-key 'someone else <x@kubeseed.invalid>' ed25519 sign 1d 2>/dev/null && gpg --batch --export > ${other}/keyring.gpg; gpgconf --kill gpg-agent`]);
    expect(gen.status, gen.stderr).toBe(0);
    await expect(resolvePackages(opts({ keyringFile: join(other, 'keyring.gpg') }))).rejects.toThrow(
      /^http:\/\/127\.0\.0\.1:\d+\/dists\/bookworm\/InRelease: no signature by a key in the keyring \(signed by [0-9a-f]{16}\)$/,
    );
    // The signed text changed after signing: one digit of the Packages.gz sha256.
    const inRelease = readFileSync(join(repo, 'dists/bookworm/InRelease'), 'utf8');
    const changed = inRelease.replace(/^ ([0-9a-f]{64})( +\d+ main\/binary-amd64\/Packages\.gz)$/m, (_m, h: string, rest: string) => ` ${h[0] === '0' ? '1' : '0'}${h.slice(1)}${rest}`);
    expect(changed).not.toBe(inRelease);
    served.override.set('/dists/bookworm/InRelease', Buffer.from(changed));
    try {
      await expect(resolvePackages(opts())).rejects.toThrow(/^http:\/\/127\.0\.0\.1:\d+\/dists\/bookworm\/InRelease: BAD signature by key [0-9a-f]{16}: /);
    } finally {
      served.override.delete('/dists/bookworm/InRelease');
    }
    // A Packages.gz the signed Release does not list with those bytes.
    served.override.set('/dists/bookworm/main/binary-amd64/Packages.gz', Buffer.from('not the index'));
    try {
      await expect(resolvePackages(opts())).rejects.toThrow(/sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/dists\/bookworm\/main\/binary-amd64\/Packages\.gz: expected [0-9a-f]{64}, got [0-9a-f]{64}/);
    } finally {
      served.override.delete('/dists/bookworm/main/binary-amd64/Packages.gz');
    }
  });

  it('reads Release + Release.gpg when there is no InRelease, and refuses a Release without a signature', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const bare = join(work, 'bare');
    const cp = await sh(['-c', `cp -al ${repo} ${bare} && rm ${bare}/dists/bookworm/InRelease ${bare}/dists/bookworm-updates/InRelease`]);
    expect(cp.status, cp.stderr).toBe(0);
    const r = await resolvePackages(opts({ osMirror: bare }));
    expect(r.files.length).toBeGreaterThan(10);
    const nosig = join(work, 'nosig');
    expect((await sh(['-c', `cp -al ${bare} ${nosig} && rm ${nosig}/dists/bookworm/Release.gpg`])).status).toBe(0);
    await expect(resolvePackages(opts({ osMirror: nosig }))).rejects.toThrow(/^suite bookworm: .*\/dists\/bookworm\/Release has no signature \(.*\/dists\/bookworm\/Release\.gpg missing\)$/);
  });

  it('names the package and the dependency the release cannot satisfy, and a package it does not have', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const short = join(work, 'short');
    const b = await sh([SCRIPT, 'build', debs, short, '--exclude', 'libnl-genl-3-200']);
    expect(b.status, b.stderr).toBe(0);
    await expect(resolvePackages(opts({ osMirror: short, keyringFile: join(short, 'keyring.gpg') }))).rejects.toThrow(
      /^ipvsadm 1:1\.31-1\+b1: cannot satisfy its dependency libnl-genl-3-200 \(>= [^)]+\) \(the release does not have libnl-genl-3-200\)$/,
    );
    const plan = { ...PLAN, names: [...PLAN.names, 'kubeseed-no-such-package'] };
    await expect(resolvePackages(opts({ plan }))).rejects.toThrow(/^package kubeseed-no-such-package: the release does not have it/);
  });
});

it('apt-repo.sh prints its usage', async () => {
  const r = await sh([SCRIPT]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/apt-repo\.sh serve REPO_DIR/);
});
