/**
 * Reads a state directory. No directory at all is a normal result ("absent": the caller makes a
 * new state); a directory with any file missing, unreadable or not matching is an error naming
 * that file — never a reason to regenerate.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ClusterState } from '../pki/cluster-state.js';
import { StateError, StateFileError } from './errors.js';
import { STATE_FILE_MODE, STATE_FILES, type StateFileName } from './layout.js';
import { stateFromFiles } from './parse.js';

export type ReadStateResult =
  | { readonly status: 'absent'; readonly dir: string }
  | {
      readonly status: 'present';
      readonly dir: string;
      readonly state: ClusterState;
      /** Files or directories others can read or write (the state is still used). */
      readonly warnings: readonly string[];
    };

function loosePermissions(path: string, mode: number, wanted: number): string | null {
  const bits = mode & 0o777;
  return bits & 0o077 ? `${path} has mode ${bits.toString(8).padStart(4, '0')}; expected ${wanted.toString(8).padStart(4, '0')} (it holds cluster secrets)` : null;
}

/**
 * replaceState renames the old state aside before renaming the new one in; if it stopped in
 * between, the state is not absent but parked, and a compile must not make a new CA.
 */
function interruptedReplacement(root: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(root));
  } catch {
    return;
  }
  const parked = names.filter((n) => n.startsWith(`.${basename(root)}.replaced-`)).sort();
  if (parked.length > 0) {
    throw new StateError(`state directory ${root} is missing, but ${join(dirname(root), parked[0]!)} holds the state a "kubeseed state" command was replacing when it stopped: rename it back to ${root}`);
  }
}

export function readState(dir: string): ReadStateResult {
  const root = resolve(dir);
  let rootStat;
  try {
    rootStat = statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, so there is no state there (making one says which file).
    if (code === 'ENOTDIR') return { status: 'absent', dir: root };
    if (code === 'ENOENT') {
      interruptedReplacement(root);
      return { status: 'absent', dir: root };
    }
    throw new StateError(`cannot access state directory ${root}: ${(e as Error).message}`, { cause: e });
  }
  if (!rootStat.isDirectory()) throw new StateError(`state directory ${root} exists but is not a directory`);

  const pathOf = (f: StateFileName): string => join(root, f);
  const warnings: string[] = [];
  const dirWarning = loosePermissions(root, rootStat.mode, 0o700);
  if (dirWarning) warnings.push(dirWarning);

  const missing = STATE_FILES.filter((f) => {
    try {
      lstatSync(pathOf(f));
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT';
    }
  });
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new StateFileError({
      file: first,
      path: pathOf(first),
      problem: 'missing',
      files: missing,
      detail: `missing from the state directory (also missing: ${missing.slice(1).join(', ') || 'nothing else'}); ` +
        'kubeseed will not regenerate part of a cluster\'s secrets — restore the file from a backup',
    });
  }

  const files = {} as Record<StateFileName, string>;
  for (const f of STATE_FILES) {
    const path = pathOf(f);
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a regular file');
      const w = loosePermissions(path, st.mode, STATE_FILE_MODE);
      if (w) warnings.push(w);
      files[f] = readFileSync(path, 'utf8');
    } catch (e) {
      throw new StateFileError({ file: f, path, problem: 'unreadable', detail: `cannot be read: ${(e as Error).message}`, cause: e });
    }
  }
  return { status: 'present', dir: root, state: stateFromFiles(files, pathOf), warnings };
}
