/**
 * The built CLI (dist/) must write what the sources write, in-process, as the other tests run
 * them. Three things differ there: the CLI is an esbuild bundle (scripts/bundle.mjs) with every
 * dependency inside and the shell templates precompiled (scripts/bundle-seams.mjs), and a large
 * cluster renders and writes on two threads (src/cli/node-renderer.ts); from the sources,
 * templates are compiled on use and every node renders on one thread.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { WORKER_MIN_BYTES, WORKER_MIN_NODES } from '../../src/cli/node-renderer.js';
import { cli, snapshot } from '../helpers/cli.js';
import { generatedProfile } from '../../scripts/generated-profile.mjs';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));
const WORKER = fileURLToPath(new URL('../../dist/cli/render-worker.js', import.meta.url));

describe('the built CLI writes the same trees as the sources', () => {
  it.each([['lab', 'lab'], ['ha', 'ha'], ['external-etcd', 'prod']])('profiles/%s.yaml', { timeout: 60_000 }, async (profile, cluster) => {
    expect(existsSync(BIN), 'dist/ is built (npm run build)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-built-'));
    const one = await cli('compile', `profiles/${profile}.yaml`, '--out', join(dir, 'src'));
    expect(one.code, one.err).toBe(0);
    const built = spawnSync(process.execPath, [BIN, 'compile', `profiles/${profile}.yaml`, '--out', join(dir, 'dist'), '--state', join(dir, 'src', `${cluster}.state`)], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    expect(snapshot(join(dir, 'dist', cluster))).toEqual(snapshot(join(dir, 'src', cluster)));
  });

  it('a cluster large enough for the second rendering thread', { timeout: 180_000 }, async () => {
    expect(existsSync(BIN) && existsSync(WORKER), 'dist/ is built (npm run build)').toBe(true);
    expect(availableParallelism()).toBeGreaterThan(1);
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-threads-'));
    const profile = join(dir, 'profile.yaml');
    const workers = WORKER_MIN_NODES + 100;
    writeFileSync(profile, stringify(generatedProfile(workers)));
    expect(statSync(profile).size).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);

    const one = await cli('compile', profile, '--out', join(dir, 'one'));
    expect(one.code, one.err).toBe(0);
    const state = join(dir, 'one', `bench${workers}.state`);
    const two = spawnSync(process.execPath, [BIN, 'compile', profile, '--out', join(dir, 'two'), '--state', state], { encoding: 'utf8' });
    expect(two.status, two.stderr).toBe(0);

    const a = snapshot(join(dir, 'one', `bench${workers}`));
    const b = snapshot(join(dir, 'two', `bench${workers}`));
    expect(Object.keys(a).length).toBe(3 * (workers + 3) + 2);
    expect(b).toEqual(a);
  });
});
