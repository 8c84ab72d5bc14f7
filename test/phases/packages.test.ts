/**
 * OS packages from the bundle on the node, for real: kubeseed bundle gathers the Debian 12
 * closure of the profile's package names from a real signed repository (test/ospkg/apt-repo.sh,
 * served on 127.0.0.1), and the rendered artifacts phase installs them in a throw-away root (see
 * artifacts-root.ts) with the real dpkg into an overlay of this machine's dpkg database: no
 * repository, no network. Packages this machine already has at the bundle's version are skipped;
 * the rest go to dpkg in one call; a second run changes nothing.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/emit/bundle/index.js';
import { neededArtifacts } from '../../src/plan/artifacts.js';
import { buildPlan } from '../../src/plan/build.js';
import { osPackagePlan } from '../../src/plan/os-packages.js';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import { versionTable, type VersionTable } from '../../src/plan/versions.js';
import { givenPaths } from '../../src/profile/given.js';
import { artifactsFiles, renderArtifactsPhase } from '../../src/render/artifacts/files.js';
import { parseBundleManifest } from '../../src/plan/bundle-manifest.js';
import { NODE_ENV_FILE, renderNodeEnv, scriptCommon } from '../../src/render/scripts/phases.js';
import { renderScript } from '../../src/render/scripts/template.js';
import { FAKE_SECRETS, profileFrom } from '../builders/plan.js';
import { hasTool, needRoot, needTools, run } from '../helpers/tools.js';
import { makeRoot, putFile, putNodeFiles, runInRoot, sha256Of, snapshot } from './artifacts-root.js';

const CACHE = process.env.KUBESEED_TEST_CACHE ?? '/var/cache/kubeseed-test';
const TOOLS = ['unshare:util-linux', 'dpkg-deb:dpkg', 'apt-get:apt', 'apt-ftparchive:apt-utils', 'gpg:gpg', 'gpgconf:gpgconf'] as const;
const canRun = () => process.getuid?.() === 0 && TOOLS.every((t) => hasTool(t.slice(0, t.indexOf(':'))));
const BUNDLE_AT = '/opt/kubeseed/kubeseed-bundle.tar';
const PROFILE = readFileSync('profiles/lab.yaml', 'utf8')
  .replace('family: ubuntu\n    version: "24.04"', 'family: debian\n    version: "12"')
  .replace('\n  nodes:\n', `\n  artifacts:\n    source: bundle\n    bundlePath: ${BUNDLE_AT}\n  nodes:\n`);

function bash(args: string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
  });
}

const notLogs = (p: string) => p.startsWith('/var/log');
const installedVersion = (name: string) => run('dpkg-query', ['-W', '-f=${Status} ${Version}', name]).stdout.replace(/^install ok installed /, '');

describe('OS packages from the bundle, installed by the artifacts phase with the real dpkg', () => {
  let dir: string;
  let server: Server;
  let tar: string;
  let table: VersionTable;
  let manifest: ReturnType<typeof parseBundleManifest>;
  const kubeadm = '#!/bin/sh\necho kubeadm test build\n';

  beforeAll(async () => {
    if (!canRun()) return;
    dir = mkdtempSync(join(tmpdir(), 'kubeseed-packages-'));
    // The five tools the VM image lacks (the whole Debian set also upgrades ca-certificates, whose
    // triggers take minutes on a busy machine; test/ospkg/apt.test.ts resolves the whole set).
    const full = osPackagePlan({ family: 'debian', version: '12', arch: 'amd64', ntp: false })!;
    const plan = { ...full, names: ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'socat'] };
    const debs = join(CACHE, 'debian-12-debs');
    const repo = join(dir, 'repo');
    for (const args of [['download', debs, ...plan.names], ['build', debs, repo]]) {
      const r = await bash(['test/ospkg/apt-repo.sh', ...args]);
      expect(r.status, r.stderr).toBe(0);
    }
    server = createServer((req, res) => {
      const f = normalize(join(repo, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      try {
        if (!f.startsWith(repo) || !statSync(f).isFile()) throw new Error('no');
        res.writeHead(200);
        createReadStream(f).pipe(res);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // A bundle of one stand-in kubeadm (its digest in a copy of the version table) and the packages.
    const from = join(dir, 'from');
    mkdirSync(from);
    writeFileSync(join(from, 'kubeadm'), kubeadm);
    const raw = structuredClone(versionTable()) as VersionTable;
    raw.digests.kubeadm['v1.31.12']!.amd64 = sha256Of(kubeadm);
    table = parseVersionTable(raw);
    const out = join(dir, 'bundle');
    await buildBundle({
      artifacts: neededArtifacts({ kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'debian' }, table).filter((a) => a.name === 'kubeadm' || a.kind === 'package'),
      fromDir: from,
      cacheDir: join(dir, 'cache'),
      outDir: out,
      sourceDateEpoch: 0,
      packages: { plan, osMirror: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, keyringFile: join(repo, 'keyring.gpg') },
    });
    tar = join(out, 'kubeseed-bundle.tar');
    manifest = parseBundleManifest(readFileSync(join(out, 'bundle.json'), 'utf8'));
  }, 600_000);
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('bundle.json lists each package with version, sha256 and repository, dependencies first; the tar holds them', (ctx) => {
    needRoot(ctx, 'building the bundle in this suite');
    needTools(ctx, ...TOOLS);
    const pkgs = manifest.artifacts.filter((a) => a.kind === 'package');
    expect(pkgs.length).toBeGreaterThan(5);
    for (const p of pkgs) {
      expect(p.path).toMatch(/^packages\/[a-z0-9.+-]+_[A-Za-z0-9.+~-]+_(amd64|all)\.deb$/);
      expect(p.repository).toBe('bookworm/main');
    }
    const at = (n: string) => pkgs.findIndex((p) => p.name === `package/${n}`);
    expect(at('libnl-genl-3-200')).toBeLessThan(at('ipvsadm'));
    expect(at('libnetfilter-conntrack3')).toBeLessThan(at('conntrack'));
    const members = run('tar', ['-tf', tar]).stdout.split('\n');
    for (const p of pkgs) expect(members).toContain(p.path);
    // The tar's bytes are the index's: dpkg-deb reads each member's own name and version back.
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    expect(run('tar', ['-xf', tar, '-C', tree]).status).toBe(0);
    for (const p of pkgs) {
      expect(sha256Of(readFileSync(join(tree, p.path)))).toBe(p.sha256);
      expect(run('dpkg-deb', ['-f', join(tree, p.path), 'Package']).stdout.trim()).toBe(p.name.slice('package/'.length));
    }
  });

  it('installs the packages this machine lacks in one dpkg call, skips those it has at that version, and a second run changes nothing', (ctx) => {
    needRoot(ctx, 'the artifacts phase in a throw-away root');
    needTools(ctx, ...TOOLS);
    const plan = buildPlan(profileFrom(PROFILE), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(PROFILE)), bundle: manifest, table });
    const node = plan.nodes[0]!;
    const root = makeRoot();
    putNodeFiles(root, artifactsFiles(plan, node));
    putFile(root, `${plan.os.libDir}/lib.sh`, renderScript('lib', scriptCommon(plan)));
    putFile(root, NODE_ENV_FILE, renderNodeEnv(plan, node));
    putFile(root, `${plan.os.libDir}/phases/artifacts.sh`, renderArtifactsPhase(plan), 0o755);
    putFile(root, BUNDLE_AT, readFileSync(tar));

    const pkgs = manifest.artifacts.filter((a) => a.kind === 'package');
    const has = pkgs.filter((p) => installedVersion(p.name.slice(8)) === p.version);
    const lacks = pkgs.filter((p) => !has.includes(p));
    expect(lacks.length).toBeGreaterThan(0);

    const first = runInRoot(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(first.status, first.stderr).toBe(0);
    // One dpkg call with exactly the missing packages, in the bundle's order.
    const line = first.stderr.split('\n').filter((l) => l.includes('OS packages installed from the bundle: '));
    expect(line).toHaveLength(1);
    expect(line[0]!.replace(/^.*OS packages installed from the bundle: /, '').split(' ')).toEqual(lacks.map((p) => p.path.slice('packages/'.length)));
    // The root's copy of the dpkg database has every package at the bundle's version.
    const status = readFileSync(root.host('/var/lib/dpkg/status'), 'utf8');
    for (const p of pkgs) {
      const name = p.name.slice(8);
      const stanza = status.split('\n\n').find((s) => s.startsWith(`Package: ${name}\n`)) ?? '';
      expect(stanza, name).toMatch(/^Status: install ok installed$/m);
      expect(stanza, name).toContain(`\nVersion: ${p.version}\n`);
    }
    expect(first.stderr).not.toMatch(/WARNING: OS packages not installed/);
    expect(statSync(root.host('/usr/sbin/conntrack')).isFile()).toBe(true);

    const before = snapshot(root, notLogs);
    const second = runInRoot(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/\[artifacts\] all \d+ artifacts already installed\n/);
    expect(second.stderr).toMatch(/\[artifacts\] artifacts: 0 changes\n$/);
    expect(snapshot(root, notLogs)).toEqual(before);
  }, 600_000);
});
