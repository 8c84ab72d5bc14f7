/**
 * A node's NoCloud seed ISO: volume id "cidata" with user-data, meta-data and network-config at
 * the root, the files the caller adds (the node's secret files under kubeseed/secrets/), and, for
 * nodes that install from an offline bundle, the bundle under kubeseed/ (the artifacts phase
 * finds it by the volume label). Written straight into the staging tree; an image that holds any
 * file only its owner may read is itself 0600.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { sha256File } from './bundle/digest.js';
import { isoFileFromBuffer, isoFileFromPath, writeIso, type IsoFile } from './iso/index.js';
import { manifestEntryOf, type ManifestEntry } from './manifest.js';
import type { StagedTree } from './tree.js';

export const SEED_VOLUME_ID = 'cidata';
/** Where the offline bundle sits inside the seed ISO. */
export const ISO_BUNDLE_DIR = 'kubeseed';

export interface SeedIsoInput {
  readonly node: string;
  /** The files at the image's root and below it (paths inside the image), as rendered. */
  readonly seed: readonly OutputFile[];
  /** OUT/<cluster>.bundle/ when the node installs from a bundle on the ISO. */
  readonly bundleDir?: string;
  readonly epochSeconds: number;
  readonly onProgress?: (written: number, total: number) => void;
}

export async function writeSeedIso(tree: StagedTree, input: SeedIsoInput): Promise<ManifestEntry> {
  const files: IsoFile[] = input.seed.map((f) => isoFileFromBuffer(f.path, f.content, f.mode));
  const mode = input.seed.some((f) => (f.mode & 0o077) === 0) ? 0o600 : 0o644;
  if (input.bundleDir !== undefined) {
    for (const name of ['kubeseed-bundle.tar', 'bundle.json', 'SHA256SUMS']) {
      const p = join(input.bundleDir, name);
      if (!existsSync(p)) throw new Error(`${p} is missing: run "kubeseed bundle" first (artifacts.source is bundle)`);
      files.push(await isoFileFromPath(p, `${ISO_BUNDLE_DIR}/${name}`, 0o644));
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
