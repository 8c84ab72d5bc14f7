/**
 * A node's NoCloud seed ISO: volume id "cidata" with user-data, meta-data and network-config at
 * the root, and, for nodes that install from an offline bundle, the bundle under kubeseed/
 * (the artifacts phase finds it by the volume label). Written straight into the staging tree.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputFile } from '../render/node.js';
import { isoFileFromBuffer, isoFileFromPath, writeIso, type IsoFile } from './iso/index.js';
import type { ManifestEntry } from './manifest.js';
import type { StagedTree } from './tree.js';

export const SEED_VOLUME_ID = 'cidata';
/** Where the offline bundle sits inside the seed ISO. */
export const ISO_BUNDLE_DIR = 'kubeseed';

export interface SeedIsoInput {
  readonly node: string;
  /** The node's user-data, meta-data and network-config, as rendered. */
  readonly seed: readonly OutputFile[];
  /** OUT/<cluster>.bundle/ when the node installs from a bundle on the ISO. */
  readonly bundleDir?: string;
  readonly epochSeconds: number;
  readonly onProgress?: (written: number, total: number) => void;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function writeSeedIso(tree: StagedTree, input: SeedIsoInput): Promise<ManifestEntry> {
  const files: IsoFile[] = input.seed.map((f) => isoFileFromBuffer(f.path.split('/').pop()!, f.content, f.mode));
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
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  }, target);
  const { size } = await import('node:fs').then((fs) => fs.statSync(target));
  return { path: rel, sha256: await sha256File(target), size, mode: '0644' };
}
