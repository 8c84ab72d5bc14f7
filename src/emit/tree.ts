/**
 * Writes out/<cluster>/ all at once: every file goes into a staging directory next to the
 * target, and only a complete tree is renamed into place. A failure leaves the previous tree
 * exactly as it was.
 *
 * Files are written asynchronously on libuv's thread pool, a bounded number at a time, so the
 * kernel's side of creating thousands of files (inode allocation dominates on ext4) runs on
 * another CPU while the caller renders the next node. The caller hands files over with
 * `writeStaged`, lets completions run with `settleStaged` between nodes, and must call
 * `flushStaged` before anything reads the staging directory.
 *
 * On a re-compile, a file whose bytes and mode equal the previous tree's file at the same path
 * is hard-linked from it instead of written. A new inode costs the kernel far more than a link
 * (on ext4 without a journal, allocation walks past every inode freed in the last ~30 s, and a
 * re-compile frees a whole tree), and the old tree's removal then frees no inode for those
 * files. The previous tree is only read and linked from, never written: a failed compile still
 * leaves it as it was (its files' link counts go back when the staging directory is removed).
 */
import {
  chmod, chmodSync, close, constants, existsSync, fstat, link, lstatSync, mkdir, mkdirSync, mkdtempSync, open, read, renameSync, rmSync,
  write, writeFileSync, type Stats,
} from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { manifestEntry, renderManifest, type ManifestEntry } from './manifest.js';

/** How many files may be between open and close at once. Past this the caller waits. */
const MAX_IN_FLIGHT = 64;
/** ... and how many bytes they may hold, so a few huge files cannot pile up in memory. */
const MAX_BYTES_IN_FLIGHT = 32 << 20;

export interface StagedTree {
  readonly dir: string;
  /** The tree this compile replaces, whose unchanged files are linked rather than rewritten. */
  readonly previous: string | undefined;
  readonly entries: ManifestEntry[];
  /** Directories made or being made (their mkdir), so each is made once. */
  readonly made: Map<string, Promise<void>>;
  inFlight: number;
  bytesInFlight: number;
  /** The first failed write: reported by the next settleStaged or flushStaged. */
  error: unknown;
  /** Resolved (and cleared) whenever a write finishes, for callers waiting for room. */
  wake: (() => void) | undefined;
}

/** The process umask, read once (process.umask() without an argument is deprecated). */
const UMASK = (() => {
  const old = process.umask(0o022);
  process.umask(old);
  return old;
})();

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const READ = constants.O_RDONLY | constants.O_NOFOLLOW;
const UID = process.getuid?.();

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Makes the staging directory; callers add files, then commit or abandon it. */
export function stageTree(outDir: string, cluster: string): StagedTree {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(outDir, `.${cluster}.staging-`));
  chmodSync(dir, 0o755);
  const target = join(outDir, cluster);
  const previous = isDirectory(target) ? target : undefined;
  return { dir, previous, entries: [], made: new Map([[dir, Promise.resolve()]]), inFlight: 0, bytesInFlight: 0, error: undefined, wake: undefined };
}

const mkdirOnce = (tree: StagedTree, dir: string): Promise<void> => {
  let made = tree.made.get(dir);
  if (made === undefined) {
    const parent = dirname(dir);
    // Parents first, each once: `nodes/` is made by the first node, not a thousand times.
    made = mkdirOnce(tree, parent).then(() => new Promise<void>((res, rej) => {
      mkdir(dir, { mode: 0o755 }, (e) => (e ? rej(e) : res()));
    }));
    tree.made.set(dir, made);
  }
  return made;
};

const openP = (path: string, mode: number, flags = CREATE): Promise<number> =>
  new Promise((res, rej) => open(path, flags, mode, (e, fd) => (e ? rej(e) : res(fd))));
const closeP = (fd: number): Promise<void> => new Promise((res, rej) => close(fd, (e) => (e ? rej(e) : res())));
const fstatP = (fd: number): Promise<Stats> => new Promise((res, rej) => fstat(fd, (e, st) => (e ? rej(e) : res(st))));
const linkP = (from: string, to: string): Promise<void> => new Promise((res, rej) => link(from, to, (e) => (e ? rej(e) : res())));
const chmodP = (path: string, mode: number): Promise<void> => new Promise((res, rej) => chmod(path, mode, (e) => (e ? rej(e) : res())));

async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    done += await new Promise<number>((res, rej) => write(fd, bytes, done, bytes.byteLength - done, null, (e, n) => (e ? rej(e) : res(n))));
  }
}

async function writeFileExact(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  // The mode is given at open, so most files need no chmod; the umask can only take bits away,
  // and a chmod puts them back when it did.
  const fd = await openP(path, mode);
  try {
    await writeAll(fd, bytes);
  } finally {
    await closeP(fd);
  }
  if ((mode & ~UMASK) !== mode) await chmodP(path, mode);
}

/**
 * Whether the file at path holds exactly these bytes with exactly this mode, belongs to us and
 * has no other name (a second name outside our tree could change what we would link).
 */
async function holdsExactly(path: string, bytes: Uint8Array, mode: number): Promise<boolean> {
  const fd = await openP(path, 0, READ).catch(() => undefined);
  if (fd === undefined) return false;
  try {
    const st = await fstatP(fd);
    if (!st.isFile() || st.size !== bytes.byteLength || (st.mode & 0o7777) !== mode || st.nlink !== 1 || (UID !== undefined && st.uid !== UID)) return false;
    const old = Buffer.allocUnsafe(bytes.byteLength + 1);
    let got = 0;
    for (;;) {
      const n = await new Promise<number>((res, rej) => read(fd, old, got, old.byteLength - got, got, (e, k) => (e ? rej(e) : res(k))));
      if (n === 0) break;
      got += n;
      if (got === old.byteLength) return false; // grew since fstat
    }
    return got === bytes.byteLength && old.subarray(0, got).equals(bytes);
  } finally {
    await closeP(fd);
  }
}

async function linkOrWrite(tree: StagedTree, file: OutputFile, bytes: Uint8Array, target: string): Promise<void> {
  if (tree.previous !== undefined) {
    const old = join(tree.previous, file.path);
    if (await holdsExactly(old, bytes, file.mode).catch(() => false)) {
      try {
        await linkP(old, target);
        return;
      } catch {
        // Linking is an optimisation (a filesystem without hard links, a protected_hardlinks
        // refusal): write the file instead.
      }
    }
  }
  await writeFileExact(target, bytes, file.mode);
}

/**
 * Hands one file to the writer and records it for the manifest. Returns at once while fewer
 * than MAX_IN_FLIGHT files are pending, otherwise once there is room again.
 */
export async function writeStaged(tree: StagedTree, file: OutputFile): Promise<void> {
  throwIfFailed(tree);
  const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
  const target = join(tree.dir, file.path);
  tree.inFlight++;
  tree.bytesInFlight += bytes.byteLength;
  mkdirOnce(tree, dirname(target))
    .then(() => linkOrWrite(tree, file, bytes, target))
    .catch((e: unknown) => { tree.error ??= e; })
    .finally(() => {
      tree.inFlight--;
      tree.bytesInFlight -= bytes.byteLength;
      const wake = tree.wake;
      tree.wake = undefined;
      wake?.();
    });
  // Hashed here, while the write is on the thread pool.
  tree.entries.push(manifestEntry({ path: file.path, content: bytes, mode: file.mode }));
  while (tree.inFlight >= MAX_IN_FLIGHT || tree.bytesInFlight >= MAX_BYTES_IN_FLIGHT) {
    await new Promise<void>((res) => { tree.wake = res; });
    throwIfFailed(tree);
  }
}

/**
 * Lets finished writes run their next step (open → write → close each needs the event loop).
 * Cheap; call it between nodes, after the synchronous rendering of one node.
 */
export async function settleStaged(tree: StagedTree): Promise<void> {
  if (tree.inFlight > 0) await new Promise<void>((res) => setImmediate(res));
  throwIfFailed(tree);
}

/** Waits until every handed-over file is on disk; throws the first write error. */
export async function flushStaged(tree: StagedTree): Promise<void> {
  while (tree.inFlight > 0) await new Promise<void>((res) => { tree.wake = res; });
  throwIfFailed(tree);
}

function throwIfFailed(tree: StagedTree): void {
  if (tree.error !== undefined) throw tree.error;
}

/** Records a file that was streamed into the staging directory by someone else (ISOs). */
export function recordStaged(tree: StagedTree, entry: ManifestEntry): void {
  tree.entries.push(entry);
}

/**
 * Writes manifest.json and swaps the staging directory into place, then removes the previous
 * tree. The returned promise resolves when the old tree is gone; the new one is in place as
 * soon as `committed` is called.
 */
export async function commitTree(tree: StagedTree, outDir: string, cluster: string, committed?: (target: string) => void): Promise<string> {
  await flushStaged(tree);
  writeFileSync(join(tree.dir, 'manifest.json'), renderManifest(cluster, tree.entries), { mode: 0o644 });
  const target = join(outDir, cluster);
  if (!existsSync(target)) {
    renameSync(tree.dir, target);
    committed?.(target);
    return target;
  }
  const old = `${tree.dir}.old`;
  renameSync(target, old);
  try {
    renameSync(tree.dir, target);
  } catch (e) {
    renameSync(old, target);
    throw e;
  }
  committed?.(target);
  await removeTree(old);
  return target;
}

/** Removes the staging directory after waiting for writes still in flight (they would recreate files). */
export async function abandonTree(tree: StagedTree): Promise<void> {
  while (tree.inFlight > 0) await new Promise<void>((res) => { tree.wake = res; });
  rmSync(tree.dir, { recursive: true, force: true });
}

/**
 * Removes a tree that kubeseed wrote (directories and regular files only), every directory's
 * entries at once. On ext4 each unlink frees an inode in the kernel; issued together they run
 * on the thread pool's threads in parallel instead of one after another as rmSync does.
 */
export async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(entries.map((e) => (e.isDirectory() ? removeTree(join(dir, e.name)) : unlink(join(dir, e.name)))));
  await rmdir(dir);
}
