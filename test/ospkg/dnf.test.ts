/**
 * kubeseed's dnf side against real rpm-md metadata: small RPMs built here with rpmbuild (real
 * headers: a versioned Requires, a file Requires, a rich `(a or b)` Requires, a virtual Provides,
 * two versions of one package), indexed by createrepo_c with a comps file whose core group is the
 * minimal install, repomd.xml signed with a throw-away gpg key, served on 127.0.0.1.
 *
 * The reference is dnf itself: in an empty --installroot it installs the core group, then
 * `dnf install --assumeno` (no weak dependencies) lists what it would add for the requested
 * names; kubeseed must ship exactly that.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherPackages, resolvePackages } from '../../src/emit/bundle/packages.js';
import type { OsPackagePlan } from '../../src/plan/os-packages.js';
import { hasTool, needTools, run } from '../helpers/tools.js';

const TOOLS = ['rpmbuild:rpm', 'createrepo_c:createrepo-c', 'dnf:dnf', 'gpg:gpg', 'gpgconf:gpgconf'] as const;
const canRun = () => TOOLS.every((t) => hasTool(t.slice(0, t.indexOf(':'))));

/** name, version, extra spec lines, files under /usr/bin. */
const RPMS: readonly [string, string, string[], string[]][] = [
  ['ks-base', '1.0', [], []],
  ['ks-lib', '1.1', [], []],
  ['ks-lib', '1.3', [], []],
  ['ks-helper', '2.0', [], ['ks-helper']],
  ['ks-alt-b', '1.0', [], []],
  ['ks-virt-provider', '1.0', ['Provides: ks-virt = 1.0'], []],
  ['ks-tool', '1.0', ['Requires: ks-lib >= 1.2', 'Requires: /usr/bin/ks-helper', 'Requires: ks-base', 'Requires: (ks-alt-a or ks-alt-b)', 'Requires: ks-virt'], []],
  ['ks-unrelated', '1.0', [], []],
  ['ks-needs-missing', '1.0', ['Requires: ks-nowhere >= 2'], []],
];

const COMPS = `<?xml version="1.0" encoding="UTF-8"?>
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <packagelist>
      <packagereq type="mandatory">ks-base</packagereq>
    </packagelist>
  </group>
</comps>
`;

function ok(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function spec(name: string, version: string, extra: string[], bins: string[]): string {
  return [
    `Name: ${name}`, `Version: ${version}`, 'Release: 1', `Summary: kubeseed test ${name}`, 'License: MIT', 'BuildArch: noarch',
    // Only the dependencies written here: no automatic ones from the files' contents.
    'AutoReqProv: no', ...extra, '%description', `kubeseed test package ${name}`, '%install',
    'mkdir -p %{buildroot}/usr/share/kubeseed-test %{buildroot}/usr/bin', `echo ${name} > %{buildroot}/usr/share/kubeseed-test/${name}`,
    ...bins.map((b) => `echo ${b} > %{buildroot}/usr/bin/${b}`),
    '%files', `/usr/share/kubeseed-test/${name}`, ...bins.map((b) => `/usr/bin/${b}`), '',
  ].join('\n');
}

describe('dnf: rpm-md metadata by createrepo_c over RPMs built with rpmbuild', () => {
  let dir: string;
  let repo: string;
  let server: Server;
  let url: string;
  const override = new Map<string, Buffer>();

  beforeAll(async () => {
    if (!canRun()) return;
    dir = mkdtempSync(join(tmpdir(), 'kubeseed-dnf-'));
    const top = join(dir, 'rpmbuild');
    mkdirSync(join(top, 'SPECS'), { recursive: true });
    for (const [n, v, extra, bins] of RPMS) {
      const f = join(top, 'SPECS', `${n}-${v}.spec`);
      writeFileSync(f, spec(n, v, extra, bins));
      ok('rpmbuild', ['--quiet', '--define', `_topdir ${top}`, '-bb', f]);
    }
    repo = join(dir, 'mirror', 'el', 'repo');
    mkdirSync(join(repo, 'Packages'), { recursive: true });
    for (const f of readdirSync(join(top, 'RPMS', 'noarch'))) copyFileSync(join(top, 'RPMS', 'noarch', f), join(repo, 'Packages', f));
    writeFileSync(join(dir, 'comps.xml'), COMPS);
    ok('createrepo_c', ['-q', '-g', join(dir, 'comps.xml'), repo]);
    const env = { ...process.env, GNUPGHOME: join(dir, 'gnupg') };
    mkdirSync(env.GNUPGHOME, { mode: 0o700 });
    ok('gpg', ['--batch', '--quiet', '--passphrase', '', '--quick-gen-key', 'kubeseed test repo <test@kubeseed.invalid>', 'ed25519', 'sign', '1d'], env);
    writeFileSync(join(dir, 'keyring.asc'), ok('gpg', ['--batch', '--armor', '--export'], env));
    ok('gpg', ['--batch', '--armor', '--detach-sign', '-o', join(repo, 'repodata/repomd.xml.asc'), join(repo, 'repodata/repomd.xml')], env);
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
    const root = join(dir, 'mirror');
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let body = override.get(path) ?? null;
      if (!body) {
        const f = normalize(join(root, path));
        try {
          if (f.startsWith(root) && statSync(f).isFile()) body = readFileSync(f);
        } catch {}
      }
      res.writeHead(body ? 200 : 404).end(body ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 300_000);
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  const plan = (names: string[]): OsPackagePlan => ({
    release: 'rocky-9', arch: 'amd64', names,
    repositories: { manager: 'dnf', mirror: null, repos: [{ id: 'test', path: 'el/repo' }], keyring: 'keyring.asc', source: 'test' },
  });
  const opts = (names: string[], extra = {}) => ({
    plan: plan(names), osMirror: url, keyringFile: join(dir, 'keyring.asc'), cacheDir: join(dir, `cache-${Math.random().toString(36).slice(2)}`), ...extra,
  });

  /** dnf's own answer: what `dnf install --assumeno NAMES` adds in a root that has the core group. */
  function dnfReference(names: string[]): { status: number; packages: string[]; output: string } {
    const root = mkdtempSync(join(dir, 'root-'));
    const dnf = ['-y', `--installroot=${root}`, '--releasever=9', '--setopt=reposdir=/nonexistent', `--repofrompath=t,file://${repo}`,
      '--setopt=t.gpgcheck=0', '--nogpgcheck', '--setopt=install_weak_deps=False', `--setopt=cachedir=${root}/var/cache/dnf`];
    ok('dnf', [...dnf, '-q', 'group', 'install', 'core']);
    const r = run('dnf', [...dnf, 'install', '--assumeno', ...names]);
    const out = r.stdout + r.stderr;
    const lines = out.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Installing:'));
    const end = lines.findIndex((l, i) => i > start && l.startsWith('Transaction Summary'));
    const packages = start < 0 ? [] : lines.slice(start, end)
      .map((l) => l.trim().split(/\s+/))
      .filter((w) => w.length >= 5 && w[1] === 'noarch')
      .map((w) => `${w[0]} ${w[2]}`);
    return { status: r.status, packages: packages.sort(), output: out };
  }

  it('ships exactly what dnf installs over the core group: versioned, file, rich and virtual requirements', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const ref = dnfReference(['ks-tool']);
    expect(ref.packages, ref.output).toEqual(['ks-alt-b 1.0-1', 'ks-helper 2.0-1', 'ks-lib 1.3-1', 'ks-tool 1.0-1', 'ks-virt-provider 1.0-1']);
    const r = await resolvePackages(opts(['ks-tool']));
    expect(r.files.map((f) => `${f.name} ${f.version}`).sort()).toEqual(ref.packages);
    expect(r.base).toEqual(['ks-base']);
    expect(r.files.at(-1)!.name).toBe('ks-tool');
    expect(r.signatures).toEqual([{ repository: 'test', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) }]);
    const g = await gatherPackages(opts(['ks-tool']));
    for (const p of g.packages) expect(readFileSync(p.path).equals(readFileSync(join(repo, 'Packages', p.artifact.fileName!)))).toBe(true);
  });

  it('a requirement nothing provides: dnf refuses, and so does kubeseed, naming package and requirement', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const ref = dnfReference(['ks-needs-missing']);
    expect(ref.status).not.toBe(0);
    expect(ref.output).toMatch(/nothing provides ks-nowhere >= 2/);
    await expect(resolvePackages(opts(['ks-needs-missing']))).rejects.toThrow(
      /^ks-needs-missing-1\.0-1\.noarch: requires ks-nowhere >= 2, which no package of the release provides$/,
    );
    await expect(resolvePackages(opts(['ks-not-here']))).rejects.toThrow(/^package ks-not-here: the release does not have it/);
  });

  it('refuses an .rpm whose sha256 is not primary.xml\'s, a repomd.xml changed after signing, and another key', async (ctx) => {
    needTools(ctx, ...TOOLS);
    const lib = '/el/repo/Packages/ks-lib-1.3-1.noarch.rpm';
    override.set(lib, Buffer.concat([readFileSync(join(dir, 'mirror', lib)), Buffer.from('x')]));
    try {
      await expect(gatherPackages(opts(['ks-tool']))).rejects.toThrow(/^package ks-lib 1\.3-1: http:\/\/127\.0\.0\.1:\d+\/el\/repo\/Packages\/ks-lib-1\.3-1\.noarch\.rpm has sha256 [0-9a-f]{64}, the signed index says [0-9a-f]{64} \(test\)$/);
    } finally {
      override.delete(lib);
    }
    const md = readFileSync(join(repo, 'repodata/repomd.xml'), 'utf8');
    override.set('/el/repo/repodata/repomd.xml', Buffer.from(md.replace('<revision>', '<revision>1')));
    try {
      await expect(resolvePackages(opts(['ks-tool']))).rejects.toThrow(/^http:\/\/127\.0\.0\.1:\d+\/el\/repo\/repodata\/repomd\.xml\.asc: BAD signature by key [0-9a-f]{16}: /);
    } finally {
      override.delete('/el/repo/repodata/repomd.xml');
    }
    const other = join(dir, 'other');
    mkdirSync(other, { mode: 0o700 });
    const env = { ...process.env, GNUPGHOME: other };
    ok('gpg', ['--batch', '--quiet', '--passphrase', '', '--quick-gen-key', 'someone else <x@kubeseed.invalid>', 'ed25519', 'sign', '1d'], env);
    writeFileSync(join(other, 'keyring.asc'), ok('gpg', ['--batch', '--armor', '--export'], env));
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
    await expect(resolvePackages(opts(['ks-tool'], { keyringFile: join(other, 'keyring.asc') }))).rejects.toThrow(/repomd\.xml\.asc: no signature by a key in the keyring/);
  });
});
