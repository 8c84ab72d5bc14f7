/**
 * Writes files into a staging directory, synchronously, on the calling thread. Each rendering
 * thread owns one and writes the nodes it rendered, so no file's bytes cross threads: copying
 * them (and collecting the copies) cost more than the writes themselves.
 *
 * A reclaimed staging directory (see tree.ts) already holds an older tree: a file there that
 * holds the right bytes and mode is kept, anything else in the way is removed. A file absent
 * there but unchanged in the current tree is hard-linked from it. Nothing is ever written in
 * place, only created or unlinked, because the current tree shares those inodes.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { manifestEntryOf, type ManifestEntry } from './manifest.js';

/** Where a compile stages its tree; plain data, so it can be handed to another thread. */
export interface StagingPlace {
  readonly dir: string;
  /** Whether dir holds an older tree to update rather than being empty. */
  readonly reclaimed: boolean;
  /** The tree in place now, if any, to hard-link unchanged files from. */
  readonly current: string | undefined;
  readonly umask: number;
  readonly uid: number | undefined;
}

/**
 * Every directory of an output tree: the tree holds admin.conf and every node's secrets (0600
 * files), and a directory only its owner may enter keeps them so whatever the files' own modes
 * and whatever OUT/ is (an existing 0755 directory, the state kept elsewhere).
 */
export const TREE_DIR_MODE = 0o700;

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW;

const lstatIfAny = (path: string): Stats | undefined => lstatSync(path, { throwIfNoEntry: false });
const sameFile = (a: Stats, b: Stats | undefined): boolean => b !== undefined && a.ino === b.ino && a.dev === b.dev;
const twice = (path: string): Error => Object.assign(new Error(`EEXIST: written twice in one compile, ${path}`), { code: 'EEXIST' });

export class StageWriter {
  /** Directories made or checked, and files written, by this writer. */
  private readonly made = new Set<string>();
  private readonly written = new Set<string>();
  /** One read buffer, grown as needed, for comparing with files already on disk. */
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private encoding = Buffer.allocUnsafe(256 * 1024);

  constructor(private readonly place: StagingPlace) {
    this.made.add(place.dir);
  }

  /** Puts one file in place and returns its manifest entry. */
  write(f: OutputFile): ManifestEntry {
    const { dir, reclaimed, current, umask } = this.place;
    const bytes = typeof f.content === 'string' ? this.encoded(f.content) : f.content;
    const target = join(dir, f.path);
    if (this.made.has(target) || this.written.has(target)) throw twice(target);
    this.mkdirs(dirname(target));
    const inCurrent = current === undefined ? undefined : join(current, f.path);
    // A reclaimed file's second name, if any, must be the same file in the current tree (the
    // previous compile linked it there).
    const kept = reclaimed && this.holdsExactly(target, bytes, f.mode, (st) => st.nlink === 1
      || (st.nlink === 2 && inCurrent !== undefined && sameFile(st, lstatIfAny(inCurrent))));
    if (!kept) {
      if (reclaimed && lstatIfAny(target) !== undefined) this.removeStale(target);
      if (!(inCurrent !== undefined && this.holdsExactly(inCurrent, bytes, f.mode, (st) => st.nlink === 1) && tryLink(inCurrent, target))) {
        const fd = openSync(target, CREATE, f.mode);
        try {
          for (let done = 0; done < bytes.byteLength;) done += writeSync(fd, bytes, done, bytes.byteLength - done);
        } finally {
          closeSync(fd);
        }
        if ((f.mode & ~umask) !== f.mode) chmodSync(target, f.mode);
      }
    }
    this.written.add(target);
    return manifestEntryOf(f.path, createHash('sha256').update(bytes).digest('hex'), bytes.byteLength, f.mode);
  }

  /**
   * A string's UTF-8 bytes, in a buffer reused from file to file: a new one per file is garbage
   * the collector has to chase, and outside the heap it counts towards peak RSS in full.
   */
  private encoded(text: string): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.encoding.byteLength < text.length * 3) this.encoding = Buffer.allocUnsafe(Math.max(text.length * 3, this.encoding.byteLength * 2));
    return this.encoding.subarray(0, this.encoding.write(text, 0, 'utf8'));
  }

  private mkdirs(d: string): void {
    if (this.made.has(d)) return;
    this.mkdirs(dirname(d));
    const st = this.place.reclaimed ? lstatIfAny(d) : undefined;
    if (st?.isDirectory()) {
      if ((st.mode & 0o7777) !== TREE_DIR_MODE) chmodSync(d, TREE_DIR_MODE);
    } else {
      if (st !== undefined) this.removeStale(d);
      try {
        mkdirSync(d, { mode: TREE_DIR_MODE });
      } catch (e) {
        // Another thread's writer may have made a directory both share (nodes/).
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !lstatIfAny(d)?.isDirectory()) throw e;
      }
    }
    this.made.add(d);
  }

  /** Whatever a reclaimed tree holds at path (a file, a symlink, a directory) goes. */
  private removeStale(path: string): void {
    if (this.made.has(path) || this.written.has(path)) throw twice(path);
    rmSync(path, { recursive: true, force: true });
  }

  /** Same bytes, same mode, ours, and no other name than `links` allows that could change it later. */
  private holdsExactly(path: string, bytes: Uint8Array, mode: number, links: (st: Stats) => boolean): boolean {
    let fd: number;
    try {
      fd = openSync(path, READ);
    } catch {
      return false;
    }
    try {
      const st = fstatSync(fd);
      const { uid } = this.place;
      if (!st.isFile() || st.size !== bytes.byteLength || (st.mode & 0o7777) !== mode || !links(st)
        || (uid !== undefined && st.uid !== uid)) return false;
      if (this.scratch.byteLength < bytes.byteLength + 1) this.scratch = Buffer.allocUnsafe(Math.max(bytes.byteLength + 1, this.scratch.byteLength * 2));
      // One byte more than expected, to see a file that grew.
      const old = this.scratch.subarray(0, bytes.byteLength + 1);
      let got = 0;
      for (let n; (n = readSync(fd, old, got, old.byteLength - got, got)) > 0;) {
        got += n;
        if (got === old.byteLength) return false;
      }
      return got === bytes.byteLength && old.subarray(0, got).equals(bytes);
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch {
    // No hard links on this file system: the caller writes the file.
    return false;
  }
}

/**
 * Removes from a reclaimed staging directory everything no writer wrote (`written`, paths
 * relative to dir): nodes that left the profile, files no longer made, anything else put there.
 * Directories are not followed through symlinks.
 */
export function sweepStaging(dir: string, written: readonly string[]): void {
  const keep = new Set(written);
  const dirs = new Set<string>();
  for (const p of written) for (let d = dirname(p); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && dirs.has(p)) walk(p);
      else if (!keep.has(p)) rmSync(join(dir, p), { recursive: true, force: true });
    }
  };
  walk('');
}
