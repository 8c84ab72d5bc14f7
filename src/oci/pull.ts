/**
 * Pulling one image for one platform into the content store: the reference's manifest (an index
 * or list, or a single manifest), the platform's manifest, its config and layers. Every byte is
 * checked against the digest it was asked for. An image pinned by digest whose content the store
 * already holds costs no request at all; a tag is always asked of the registry.
 */
import type { ContentStore } from './content-store.js';
import { digestOf } from './digest.js';
import { DigestMismatchError, ImageError, RegistryError } from './errors.js';
import { configPlatform, formatPlatform, ManifestError, parseManifest, selectPlatform, type Descriptor, type Manifest } from './manifest.js';
import { MAX_MANIFEST_BYTES } from './client.js';
import { formatReference, type ImageReference } from './reference.js';
import { registryUrl, type Registries } from './registries.js';

export interface PullRequest {
  readonly reference: ImageReference;
  /** `amd64`, `arm64` (os is linux). */
  readonly architecture: string;
}

export interface PulledImage {
  /** The reference as pulled (`registry.k8s.io/pause:3.10@sha256:...`). */
  readonly reference: string;
  /** The reference's own manifest: the index or list (or the manifest, for a single-platform image). */
  readonly top: Descriptor;
  /** The platform's manifest (the same as `top` for a single-platform image). */
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  /** `linux/amd64` */
  readonly platform: string;
  /** Bytes received over the network for this image (0 when the store had everything). */
  readonly received: number;
}

export type PullProgress = { readonly reference: string; readonly digest: string; readonly bytes: number; readonly size: number };

interface Ctx {
  readonly registries: Registries;
  readonly store: ContentStore;
  readonly ref: ImageReference;
  readonly label: string;
  received: number;
  readonly onProgress?: ((p: PullProgress) => void) | undefined;
}

/** A manifest by digest: from the store, else from the first endpoint that has it (then stored). */
async function manifestByDigest(c: Ctx, digest: string): Promise<Buffer> {
  if ((await c.store.has(digest)) !== null) return c.store.readBytes(digest, MAX_MANIFEST_BYTES);
  return c.registries.first(c.ref.registry, async (client) => {
    const m = await client.getManifest(c.ref.repository, digest);
    c.received += m.bytes.length;
    await c.store.putBytes(digest, m.bytes, client.name, 'manifest');
    return m.bytes;
  });
}

async function blob(c: Ctx, d: Descriptor): Promise<void> {
  if ((await c.store.has(d.digest)) !== null) return;
  await c.registries.first(c.ref.registry, async (client) => {
    const r = await c.store.ingest(d.digest, {
      size: d.size,
      source: client.name,
      what: 'blob',
      open: (offset) => client.getBlob(c.ref.repository, d.digest, offset),
      onBytes: (bytes) => c.onProgress?.({ reference: c.label, digest: d.digest, bytes, size: d.size }),
    });
    c.received += r.received;
  });
}

function parse(bytes: Buffer, contentType: string | undefined, source: string, digest: string): Manifest {
  try {
    return parseManifest(bytes, contentType);
  } catch (e) {
    if (e instanceof ManifestError) throw new RegistryError(source, `manifest ${digest}: ${e.message}`);
    throw e;
  }
}

async function pull(c: Ctx, architecture: string): Promise<PulledImage> {
  const { ref } = c;
  let topDigest: string;
  let topBytes: Buffer;
  let contentType: string | undefined;
  if (ref.digest) {
    topDigest = ref.digest;
    topBytes = await manifestByDigest(c, topDigest);
  } else {
    const tag = ref.tag ?? 'latest';
    const got = await c.registries.first(ref.registry, async (client) => {
      const m = await client.getManifest(ref.repository, tag);
      const d = digestOf(m.bytes);
      if (m.digestHeader && m.digestHeader !== d) throw new DigestMismatchError(client.name, 'manifest', m.digestHeader, d);
      await c.store.putBytes(d, m.bytes, client.name, 'manifest');
      c.received += m.bytes.length;
      return { ...m, digest: d };
    });
    topDigest = got.digest;
    topBytes = got.bytes;
    contentType = got.contentType;
  }
  const source = registryUrl(ref.registry);
  const top = parse(topBytes, contentType, source, topDigest);
  const topDesc: Descriptor = { mediaType: top.mediaType, digest: topDigest, size: topBytes.length };
  let manifestDesc = topDesc;
  let manifest = top;
  if (top.kind === 'index') {
    const chosen = selectPlatform(top.manifests, architecture);
    if (!chosen) {
      const have = top.manifests.flatMap((m) => (m.platform ? [formatPlatform(m.platform)] : [])).join(', ') || 'none named';
      throw new RegistryError(source, `no linux/${architecture} image in the index ${topDigest} (platforms: ${have})`);
    }
    manifestDesc = chosen;
    manifest = parse(await manifestByDigest(c, chosen.digest), chosen.mediaType, source, chosen.digest);
    if (manifest.kind !== 'manifest') throw new RegistryError(source, `the linux/${architecture} entry ${chosen.digest} is an index, not an image manifest`);
  }
  if (manifest.kind !== 'manifest') throw new RegistryError(source, 'unreachable: not a manifest');
  for (const d of [manifest.config, ...manifest.layers]) await blob(c, d);
  const platform = configPlatform(await c.store.readBytes(manifest.config.digest, MAX_MANIFEST_BYTES));
  if (!platform || platform.os !== 'linux' || platform.architecture !== architecture) {
    throw new RegistryError(source, `the image is ${platform ? formatPlatform(platform) : 'of no platform'}, not linux/${architecture}`);
  }
  return {
    reference: c.label,
    top: topDesc,
    manifest: manifestDesc,
    config: manifest.config,
    layers: manifest.layers,
    platform: formatPlatform(platform),
    received: c.received,
  };
}

/**
 * Pulls one image into the store. Any failure is an ImageError naming the reference, the
 * registry (the endpoint that failed) and the cause.
 */
export async function pullImage(
  req: PullRequest,
  registries: Registries,
  store: ContentStore,
  onProgress?: (p: PullProgress) => void,
): Promise<PulledImage> {
  const label = formatReference(req.reference);
  try {
    return await pull({ registries, store, ref: req.reference, label, received: 0, onProgress }, req.architecture);
  } catch (e) {
    if (e instanceof RegistryError) throw new ImageError(label, e.registry, e.reason);
    if (e instanceof DigestMismatchError) throw new ImageError(label, e.registry, DigestMismatchError.reason(e.what, e.expected, e.actual));
    throw e;
  }
}
