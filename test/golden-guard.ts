/**
 * vitest globalSetup: no golden file is written during a test run. Goldens are written only by
 * `npm run golden:update` (KUBESEED_UPDATE_GOLDEN=1); a test that wrote one during a normal run
 * would compare its output with itself and pass whatever it rendered. The fingerprint taken here
 * goes to every test file, whose afterAll (test/golden-check.ts) fails the file that changed one;
 * the teardown checks once more after the whole run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    goldenFingerprint?: Record<string, string>;
  }
}

export const GOLDEN_DIRS = ['test/golden', 'test/render/artifacts/golden'] as const;

/**
 * path → size, mtime and inode of every golden file under `root` (the test sources beside them
 * left out). Any write changes the mtime, even one of the same bytes; no content is read, so the
 * check costs a few stat calls per test file.
 */
export function goldenFingerprint(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.ts')) {
        const st = statSync(p, { bigint: true });
        out[relative(root, p)] = `${st.size}:${st.mtimeNs}:${st.ino}`;
      }
    }
  };
  for (const d of GOLDEN_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return out;
}

/** One line per golden file created, deleted or written since `before`. */
export function goldenChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths.flatMap((p) => {
    const [a, b] = [before[p], after[p]];
    if (a === b) return [];
    return [`${p}: ${a === undefined ? 'created' : b === undefined ? 'deleted' : 'written'}`];
  });
}

export const goldenMessage = (changes: readonly string[]): string =>
  `golden files changed during the test run (only npm run golden:update writes them):\n  ${changes.join('\n  ')}`;

export default function setup(project: TestProject): (() => void) | undefined {
  if (process.env.KUBESEED_UPDATE_GOLDEN === '1') return undefined;
  const root = process.cwd();
  const before = goldenFingerprint(root);
  project.provide('goldenFingerprint', before);
  return () => {
    const changes = goldenChanges(before, goldenFingerprint(root));
    if (changes.length > 0) {
      console.error(goldenMessage(changes));
      process.exitCode = 1;
    }
  };
}
