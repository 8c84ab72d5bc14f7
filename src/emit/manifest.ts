/** manifest.json: every file kubeseed wrote, with its sha256 and mode, for review and audit. */
import { toJson } from '../render/serialize.js';
import { KUBESEED_VERSION } from './version.js';

export interface ManifestEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly mode: string;
}

/** An entry for a file a StageWriter hashed as it wrote it. */
export function manifestEntryOf(path: string, sha256: string, size: number, mode: number): ManifestEntry {
  return { path, sha256, size, mode: `0${mode.toString(8)}` };
}

/**
 * The shared bundle medium the tree's seed ISOs go with. It is not a file of the tree (it lives in
 * OUT/<cluster>.bundle/, outside the tree's atomic rename), so it is listed apart, its path
 * relative to the tree: `../<cluster>.bundle/bundle.iso`.
 */
export interface ManifestMedium {
  readonly path: string;
  readonly volumeId: string;
  readonly sha256: string;
  readonly size: number;
}

export function renderManifest(cluster: string, entries: readonly ManifestEntry[], bundleMedium?: ManifestMedium): string {
  const files = [...entries].sort((a, b) => (a.path < b.path ? -1 : 1));
  return toJson({ kind: 'KubeseedManifest', kubeseedVersion: KUBESEED_VERSION, cluster, ...(bundleMedium ? { bundleMedium } : {}), files });
}
