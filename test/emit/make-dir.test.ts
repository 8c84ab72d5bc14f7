/**
 * Output directories a new user gets wrong: each case as `kubeseed compile` (and the bundle and
 * state writers) meets it, with its message and exit code, under a time limit: Node's own
 * recursive mkdir never returned on a path under /proc. The read-only and permission cases are
 * real: a read-only tmpfs in a private mount namespace, and the CLI run as user nobody.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/emit/bundle/build.js';
import { makeOutputDir, OutputDirError } from '../../src/emit/make-dir.js';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { writeState } from '../../src/state/write.js';
import { makeFixture, writeFromDir } from '../bundle/fixture.js';
import { cli } from '../helpers/cli.js';
import { needRoot, needTools, run } from '../helpers/tools.js';

// Each of these answers at once (well under a second of its own); 30 s leaves room for module
// loading on a loaded machine, not for a loop.
const LIMIT = 30_000;
const tmp = () => mkdtempSync(join(tmpdir(), 'kubeseed-outdir-'));
const BIN = join(import.meta.dirname, '../../dist/cli/bin.js');

describe('makeOutputDir', () => {
  it('makes the missing levels, each with the given mode, and accepts an existing directory', () => {
    const d = tmp();
    makeOutputDir(join(d, 'a/b/c'), 0o700);
    for (const p of ['a', 'a/b', 'a/b/c']) expect(statSync(join(d, p)).mode & 0o777).toBe(0o700 & ~process.umask());
    makeOutputDir(join(d, 'a/b/c'));
    makeOutputDir(d);
  });

  it('names the file in the way', () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), '');
    expect(() => makeOutputDir(join(d, 'f/a/b'))).toThrow(new OutputDirError(join(d, 'f/a/b'), `${join(d, 'f')} is not a directory`));
    expect(() => makeOutputDir(join(d, 'f'))).toThrow(`cannot create ${join(d, 'f')}: it exists and is not a directory`);
    expect(readdirSync(d)).toEqual(['f']);
  });

  it('returns at once on a path under /proc', () => {
    expect(() => makeOutputDir('/proc/kubeseed-x/out')).toThrow('cannot create /proc/kubeseed-x/out: /proc takes no new directories');
  }, LIMIT);
});

/** stderr without the warnings compile prints before it writes (the token's TTL, no pod network). */
const errors = (stderr: string): string => stderr.split('\n').filter((l) => !l.startsWith('warning: ')).join('\n');

describe('kubeseed compile --out', () => {
  it('under /proc: exit 1 with the cause, at once', async () => {
    const r = await cli('compile', 'profiles/lab.yaml', '--out', '/proc/x');
    expect(r.code).toBe(1);
    expect(errors(r.err)).toBe('kubeseed compile: cannot create /proc/x: /proc takes no new directories\n');
  }, LIMIT);

  it('through a file: exit 1 naming the file, nothing written', async () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'x');
    const r = await cli('compile', 'profiles/lab.yaml', '--out', join(d, 'f/out'));
    expect(r.code).toBe(1);
    expect(errors(r.err)).toBe(`kubeseed compile: cannot create ${join(d, 'f/out')}: ${join(d, 'f')} is not a directory\n`);
    expect(readdirSync(d)).toEqual(['f']);
  }, LIMIT);

  it('on a read-only file system: exit 1, "read-only file system"', (ctx) => {
    needRoot(ctx, 'a read-only tmpfs mount');
    needTools(ctx, 'unshare:util-linux', 'timeout:coreutils');
    const d = tmp();
    mkdirSync(join(d, 'ro'));
    const r = run('unshare', ['--mount', 'bash', '-c', 'mount -t tmpfs -o ro none "$1" && timeout 10 "$2" "$3" compile profiles/lab.yaml --out "$1/out"', 'x', join(d, 'ro'), process.execPath, BIN]);
    expect(errors(r.stderr)).toBe(`kubeseed compile: cannot create ${join(d, 'ro/out')}: read-only file system\n`);
    expect(r.status).toBe(1);
  }, LIMIT);

  it('in a directory the user may not write: exit 1, "permission denied"', (ctx) => {
    needRoot(ctx, 'running the CLI as user nobody');
    needTools(ctx, 'setpriv:util-linux', 'timeout:coreutils');
    const d = tmp();
    chmodSync(d, 0o755);
    mkdirSync(join(d, 'locked'), { mode: 0o555 });
    const r = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'timeout', '10', process.execPath, BIN, 'compile', 'profiles/lab.yaml', '--out', join(d, 'locked/out')]);
    expect(errors(r.stderr)).toBe(`kubeseed compile: cannot create ${join(d, 'locked/out')}: permission denied (${join(d, 'locked')} is not writable for this user)\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(join(d, 'locked'))).toEqual([]);
  }, LIMIT);
});

describe('the other writers use the same function', () => {
  it('the state: under /proc', () => {
    const state = createClusterState({ keyAlgorithm: 'ecdsa', now: new Date('2026-01-01T00:00:00Z'), tokenTtlSeconds: 0, clusterName: 'c', kubernetesVersion: 'v1.31.12', endpoint: { host: 'a', port: 6443 } });
    expect(() => writeState('/proc/x/c.state', state)).toThrow('cannot create /proc/x: /proc takes no new directories');
  }, LIMIT);

  it('the bundle: under /proc, and its cache', async () => {
    const fx = makeFixture();
    const d = tmp();
    const from = writeFromDir(join(d, 'from'), fx);
    await expect(buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir: from, cacheDir: join(d, 'cache'), outDir: '/proc/x/out' })).rejects.toThrow('cannot create /proc/x: /proc takes no new directories');
    expect(existsSync(join(d, 'cache'))).toBe(false);
  }, LIMIT);
});
