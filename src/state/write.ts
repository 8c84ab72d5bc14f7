/**
 * Writes a new state directory: every file 0600, every directory 0700, assembled in a temporary
 * sibling directory and renamed into place, so a crash leaves either no state or a whole one.
 * rename(2) only ever replaces an empty directory, so existing state cannot be overwritten even
 * if it appears between the check and the rename. replaceState swaps in a changed state
 * (renewed certificates, a new token) the same way, keeping what it replaced.
 */
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makeOutputDir } from '../emit/make-dir.js';
import type { ClusterState } from '../pki/cluster-state.js';
import { StateExistsError } from './errors.js';
import { STATE_DIR_MODE, STATE_FILE_MODE, STATE_FILES, STATE_SUBDIRS, stateToFiles, type StateFileName } from './layout.js';
import { stateFromFiles } from './parse.js';

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

function writeFileDurably(path: string, content: string | Buffer): void {
  // 'wx': never follow or reuse something already there; chmod because umask may strip bits.
  const fd = openSync(path, 'wx', STATE_FILE_MODE);
  try {
    const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, STATE_FILE_MODE);
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function mkdirPrivate(path: string): void {
  mkdirSync(path, { mode: STATE_DIR_MODE });
  chmodSync(path, STATE_DIR_MODE);
}

/**
 * Creates `dir` holding `state`. Throws StateExistsError if `dir` exists (even empty), and a
 * StateFileError if `state` would not read back (it is checked with readState's own checks
 * before anything is written). Missing parent directories are created (0700).
 */
export function writeState(dir: string, state: ClusterState): void {
  const target = resolve(dir);
  const files = stateToFiles(state);
  stateFromFiles(files, (f) => join(target, f));
  if (exists(target)) throw new StateExistsError(target);

  const parent = dirname(target);
  makeOutputDir(parent, STATE_DIR_MODE);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    chmodSync(tmp, STATE_DIR_MODE);
    for (const sub of STATE_SUBDIRS) mkdirPrivate(join(tmp, sub));
    for (const name of STATE_FILES) writeFileDurably(join(tmp, name), files[name]);
    for (const sub of STATE_SUBDIRS) fsyncDir(join(tmp, sub));
    fsyncDir(tmp);
    try {
      renameSync(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new StateExistsError(target, { cause: e });
      }
      throw e;
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(parent);
}

/** Where a replaced state waits while its successor is renamed into place (see replaceState). */
export function replacedStatePrefix(target: string): string {
  return `.${basename(target)}.replaced-`;
}

/** `20260301T120000Z`: a backup directory name that sorts by time and needs no quoting. */
function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Copies the tree `from` into `to` (which exists), directories and regular files, but not the paths `skip` names. */
function copyTree(from: string, to: string, skip: ReadonlySet<string>, rel = ''): void {
  for (const e of readdirSync(join(from, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (skip.has(r)) continue;
    if (e.isDirectory()) {
      mkdirPrivate(join(to, r));
      copyTree(from, to, skip, r);
    } else if (e.isFile()) {
      writeFileDurably(join(to, r), readFileSync(join(from, r)));
    }
  }
}

/**
 * Replaces the state in `dir` with `next` as one step, keeping the files that change in a dated
 * backup inside the state directory (`backup/<time>-<why>/`, next to earlier backups). The new
 * directory is assembled beside the old one and swapped in with two renames; were the process to
 * stop between them, readState finds the old state under `.<name>.replaced-*` and says so instead
 * of treating the state as absent. Returns the backup directory.
 */
export function replaceState(dir: string, next: ClusterState, opts: { now: Date; why: string; changed: readonly StateFileName[] }): string {
  const target = resolve(dir);
  const files = stateToFiles(next);
  stateFromFiles(files, (f) => join(target, f));
  const parent = dirname(target);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  let backup = `backup/${stamp(opts.now)}-${opts.why}`;
  try {
    chmodSync(tmp, STATE_DIR_MODE);
    // Earlier backups and anything else the directory holds come along unchanged.
    copyTree(target, tmp, new Set<string>(STATE_FILES));
    for (let n = 2; exists(join(tmp, backup)); n++) backup = `backup/${stamp(opts.now)}-${opts.why}-${n}`;
    if (!exists(join(tmp, 'backup'))) mkdirPrivate(join(tmp, 'backup'));
    mkdirPrivate(join(tmp, backup));
    for (const name of opts.changed) {
      const to = join(tmp, backup, name);
      if (!exists(dirname(to))) mkdirPrivate(dirname(to));
      writeFileDurably(to, readFileSync(join(target, name)));
    }
    for (const sub of STATE_SUBDIRS) if (!exists(join(tmp, sub))) mkdirPrivate(join(tmp, sub));
    for (const name of STATE_FILES) writeFileDurably(join(tmp, name), files[name]);
    for (const sub of [...STATE_SUBDIRS, 'backup', backup]) fsyncDir(join(tmp, sub));
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // rename(2) replaces an empty directory: the fresh name mkdtemp reserved.
  const old = mkdtempSync(join(parent, replacedStatePrefix(target)));
  renameSync(target, old);
  try {
    renameSync(tmp, target);
  } catch (e) {
    renameSync(old, target);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(parent);
  rmSync(old, { recursive: true, force: true });
  return join(target, backup);
}
