/**
 * The single-file kubeseed (scripts/release.mjs, README "Single-file kubeseed"). Each artifact
 * is copied alone into an empty directory and run in a sandbox (sandbox.ts: no network but
 * loopback, nothing writable but --out, that directory as working directory and HOME, and no
 * environment at all), with the state of a compile by `node dist/cli/bin.js`: the trees must be
 * byte-identical to that compile's. Every example profile with --iso, and a cluster large enough
 * for the second rendering thread, which strace shows writing nodes from its own thread inside
 * the single file.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { WORKER_MIN_NODES } from '../../src/cli/node-renderer.js';
import { snapshot } from '../helpers/cli.js';
import { needRoot, needTools, run } from '../helpers/tools.js';
import { generatedProfile } from '../../scripts/generated-profile.mjs';
import { isolated, SANDBOX_TOOLS } from './sandbox.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
const EXE = `kubeseed-linux-${process.arch === 'x64' ? 'amd64' : process.arch}`;
const PROFILES = readdirSync(join(ROOT, 'profiles')).filter((n) => n.endsWith('.yaml')).sort().map((n) => join(ROOT, 'profiles', n));

/** How each artifact is started from the directory it was copied into, with no environment. */
const WAYS: [string, string, (dir: string) => string[]][] = [
  ['the single executable', EXE, (dir) => ['env', '-i', `HOME=${dir}`, join(dir, EXE)]],
  ['kubeseed.mjs with the system node', 'kubeseed.mjs', (dir) => ['env', '-i', `HOME=${dir}`, process.execPath, join(dir, 'kubeseed.mjs')]],
];

const made: string[] = [];
const tmp = (what: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kubeseed-${what}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function buildRelease(): string {
  const out = tmp('release');
  const r = run(process.execPath, [join(ROOT, 'scripts/release.mjs'), '--out', out]);
  if (r.status !== 0) throw new Error(`npm run release failed: ${r.stderr}`);
  return out;
}

/** An empty directory holding a copy of one artifact, and nothing else. */
function alone(release: string, name: string): string {
  const dir = tmp('alone');
  copyFileSync(join(release, name), join(dir, name));
  run('chmod', ['0755', join(dir, name)]);
  expect(readdirSync(dir)).toEqual([name]);
  return dir;
}

interface Reference {
  readonly cluster: string;
  readonly flags: readonly string[];
  readonly out: string;
  readonly state: string;
}

const references = new Map<string, Reference>();

/**
 * `node dist/cli/bin.js compile` (once per profile): the tree to match, and the state both runs
 * use. With --iso unless `iso` is false or the profile is for an Ignition family.
 */
function reference(profile: string, iso = true): Reference {
  const known = references.get(profile);
  if (known) return known;
  const doc = parse(readFileSync(profile, 'utf8'));
  const cluster: string = doc.metadata.name;
  const flags = iso && !['flatcar', 'fcos'].includes(doc.spec.os?.family) ? ['--iso'] : [];
  const out = tmp('reference');
  const r = run(process.execPath, [BIN, 'compile', profile, '--out', out, ...flags], { env: { PATH: process.env.PATH, HOME: out } });
  expect(r.status, r.stderr).toBe(0);
  const ref = { cluster, flags, out, state: join(out, `${cluster}.state`) };
  references.set(profile, ref);
  return ref;
}

let large: string | undefined;
/** A generated profile large enough for the second rendering thread (made once). */
function largeProfile(): string {
  if (!large) {
    large = join(tmp('profile'), 'profile.yaml');
    writeFileSync(large, stringify(generatedProfile(WORKER_MIN_NODES + 100)));
  }
  return large;
}

/**
 * Compiles in the sandbox with the reference's state (read-only there) into a new --out;
 * `before` (with `also`, more writable directories) goes before the command.
 */
function compileIsolated(command: string[], dir: string, profile: string, ref: Reference, before: string[] = [], also: string[] = []) {
  const out = tmp('isolated');
  const r = isolated([out, ...also], dir, [...before, ...command, 'compile', profile, '--out', out, '--state', ref.state, ...ref.flags]);
  return { r, out };
}

describe('the single-file kubeseed', () => {
  let release: string;
  // Read before the build, as the build reads it: the checkout may move on while the tests run.
  let head: string;
  beforeAll(() => {
    head = run('git', ['-C', ROOT, 'rev-parse', 'HEAD']).stdout.trim();
    release = buildRelease();
  }, 600_000);

  it('SHA256SUMS lists the three files and checks', (ctx) => {
    needTools(ctx, 'sha256sum:coreutils');
    expect(readFileSync(join(release, 'SHA256SUMS'), 'utf8')).toMatch(new RegExp(`^[0-9a-f]{64}  THIRD-PARTY-NOTICES\\.txt\\n[0-9a-f]{64}  ${EXE}\\n[0-9a-f]{64}  kubeseed\\.mjs\\n$`));
    const r = run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: release });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it.each(WAYS)('%s prints the version, the commit and the version table date', (_, name, command) => {
    const dir = alone(release, name);
    const [cmd, ...args] = command(dir);
    const r = run(cmd!, [...args, '--version'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const table = JSON.parse(readFileSync(join(ROOT, 'src/plan/versions.json'), 'utf8'));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`kubeseed ${pkg.version}`);
    expect(lines[1]).toMatch(/^[0-9a-f]{40}$/.test(head) ? new RegExp(`^commit: ${head}(-dirty)?$`) : /^commit: unknown$/);
    expect(lines[2]).toBe(`version table: ${table.updated}`);
    expect(lines[3]).toBe(`node: ${process.version} (linux-${process.arch})`);
  });

  describe.each(WAYS)('%s, alone in an empty directory, with no network and nothing writable but --out', (_, name, command) => {
    it.for(PROFILES)('compiles %s as node dist/cli/bin.js does', { timeout: 300_000 }, (profile, ctx) => {
      needRoot(ctx, 'the single-file sandbox');
      needTools(ctx, ...SANDBOX_TOOLS);
      const ref = reference(profile);
      const dir = alone(release, name);
      const { r, out } = compileIsolated(command(dir), dir, profile, ref);
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(out)).toEqual([ref.cluster]);
      const want = snapshot(join(ref.out, ref.cluster));
      if (ref.flags.includes('--iso')) expect(Object.keys(want).filter((p) => p.endsWith('/seed.iso')).length).toBeGreaterThan(0);
      expect(snapshot(join(out, ref.cluster))).toEqual(want);
    });

    // Without --iso: the seeds are written on the main thread after rendering (the example
    // profiles cover them), and 2,103 of them take minutes on 2 busy cores.
    it(`renders a ${WORKER_MIN_NODES + 100}-worker cluster on two threads as node dist/cli/bin.js does`, { timeout: 600_000 }, (ctx) => {
      needRoot(ctx, 'the single-file sandbox');
      needTools(ctx, ...SANDBOX_TOOLS, 'strace:strace');
      expect(availableParallelism()).toBeGreaterThan(1);
      const ref = reference(largeProfile(), false);
      const dir = alone(release, name);
      // strace -f writes "PID openat(...)" for every thread: the nodes' files must be created by
      // two. Into a file: on kubeseed's stderr, a pipe Node makes non-blocking, strace loses
      // lines when the pipe is full.
      const traces = tmp('strace');
      const trace = join(traces, 'trace');
      const { r, out } = compileIsolated(command(dir), dir, largeProfile(), ref, ['strace', '-f', '-qq', '--seccomp-bpf', '-e', 'trace=openat', '-o', trace], [traces]);
      expect(r.status, r.stderr).toBe(0);
      const writers = new Map<string, number>();
      for (const line of readFileSync(trace, 'utf8').split('\n')) {
        const m = /^(\d+) +openat\(AT_FDCWD, "[^"]*\/nodes\/[^/"]+\/user-data", [^)]*O_CREAT/.exec(line);
        if (m) writers.set(m[1]!, (writers.get(m[1]!) ?? 0) + 1);
      }
      const nodes = WORKER_MIN_NODES + 100 + 3;
      expect([...writers.values()].reduce((a, b) => a + b, 0)).toBe(nodes);
      expect(writers.size).toBe(2);
      for (const n of writers.values()) expect(n).toBeGreaterThan(100);
      const want = snapshot(join(ref.out, ref.cluster));
      expect(Object.keys(want).length).toBe(3 * nodes + 2);
      expect(snapshot(join(out, ref.cluster))).toEqual(want);
    });
  });

  it('the same commit and node make the same files, byte for byte', { timeout: 600_000 }, () => {
    expect(readFileSync(join(buildRelease(), 'SHA256SUMS'), 'utf8')).toBe(readFileSync(join(release, 'SHA256SUMS'), 'utf8'));
  });
});
