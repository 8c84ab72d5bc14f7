/**
 * Where the second rendering thread's code is (node-renderer.ts). In dist/cli it is the bundled
 * render-worker.js beside this module; run from the sources (the unit tests) there is none, and
 * every node renders on the main thread.
 *
 * The single-file release (scripts/release.mjs) has nothing beside it, and its single executable
 * cannot load a file as a module at all: it replaces this module with one that carries the
 * worker's bundled code as text, run with `eval` (a CommonJS script, which a worker can run
 * wherever Node runs, inside a single executable application too).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerScript {
  /** A file URL, or the code itself when `eval` is set. */
  readonly script: URL | string;
  readonly eval: boolean;
}

export function renderWorkerScript(): WorkerScript | undefined {
  const file = new URL('./render-worker.js', import.meta.url);
  return existsSync(fileURLToPath(file)) ? { script: file, eval: false } : undefined;
}
