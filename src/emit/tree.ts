/**
 * Writes out/<cluster>/ all at once: every file goes into a staging directory next to the
 * target, and only a complete tree is renamed into place. A failure leaves the previous tree
 * exactly as it was.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { manifestEntry, renderManifest, type ManifestEntry } from './manifest.js';

export interface StagedTree {
  readonly dir: string;
  readonly entries: ManifestEntry[];
  /** Directories already made, so a thousand nodes do not mean thousands of mkdir calls. */
  readonly made: Set<string>;
}

/** The process umask, read once (process.umask() without an argument is deprecated). */
const UMASK = (() => {
  const old = process.umask(0o022);
  process.umask(old);
  return old;
})();

/** Makes the staging directory; callers add files, then commit or abandon it. */
export function stageTree(outDir: string, cluster: string): StagedTree {
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(join(outDir, `.${cluster}.staging-`));
  chmodSync(dir, 0o755);
  return { dir, entries: [], made: new Set([dir]) };
}

export function writeStaged(tree: StagedTree, file: OutputFile): void {
  const target = join(tree.dir, file.path);
  const parent = dirname(target);
  if (!tree.made.has(parent)) {
    mkdirSync(parent, { recursive: true, mode: 0o755 });
    tree.made.add(parent);
  }
  writeFileSync(target, file.content, { mode: file.mode });
  // The mode passed to writeFileSync is filtered by the umask; chmod makes it exact when needed.
  if ((file.mode & ~UMASK) !== file.mode) chmodSync(target, file.mode);
  tree.entries.push(manifestEntry(file));
}

/** Records a file that was streamed into the staging directory by someone else (ISOs). */
export function recordStaged(tree: StagedTree, entry: ManifestEntry): void {
  tree.entries.push(entry);
}

/** Writes manifest.json and swaps the staging directory into place. */
export function commitTree(tree: StagedTree, outDir: string, cluster: string): string {
  writeFileSync(join(tree.dir, 'manifest.json'), renderManifest(cluster, tree.entries), { mode: 0o644 });
  const target = join(outDir, cluster);
  if (!existsSync(target)) {
    renameSync(tree.dir, target);
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
  rmSync(old, { recursive: true, force: true });
  return target;
}

export function abandonTree(tree: StagedTree): void {
  rmSync(tree.dir, { recursive: true, force: true });
}
