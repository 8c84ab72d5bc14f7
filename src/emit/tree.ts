/**
 * Writes out/<cluster>/ all at once: every file goes into a staging directory next to the
 * target, and only a complete tree is renamed into place. A failure leaves the current tree
 * exactly as it was.
 *
 * A re-compile mostly writes what it wrote last time, and making and freeing inodes is what costs
 * (on ext4 without a journal, allocation walks past every inode freed in the last ~30 s). So the
 * tree a commit replaces is not deleted: it stays as out/.<cluster>.previous, and the next
 * compile stages into it (stage-writer.ts keeps what already holds the right bytes). Files are
 * written synchronously by the thread that rendered them: this one through `writeStaged`, a
 * second rendering thread through its own StageWriter on the same StagingPlace, whose entries
 * come back through `recordStaged`.
 */
import { chmodSync, lstatSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { makeOutputDir } from './make-dir.js';
import { renderManifest, type ManifestEntry, type ManifestMedium } from './manifest.js';
import { StageWriter, sweepStaging, TREE_DIR_MODE, type StagingPlace } from './stage-writer.js';

export interface StagedTree {
  readonly dir: string;
  readonly place: StagingPlace;
  readonly writer: StageWriter;
  readonly entries: ManifestEntry[];
  /** Set once a reclaimed directory has been swept: what is added after that is not a writer's. */
  finished: boolean;
  /** The shared bundle medium the seeds go with (compile --iso), listed apart in manifest.json. */
  bundleMedium?: ManifestMedium;
}

/**
 * The process umask (process.umask() without an argument is deprecated). Read when a tree is
 * staged, not when this module loads: worker threads load it too, and may not set the umask.
 */
function processUmask(): number {
  const old = process.umask(0o022);
  process.umask(old);
  return old;
}

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
 * Makes the staging directory; callers add files, then commit or abandon it. The staging
 * directory is the tree before the current one when there is one (claimed by renaming it over a
 * fresh empty directory, so two compiles never share it), else empty.
 */
export function stageTree(outDir: string, cluster: string): StagedTree {
  makeOutputDir(outDir);
  const dir = mkdtempSync(join(outDir, `.${cluster}.staging-`));
  let reclaimed = true;
  try {
    renameSync(previousTreeDir(outDir, cluster), dir);
  } catch {
    // None (ENOENT), or not a directory of ours: start empty.
    reclaimed = false;
  }
  chmodSync(dir, TREE_DIR_MODE);
  const target = join(outDir, cluster);
  const place: StagingPlace = { dir, reclaimed, current: isDirectory(target) ? target : undefined, umask: processUmask(), uid: process.getuid?.() };
  return { dir, place, writer: new StageWriter(place), entries: [], finished: false };
}

/** Writes one file into the staging directory. */
export function writeStaged(tree: StagedTree, file: OutputFile): void {
  tree.entries.push(tree.writer.write(file));
}

/**
 * Says that every rendered file is written: whatever a reclaimed staging directory holds beyond
 * them goes now, before others (the ISO writer, the manifest) add files. Idempotent.
 */
export function finishStaged(tree: StagedTree): void {
  if (tree.finished) return;
  tree.finished = true;
  const paths = tree.entries.map((e) => e.path);
  // Two threads write; a path both wrote would otherwise show up as two manifest entries.
  const seen = new Set<string>();
  for (const p of paths) {
    if (seen.has(p)) throw Object.assign(new Error(`EEXIST: written twice in one compile, ${join(tree.dir, p)}`), { code: 'EEXIST' });
    seen.add(p);
  }
  if (tree.place.reclaimed) sweepStaging(tree.dir, paths);
}

/**
 * Records files put into the staging directory other than by writeStaged: by a StageWriter on
 * this thread or another, or streamed in (ISOs).
 */
export function recordStaged(tree: StagedTree, ...entries: readonly ManifestEntry[]): void {
  tree.entries.push(...entries);
}

/**
 * Writes manifest.json and swaps the staging directory into place; the tree it replaces is kept
 * as the next compile's staging directory. `committed` is called once the new tree is in place.
 */
export async function commitTree(tree: StagedTree, outDir: string, cluster: string, committed?: (target: string) => void): Promise<string> {
  finishStaged(tree);
  writeFileSync(join(tree.dir, 'manifest.json'), renderManifest(cluster, tree.entries, tree.bundleMedium), { mode: 0o644, flag: 'wx' });
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
  // The tree just replaced stays as .previous with the same secrets: a tree written by an older
  // kubeseed may have looser directories; only its root is changed (its files are shared with
  // the current tree, whose inodes never change).
  else chmodSync(old, TREE_DIR_MODE);
  return target;
}

/** Removes the staging directory (every writer must have stopped). */
export function abandonTree(tree: StagedTree): void {
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
