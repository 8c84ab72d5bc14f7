/**
 * Pushing a pulled image from the content store into a registry: the blobs the registry lacks
 * (one PUT each), the platform manifest and the index by digest, then the tag.
 *
 * A bundle carries one platform of each index. Registries that check an index's children on PUT
 * (distribution 2.x, the registry most sites run, answers 400 MANIFEST_BLOB_UNKNOWN for an index
 * whose other platforms are absent) cannot take that index: then the tag names the platform
 * manifest, which is what the site's nodes pull, and the result says so.
 */
import { createReadStream } from 'node:fs';
import type { RegistryClient } from './client.js';
import type { ContentStore } from './content-store.js';
import { ImageError, RegistryError } from './errors.js';
import type { PulledImage } from './pull.js';
import { MAX_MANIFEST_BYTES } from './client.js';

export interface PushTarget {
  readonly client: RegistryClient;
  readonly repository: string;
  readonly tag?: string;
}

export interface PushResult {
  /** `host/repository:tag` */
  readonly reference: string;
  /** The digest the tag (or, without a tag, the push) names. */
  readonly digest: string;
  /** True when the registry refused the partial index and the tag names the platform manifest. */
  readonly platformOnly: boolean;
  /** Blob bytes uploaded (0 when the registry had them all). */
  readonly uploaded: number;
}

export async function pushImage(image: PulledImage, store: ContentStore, t: PushTarget): Promise<PushResult> {
  const { client, repository, tag } = t;
  const label = `${new URL(client.name).host}/${repository}${tag ? `:${tag}` : ''}`;
  try {
    let uploaded = 0;
    for (const d of [image.config, ...image.layers]) {
      if (await client.hasBlob(repository, d.digest)) continue;
      await client.pushBlob(repository, d.digest, d.size, () => createReadStream(store.path(d.digest)));
      uploaded += d.size;
    }
    const manifestBytes = await store.readBytes(image.manifest.digest, MAX_MANIFEST_BYTES);
    await client.putManifest(repository, image.manifest.digest, manifestBytes, image.manifest.mediaType);
    if (image.top.digest === image.manifest.digest) {
      if (tag) await client.putManifest(repository, tag, manifestBytes, image.manifest.mediaType);
      return { reference: label, digest: image.manifest.digest, platformOnly: false, uploaded };
    }
    const indexBytes = await store.readBytes(image.top.digest, MAX_MANIFEST_BYTES);
    try {
      await client.putManifest(repository, image.top.digest, indexBytes, image.top.mediaType);
    } catch (e) {
      if (!(e instanceof RegistryError && e.status === 400 && e.code === 'MANIFEST_BLOB_UNKNOWN')) throw e;
      if (tag) await client.putManifest(repository, tag, manifestBytes, image.manifest.mediaType);
      return { reference: label, digest: image.manifest.digest, platformOnly: true, uploaded };
    }
    if (tag) await client.putManifest(repository, tag, indexBytes, image.top.mediaType);
    return { reference: label, digest: image.top.digest, platformOnly: false, uploaded };
  } catch (e) {
    if (e instanceof RegistryError) throw new ImageError(label, e.registry, `push: ${e.reason}`);
    throw e;
  }
}
