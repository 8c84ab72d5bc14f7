/**
 * A node's NoCloud seed ISO: volume id "cidata" with user-data, meta-data and network-config at
 * the root, the files the caller adds (the node's secret files under kubeseed/secrets/), and, with
 * the single-medium layout (artifacts.bundleMedium seed), the offline bundle under kubeseed/ (the
 * artifacts phase finds it by the volume label). Written straight into the staging tree; an image
 * that holds any file only its owner may read is itself 0600.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_MEDIUM_FILES, SEED_KUBESEED_DIR, SEED_VOLUME_ID } from '../plan/bundle-medium.js';
import type { OutputFile } from '../render/node.js';
import { sha256File } from './bundle/digest.js';
import { isoFileFromBuffer, isoFileFromPath, writeIso, type IsoFile } from './iso/index.js';
import { manifestEntryOf, type ManifestEntry } from './manifest.js';
import type { StagedTree } from './tree.js';

export interface SeedIsoInput {
  readonly node: string;
  /** The files at the image's root and below it (paths inside the image), as rendered. */
  readonly seed: readonly OutputFile[];
  /** OUT/<cluster>.bundle/ when the bundle rides on the seed (artifacts.bundleMedium seed). */
  readonly bundleDir?: string;
  readonly epochSeconds: number;
  readonly onProgress?: (written: number, total: number) => void;
}

export async function writeSeedIso(tree: StagedTree, input: SeedIsoInput): Promise<ManifestEntry> {
  const files: IsoFile[] = input.seed.map((f) => isoFileFromBuffer(f.path, f.content, f.mode));
  const mode = input.seed.some((f) => (f.mode & 0o077) === 0) ? 0o600 : 0o644;
  if (input.bundleDir !== undefined) {
    for (const name of BUNDLE_MEDIUM_FILES) {
      const p = join(input.bundleDir, name);
      if (!existsSync(p)) throw new Error(`${p} is missing: run "kubeseed bundle" first (artifacts.source is bundle)`);
      files.push(await isoFileFromPath(p, `${SEED_KUBESEED_DIR}/${name}`, 0o644));
    }
  }
  const rel = `nodes/${input.node}/seed.iso`;
  const target = join(tree.dir, rel);
  await writeIso(files, {
    volumeId: SEED_VOLUME_ID,
    epochSeconds: input.epochSeconds,
    mode,
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  }, target);
  const { sha256, size } = await sha256File(target);
  return manifestEntryOf(rel, sha256, size, mode);
}
