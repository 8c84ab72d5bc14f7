/**
 * Writes out/<cluster>/ all at once: every file goes into a staging directory next to the
 * target, and only a complete tree is renamed into place. A failure leaves the current tree
 * exactly as it was.
 *
 * The files are written by a worker thread, so the kernel's part and hashing for the manifest
 * run on another CPU while the caller renders the next node. The caller hands files over with
 * `writeStaged`, sends each node's files with `settleStaged`, and `flushStaged` waits for all
 * of them. At most MAX_IN_FLIGHT files and MAX_BYTES_IN_FLIGHT bytes are pending: past that the
 * caller blocks until the worker catches up, so memory does not grow with the cluster.
 *
 * A re-compile mostly writes what it wrote last time, and making and freeing inodes is what costs
 * (on ext4 without a journal, allocation walks past every inode freed in the last ~30 s). So the
 * tree a commit replaces is not deleted: it stays as out/.<cluster>.previous, and the next
 * compile stages into it, keeping each file that already holds the right bytes and mode,
 * replacing the others and removing whatever else it holds. A file absent there but unchanged
 * in the current tree is hard-linked from it. Files are never written in place, only created
 * or unlinked, so the current tree, which shares those inodes, never changes until the rename.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OutputFile } from '../render/node.js';
import { manifestEntryOf, renderManifest, type ManifestEntry } from './manifest.js';

interface WriterFile {
  readonly path: string;
  /** A string is encoded (UTF-8) by the writer, off the rendering thread. */
  readonly content: string | Uint8Array;
  readonly mode: number;
}

/** What the writer answers to a flush: the files written since the last one, and its first error. */
interface WriterReport {
  readonly entries: [path: string, sha256: string, size: number, mode: number][];
  readonly error?: { message: string; code?: string };
}

/**
 * The writer thread's program. It is plain JavaScript in a string (an eval worker) because it
 * must run from the built dist/ and from the TypeScript sources under vitest alike; it uses
 * only Node's own modules. Each message is one node's files; for each it makes the parent
 * directory once, links the previous tree's identical file or creates the file with its mode
 * given at open (chmod only when the umask took bits away), hashes it, and counts it done in
 * the shared `progress` array. After the first failure it writes nothing more.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const { dirname, join } = require('node:path');
const { dir, reclaimed, current, umask, uid, progress } = workerData;
const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
// Directories made or checked, and files written, in this compile.
const made = new Set([dir]);
const written = new Set();
let entries = [];
let error;
let swept = false;
// One read buffer, grown as needed, for comparing with files already on disk.
let scratch = Buffer.allocUnsafe(64 * 1024);

const exists = (path) => Object.assign(new Error('EEXIST: written twice in one compile, ' + path), { code: 'EEXIST' });

function lstatOrUndefined(path) {
  try { return fs.lstatSync(path); } catch (e) { if (e.code === 'ENOENT') return undefined; throw e; }
}

// Whatever a reclaimed tree holds at path (a file, a symlink, a directory) goes.
function removeStale(path) {
  if (made.has(path) || written.has(path)) throw exists(path);
  fs.rmSync(path, { recursive: true, force: true });
}

function mkdirs(d) {
  if (made.has(d)) return;
  mkdirs(dirname(d));
  const st = reclaimed ? lstatOrUndefined(d) : undefined;
  if (st !== undefined && st.isDirectory()) {
    if ((st.mode & 0o7777) !== 0o755) fs.chmodSync(d, 0o755);
  } else {
    if (st !== undefined) removeStale(d);
    fs.mkdirSync(d, { mode: 0o755 });
  }
  made.add(d);
}

// Same bytes, same mode, ours, and no other name than links() allows that could change it later.
function holdsExactly(path, bytes, mode, links) {
  let fd;
  try { fd = fs.openSync(path, READ); } catch { return false; }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size !== bytes.byteLength || (st.mode & 0o7777) !== mode || !links(st)
      || (uid !== undefined && st.uid !== uid)) return false;
    if (scratch.byteLength < bytes.byteLength + 1) scratch = Buffer.allocUnsafe(Math.max(bytes.byteLength + 1, scratch.byteLength * 2));
    const old = scratch.subarray(0, bytes.byteLength + 1);
    let got = 0;
    for (let n; (n = fs.readSync(fd, old, got, old.byteLength - got, got)) > 0;) {
      got += n;
      if (got === old.byteLength) return false;
    }
    return got === bytes.byteLength && old.subarray(0, got).equals(bytes);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

const alone = (st) => st.nlink === 1;

function writeOne(f) {
  const bytes = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength);
  const target = join(dir, f.path);
  if (made.has(target) || written.has(target)) throw exists(target);
  mkdirs(dirname(target));
  const inCurrent = current === undefined ? undefined : join(current, f.path);
  // A reclaimed tree's file is kept as it is when it holds the bytes already. Its second name,
  // if any, must be the same file in the current tree (linked there by the previous compile).
  const kept = reclaimed && holdsExactly(target, bytes, f.mode, (st) => st.nlink === 1
    || (st.nlink === 2 && inCurrent !== undefined && sameFile(st, lstatOrUndefined(inCurrent))));
  if (!kept) {
    if (reclaimed && lstatOrUndefined(target) !== undefined) removeStale(target);
    let linked = false;
    if (inCurrent !== undefined && holdsExactly(inCurrent, bytes, f.mode, alone)) {
      try { fs.linkSync(inCurrent, target); linked = true; } catch { /* no hard links here: write it */ }
    }
    if (!linked) {
      const fd = fs.openSync(target, CREATE, f.mode);
      try {
        for (let done = 0; done < bytes.byteLength;) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
      } finally {
        fs.closeSync(fd);
      }
      if ((f.mode & ~umask) !== f.mode) fs.chmodSync(target, f.mode);
    }
  }
  written.add(target);
  entries.push([f.path, createHash('sha256').update(bytes).digest('hex'), bytes.byteLength, f.mode]);
}

const sameFile = (a, b) => b !== undefined && a.ino === b.ino && a.dev === b.dev;

// Removes from a reclaimed tree everything this compile did not write: nodes that left the
// profile, files that no longer exist, anything else put there.
function sweep(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory() && made.has(p)) sweep(p);
    else if (!written.has(p)) fs.rmSync(p, { recursive: true, force: true });
  }
}

parentPort.on('message', (m) => {
  if (m.flush) {
    if (m.sweep && reclaimed && !swept && error === undefined) {
      swept = true;
      try { sweep(dir); } catch (e) { error = { message: e.message, code: e.code }; }
    }
    parentPort.postMessage({ entries, error });
    entries = [];
    return;
  }
  for (const f of m.files) {
    if (error === undefined) {
      try { writeOne(f); } catch (e) { error = { message: e.message, code: e.code }; Atomics.store(progress, 1, 1); }
    }
    Atomics.add(progress, 0, 1);
    Atomics.notify(progress, 0);
  }
});
`;

const MAX_IN_FLIGHT = 128;
const MAX_BYTES_IN_FLIGHT = 4 << 20;

export interface StagedTree {
  readonly dir: string;
  readonly entries: ManifestEntry[];
  readonly writer: Worker;
  /** [files the writer finished, 1 once a write failed], shared with the writer. */
  readonly progress: Int32Array;
  /** Sizes of the files sent and not yet known finished, oldest first. */
  readonly pendingSizes: number[];
  pendingBytes: number;
  /** How many files were sent to the writer (the index of the oldest pending file is sent - pendingSizes.length). */
  sent: number;
  /** The current node's files, sent together by settleStaged. */
  batch: WriterFile[];
  closed: boolean;
  /** Set when the writer thread itself failed (not a write: those come back in its report). */
  crashed: Error | undefined;
}

/** The process umask, read once (process.umask() without an argument is deprecated). */
const UMASK = (() => {
  const old = process.umask(0o022);
  process.umask(old);
  return old;
})();

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where a committed tree's predecessor waits to become the next compile's staging directory. */
export const previousTreeDir = (outDir: string, cluster: string): string => join(outDir, `.${cluster}.previous`);

/**
 * Makes the staging directory and starts its writer; callers add files, then commit or abandon
 * it. The staging directory is the tree before the current one when there is one (claimed by
 * renaming it over a fresh empty directory, so two compiles never share it), else empty.
 */
export function stageTree(outDir: string, cluster: string): StagedTree {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(outDir, `.${cluster}.staging-`));
  let reclaimed = true;
  try {
    renameSync(previousTreeDir(outDir, cluster), dir);
  } catch {
    // None (ENOENT), or not a directory of ours: start empty.
    reclaimed = false;
  }
  chmodSync(dir, 0o755);
  const target = join(outDir, cluster);
  const progress = new Int32Array(new SharedArrayBuffer(8));
  const writer = new Worker(WRITER_SOURCE, {
    eval: true,
    // A small young generation: the writer's garbage is per-file buffers and strings, and the
    // default sizes would add tens of MB to the process's peak RSS.
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
    workerData: { dir, reclaimed, current: isDirectory(target) ? target : undefined, umask: UMASK, uid: process.getuid?.(), progress },
  });
  // The writer never keeps the process alive by itself; commit and abandon end it.
  writer.unref();
  const tree: StagedTree = { dir, entries: [], writer, progress, pendingSizes: [], pendingBytes: 0, sent: 0, batch: [], closed: false, crashed: undefined };
  writer.on('error', (e) => { tree.crashed ??= e; });
  writer.on('exit', () => { if (!tree.closed) tree.crashed ??= new Error('the tree writer stopped'); });
  return tree;
}

/** Queues one file for the writer (sent by the next settleStaged, or now when many are queued). */
export async function writeStaged(tree: StagedTree, file: OutputFile): Promise<void> {
  tree.batch.push({ path: file.path, content: file.content, mode: file.mode });
  if (tree.batch.length >= 64) await settleStaged(tree);
}

/** Forgets the sizes of files the writer has finished. */
function catchUp(tree: StagedTree): void {
  const done = Atomics.load(tree.progress, 0);
  while (tree.sent - tree.pendingSizes.length < done) tree.pendingBytes -= tree.pendingSizes.shift()!;
}

/** Sends the queued files to the writer; blocks while too many are pending. */
async function send(tree: StagedTree): Promise<void> {
  if (tree.closed) return;
  if (tree.batch.length > 0) {
    for (const f of tree.batch) {
      // A string's length bounds its UTF-8 size within a factor of three: close enough for a limit.
      const size = typeof f.content === 'string' ? f.content.length : f.content.byteLength;
      tree.pendingSizes.push(size);
      tree.pendingBytes += size;
    }
    tree.sent += tree.batch.length;
    // Strings are cloned as they are: a copy of one-byte characters costs less than encoding
    // them here and moving the buffer.
    tree.writer.postMessage({ files: tree.batch });
    tree.batch = [];
  }
  catchUp(tree);
  while (tree.pendingSizes.length > MAX_IN_FLIGHT || tree.pendingBytes > MAX_BYTES_IN_FLIGHT) {
    if (failed(tree)) return;
    const done = Atomics.load(tree.progress, 0);
    // Blocking is the point: nothing else should run until the writer has room again. Should
    // the writer make no progress for a second, let the event loop report whether it died.
    if (Atomics.wait(tree.progress, 0, done, 1000) === 'timed-out') await new Promise((res) => setImmediate(res));
    catchUp(tree);
  }
}

const failed = (tree: StagedTree): boolean => Atomics.load(tree.progress, 1) !== 0 || tree.crashed !== undefined;

/**
 * Sends the current node's files to the writer (blocking while too many are pending) and
 * reports a failed write early. Call it after each node.
 */
export async function settleStaged(tree: StagedTree): Promise<void> {
  await send(tree);
  if (failed(tree)) await flushStaged(tree);
}

/**
 * Waits until every handed-over file is on disk and hashed; throws the first write error.
 * `last` says no more files come from the writer: whatever a reclaimed staging directory holds
 * beyond them is removed, before anyone else (the ISO writer, the manifest) adds files.
 */
export async function flushStaged(tree: StagedTree, last = false): Promise<void> {
  await send(tree);
  if (tree.closed) return;
  if (tree.crashed !== undefined) throw tree.crashed;
  const report = await new Promise<WriterReport>((res, rej) => {
    const onExit = (): void => rej(tree.crashed ?? new Error('the tree writer stopped'));
    tree.writer.once('exit', onExit);
    tree.writer.once('message', (m: WriterReport) => {
      tree.writer.off('exit', onExit);
      res(m);
    });
    tree.writer.postMessage({ flush: true, sweep: last });
  });
  for (const [path, sha256, size, mode] of report.entries) tree.entries.push(manifestEntryOf(path, sha256, size, mode));
  catchUp(tree);
  if (report.error) {
    throw Object.assign(new Error(report.error.message), report.error.code ? { code: report.error.code } : {});
  }
}

async function closeWriter(tree: StagedTree): Promise<void> {
  if (tree.closed) return;
  tree.closed = true;
  await tree.writer.terminate();
}

/** Records a file that was streamed into the staging directory by someone else (ISOs). */
export function recordStaged(tree: StagedTree, entry: ManifestEntry): void {
  tree.entries.push(entry);
}

/**
 * Writes manifest.json and swaps the staging directory into place; the tree it replaces is kept
 * as the next compile's staging directory. `committed` is called once the new tree is in place.
 */
export async function commitTree(tree: StagedTree, outDir: string, cluster: string, committed?: (target: string) => void): Promise<string> {
  await flushStaged(tree, true);
  await closeWriter(tree);
  writeFileSync(join(tree.dir, 'manifest.json'), renderManifest(cluster, tree.entries), { mode: 0o644, flag: 'wx' });
  const target = join(outDir, cluster);
  if (!isDirectory(target)) {
    renameSync(tree.dir, target);
    committed?.(target);
    return target;
  }
  // Another compile of the same cluster may have left a previous tree meanwhile: then ours goes.
  let old = previousTreeDir(outDir, cluster);
  try {
    renameSync(target, old);
  } catch {
    old = `${tree.dir}.old`;
    renameSync(target, old);
  }
  try {
    renameSync(tree.dir, target);
  } catch (e) {
    renameSync(old, target);
    throw e;
  }
  committed?.(target);
  if (old !== previousTreeDir(outDir, cluster)) await removeTree(old);
  return target;
}

/** Removes the staging directory once the writer is idle (a write still running would recreate files). */
export async function abandonTree(tree: StagedTree): Promise<void> {
  tree.batch = [];
  await flushStaged(tree).catch(() => undefined);
  await closeWriter(tree);
  rmSync(tree.dir, { recursive: true, force: true });
}

/**
 * Removes a tree that kubeseed wrote (directories and regular files only), every directory's
 * entries at once. Unlinks issued together run on the thread pool's threads in parallel
 * instead of one after another as rmSync does.
 */
export async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(entries.map((e) => (e.isDirectory() ? removeTree(join(dir, e.name)) : unlink(join(dir, e.name)))));
  await rmdir(dir);
}
