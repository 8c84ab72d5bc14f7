/**
 * Runs one `npm run bench` section on its tiny input (`node scripts/bench.mjs SECTION --smoke`,
 * through the same dispatch as npm run bench), so that a refactor cannot break a benchmark
 * silently. Nothing here looks at the figures' values: benchmarks print, they never assert. The
 * sections load the built CLI and modules from dist/, as npm run bench does after its build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Generous: each section spawns several processes on a machine shared with the rest of the suite. */
export const SMOKE_TIMEOUT = 240_000;

/** The section's stdout; fails the test on a non-zero exit, with its stderr. */
export function benchSmoke(section: string): string {
  expect(existsSync(join(ROOT, 'dist/cli/bin.js')), 'dist/ is built (npm run build)').toBe(true);
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bench.mjs'), section, '--smoke'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  expect(r.status, `bench ${section} --smoke: ${r.stderr}`).toBe(0);
  return r.stdout;
}
