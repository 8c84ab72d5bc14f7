/**
 * The npm package, unpacked alone: dist/cli carries every dependency (scripts/bundle.mjs), so
 * `node package/dist/cli/bin.js` runs with no node_modules, and the package declares no
 * dependency for npm to fetch (an offline `npm install -g kubeseed-<version>.tgz` needs none).
 * Run in the sandbox (no network, nothing writable but --out), it writes the tree that
 * `node dist/cli/bin.js` writes with the same state.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/cli.js';
import { needRoot, needTools, run } from '../helpers/tools.js';
import { isolated, SANDBOX_TOOLS } from './sandbox.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const made: string[] = [];
const tmp = (what: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kubeseed-${what}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('unpacked in an empty directory, compiles profiles/ha.yaml --iso as dist/ does', { timeout: 300_000 }, (ctx) => {
    needRoot(ctx, 'the npm package sandbox');
    needTools(ctx, ...SANDBOX_TOOLS, 'tar:tar');
    // --ignore-scripts: packs the dist/ the test run built, without building it again.
    const packs = tmp('pack');
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], { cwd: ROOT });
    expect(pack.status, pack.stderr).toBe(0);
    const { filename } = (JSON.parse(pack.stdout) as [{ filename: string }])[0];
    const dir = tmp('unpacked');
    expect(run('tar', ['-xzf', join(packs, filename), '-C', dir]).status).toBe(0);
    expect(readdirSync(dir)).toEqual(['package']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}, 'dist/cli bundles every dependency: npm has nothing to fetch').toEqual({});
    expect(readdirSync(join(dir, 'package/dist')), 'the bundle alone, not tsc\'s modules').toEqual(['cli']);

    const ref = tmp('reference');
    const r1 = run(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'compile', join(ROOT, 'profiles/ha.yaml'), '--out', ref, '--iso']);
    expect(r1.status, r1.stderr).toBe(0);
    const out = tmp('isolated');
    const r2 = isolated([out], dir, ['env', '-i', `HOME=${dir}`, process.execPath, 'package/dist/cli/bin.js', 'compile', 'package/profiles/ha.yaml', '--out', out, '--state', join(ref, 'ha.state'), '--iso']);
    expect(r2.status, r2.stderr).toBe(0);
    expect(snapshot(join(out, 'ha'))).toEqual(snapshot(join(ref, 'ha')));
  });
});
