/**
 * `kubeseed bundle --push REGISTRY`: copies the images the bundle was built with from the cache
 * into the site's registry, each under its own reference's repository and tag (what a node whose
 * containerd mirrors the reference's registry to REGISTRY asks for), blobs and manifests by
 * digest, then the tag.
 */
import { ContentStore } from '../../oci/content-store.js';
import { pushImage, type PushResult } from '../../oci/push.js';
import { parseReference } from '../../oci/reference.js';
import { Registries, type RegistryConfig } from '../../oci/registries.js';
import type { BundleResult } from './build.js';

/** `host[:port]` or a URL; a bare host means https. */
export function pushUrl(registry: string): string {
  return /^[a-z]+:\/\//i.test(registry) ? registry.replace(/\/+$/, '') : `https://${registry}`;
}

export async function pushImages(
  images: BundleResult['images'],
  registry: string,
  cacheDir: string,
  config: RegistryConfig,
  onPushed?: (r: PushResult) => void,
): Promise<PushResult[]> {
  const registries = new Registries(config);
  const store = new ContentStore(cacheDir);
  const client = registries.client(pushUrl(registry));
  const out: PushResult[] = [];
  try {
    for (const { artifact, pulled } of images) {
      const ref = parseReference(artifact.ref!);
      const r = await pushImage(pulled, store, { client, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}) });
      onPushed?.(r);
      out.push(r);
    }
  } finally {
    registries.close();
  }
  return out;
}
