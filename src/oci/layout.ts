/**
 * An OCI image layout (opencontainers/image-spec image-layout.md) of one pulled image, as the
 * list of tar entries that make it; the caller writes them with its deterministic tar writer.
 *
 * index.json has one entry, the image's own top manifest (the index, so the pinned index digest is
 * what the image resolves to), annotated with
 *   io.containerd.image.name           the full reference (`registry.k8s.io/pause:3.10`): the
 *                                      name `ctr images import` gives the image, which CRI and
 *                                      kubelet then find;
 *   org.opencontainers.image.ref.name  the tag, as `ctr images export` and docker write it.
 * blobs/sha256/ holds the index, the one platform's manifest, its config and layers. The other
 * platforms' manifests are left out: containerd imports and unpacks such an index for its own
 * platform (what `ctr pull` keeps, too); see test/oci/containerd.test.ts.
 */
import { digestHex } from './digest.js';
import { OCI_INDEX } from './media-types.js';
import type { PulledImage } from './pull.js';

export type LayoutEntry =
  | { readonly type: 'directory'; readonly path: string; readonly mode: number }
  | { readonly type: 'buffer'; readonly path: string; readonly mode: number; readonly content: Buffer }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly mode: number;
      readonly source: string;
      readonly size: number;
      /** Lowercase hex: the writer checks the bytes against it as they stream. */
      readonly sha256: string;
      readonly label: string;
    };

export interface LayoutNames {
  /** The full reference the image is imported as: `registry.k8s.io/pause:3.10`. */
  readonly imageName: string;
  /** The tag, when the reference has one. */
  readonly tag?: string;
}

/** The layout's index.json: canonical JSON, one descriptor. */
export function layoutIndexJson(image: PulledImage, names: LayoutNames): Buffer {
  const annotations: Record<string, string> = { 'io.containerd.image.name': names.imageName };
  if (names.tag) annotations['org.opencontainers.image.ref.name'] = names.tag;
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: image.top.mediaType, digest: image.top.digest, size: image.top.size, annotations }],
    }),
  );
}

/**
 * Entries in a fixed order: oci-layout, index.json, the directories, then every blob by digest.
 * `blobPath` gives where the store keeps a digest's bytes.
 */
export function imageLayoutEntries(image: PulledImage, names: LayoutNames, blobPath: (digest: string) => string): LayoutEntry[] {
  const blobs = new Map<string, number>();
  for (const d of [image.top, image.manifest, image.config, ...image.layers]) blobs.set(d.digest, d.size);
  const entries: LayoutEntry[] = [
    { type: 'buffer', path: 'oci-layout', mode: 0o644, content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { type: 'buffer', path: 'index.json', mode: 0o644, content: layoutIndexJson(image, names) },
    { type: 'directory', path: 'blobs', mode: 0o755 },
    { type: 'directory', path: 'blobs/sha256', mode: 0o755 },
  ];
  for (const [digest, size] of [...blobs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    entries.push({
      type: 'file',
      path: `blobs/sha256/${digestHex(digest)}`,
      mode: 0o644,
      source: blobPath(digest),
      size,
      sha256: digestHex(digest),
      label: `${image.reference} blob ${digest}`,
    });
  }
  return entries;
}
