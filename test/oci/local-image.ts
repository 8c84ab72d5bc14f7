/**
 * A test image built by images.mjs, put into a content store as kubeseed's puller would leave it
 * (index, the platform's manifest, config, layers), so tests can write kubeseed's own image
 * archive from it without a registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../../src/oci/content-store.js';
import type { PulledImage } from '../../src/oci/pull.js';
import type { BuiltImage } from './images.mjs';

export async function storeBuiltImage(img: BuiltImage, store: ContentStore, arch: 'amd64' | 'arm64', reference: string): Promise<PulledImage> {
  const hex = (d: string) => d.slice('sha256:'.length);
  const index = readFileSync(join(img.dir, 'manifest.json'));
  await store.putBytes(img.index.digest, index, img.dir, 'index');
  for (const m of Object.values(img.manifests)) await store.putBytes(m.digest, readFileSync(join(img.dir, `${hex(m.digest)}.manifest.json`)), img.dir, 'manifest');
  const m = img.manifests[arch];
  const manifest = JSON.parse(readFileSync(join(img.dir, `${hex(m.digest)}.manifest.json`), 'utf8')) as {
    config: { mediaType: string; digest: string; size: number };
    layers: { mediaType: string; digest: string; size: number }[];
  };
  for (const d of [manifest.config, ...manifest.layers]) await store.putBytes(d.digest, readFileSync(join(img.dir, hex(d.digest))), img.dir, 'blob');
  return {
    reference,
    top: { mediaType: img.index.mediaType, digest: img.index.digest, size: img.index.size },
    manifest: { mediaType: m.mediaType, digest: m.digest, size: m.size },
    config: manifest.config,
    layers: manifest.layers,
    platform: arch === 'arm64' ? 'linux/arm64/v8' : 'linux/amd64',
    received: 0,
  };
}
