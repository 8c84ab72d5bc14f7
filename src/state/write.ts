/**
 * Writes a new state directory: every file 0600, every directory 0700, assembled in a temporary
 * sibling directory and renamed into place, so a crash leaves either no state or a whole one.
 * rename(2) only ever replaces an empty directory, so existing state cannot be overwritten even
 * if it appears between the check and the rename.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makeOutputDir } from '../emit/make-dir.js';
import type { ClusterState } from '../pki/cluster-state.js';
import { StateExistsError } from './errors.js';
import { STATE_DIR_MODE, STATE_FILE_MODE, STATE_FILES, STATE_SUBDIRS, stateToFiles } from './layout.js';
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

function writeFileDurably(path: string, content: string): void {
  // 'wx': never follow or reuse something already there; chmod because umask may strip bits.
  const fd = openSync(path, 'wx', STATE_FILE_MODE);
  try {
    const buf = Buffer.from(content, 'utf8');
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
