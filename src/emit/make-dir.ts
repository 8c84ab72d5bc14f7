/**
 * Output directories (the compile tree, the state, the bundle and its cache) are made here, never
 * with `mkdirSync(dir, { recursive: true })`: Node's recursive mkdir loops forever on a path
 * under /proc (mkdir /proc/x: ENOENT, mkdir /proc: EEXIST, again), and on a read-only mount it
 * reports ENOENT for the target, which is not the cause. Instead: walk up to the nearest existing
 * ancestor, check that it is a directory this process may write, then create downwards, one
 * level at a time, and say what is wrong in words.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A directory kubeseed was asked to write into cannot be made; the message names it and the cause. */
export class OutputDirError extends Error {
  constructor(
    readonly dir: string,
    cause: string,
  ) {
    super(`cannot create ${dir}: ${cause}`);
    this.name = 'OutputDirError';
  }
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/** The cause of a failed stat, access or mkdir at `at`, in words. */
function cause(errno: string, at: string): string {
  switch (errno) {
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${at} is not writable for this user)`;
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    // The parent exists, yet mkdir says it does not: a file system that takes no new entries
    // (proc, sysfs).
    case 'ENOENT':
      return `${at} takes no new directories`;
    default:
      return `${errno} at ${at}`;
  }
}

/** 'dir', 'other' (exists, not a directory), or the error code of stat(path). */
function kind(path: string): string {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch (e) {
    return code(e);
  }
}

/**
 * Makes `dir` and its missing parents (each with `mode`, before the umask), or throws an
 * OutputDirError naming the cause. An existing directory is fine.
 */
export function makeOutputDir(dir: string, mode = 0o777): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (let k = kind(at); k !== 'dir'; k = kind(at)) {
    if (k === 'other') throw new OutputDirError(target, at === target ? 'it exists and is not a directory' : `${at} is not a directory`);
    // ENOTDIR: a file further up; keep walking to name it.
    if ((k !== 'ENOENT' && k !== 'ENOTDIR') || at === dirname(at)) throw new OutputDirError(target, cause(k, at));
    missing.push(at);
    at = dirname(at);
  }
  if (missing.length === 0) return;
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new OutputDirError(target, cause(code(e), at));
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
    } catch (e) {
      // Made meanwhile by someone else: fine if it is a directory.
      if (code(e) === 'EEXIST' && kind(d) === 'dir') continue;
      throw new OutputDirError(target, code(e) === 'EEXIST' ? `${d} is not a directory` : cause(code(e), dirname(d)));
    }
  }
}
