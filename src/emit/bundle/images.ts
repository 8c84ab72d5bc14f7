/**
 * The images gatherer: pulls each image of the plan by its pinned digest (src/oci, through the
 * site's registry mirrors) into the content-addressed cache, and writes it as an OCI image-layout
 * archive named for the reference kubelet asks for (`<imageRepository>/<path>:<tag>`), which
 * `ctr -n k8s.io images import` takes as it is. The archives are written to a staging directory
 * and copied into the bundle tar by build.ts, checked again against their sha256 on the way.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../../oci/content-store.js';
import { ImageError } from '../../oci/errors.js';
import { imageLayoutEntries } from '../../oci/layout.js';
import { pullImage, type PulledImage } from '../../oci/pull.js';
import { parseReference } from '../../oci/reference.js';
import type { Registries } from '../../oci/registries.js';
import type { Artifact } from '../../plan/artifacts.js';
import { DigestMismatchError } from './digest.js';
import type { Gathered, GatherOptions } from './gathered.js';
import { writeTar } from './tar.js';

export interface ImageGatherOptions extends GatherOptions {
  readonly registries: Registries;
  /** Where the archives are written before they go into the bundle (removed by the caller). */
  readonly stageDir: string;
  readonly mtime: Date;
  /** Images pulled at once (default 3). */
  readonly concurrency?: number;
}

export interface GatheredImage extends Gathered {
  readonly pulled: PulledImage;
}

/**
 * Writes a pulled image as an OCI image-layout archive at `dest`, imported as `ref` (the tag, if
 * any, also as org.opencontainers.image.ref.name). Returns its size and sha256.
 */
export async function writeImageArchive(pulled: PulledImage, ref: string, store: ContentStore, dest: string, mtime: Date): Promise<{ bytes: number; sha256: string }> {
  const tag = parseReference(ref).tag;
  const entries = imageLayoutEntries(pulled, { imageName: ref, ...(tag ? { tag } : {}) }, (d) => store.path(d));
  const r = await writeTar(dest, entries, { mtime, sha256: true });
  return { bytes: r.bytes, sha256: r.sha256! };
}

async function gatherOne(a: Artifact, o: ImageGatherOptions, store: ContentStore): Promise<GatheredImage> {
  if (!a.pull || !a.ref || !a.bundlePath || !a.fileName) throw new Error(`unreachable: image artifact ${a.name} without pull or ref`);
  const reference = parseReference(a.pull);
  const pulled = await pullImage({ reference, architecture: a.arch }, o.registries, store, (p) =>
    o.onProgress?.({ type: 'pull', artifact: a.name, ref: a.ref!, bytes: p.bytes, total: p.size }),
  );
  // Without a pinned digest (a pod-network image the table has none for) the tag's digest is
  // taken and recorded in bundle.json: compile pins it from then on (trust on first use).
  if (a.digest !== undefined && pulled.top.digest !== a.digest) {
    throw new ImageError(a.pull, reference.registry, `resolved to ${pulled.top.digest}, the plan pins ${a.digest}`);
  }
  o.onProgress?.({ type: 'image', artifact: a.name, ref: a.ref, digest: pulled.top.digest, received: pulled.received });
  const dest = join(o.stageDir, a.fileName);
  let out: { bytes: number; sha256: string };
  try {
    out = await writeImageArchive(pulled, a.ref, store, dest, o.mtime);
  } catch (e) {
    // A cached blob that no longer matches its own name is corrupt: drop it so the next run refetches.
    if (e instanceof DigestMismatchError) {
      const bad = [pulled.config, ...pulled.layers].find((d) => e.expected === d.digest.slice('sha256:'.length));
      if (bad) await store.remove(bad.digest);
      throw new ImageError(a.pull, 'cache', `${e.message}; removed from the cache, run again to fetch it anew`);
    }
    throw e;
  }
  return {
    file: {
      artifact: a,
      path: a.bundlePath,
      sha256: out.sha256,
      size: out.bytes,
      image: { digest: pulled.top.digest, manifestDigest: pulled.manifest.digest, platform: pulled.platform },
    },
    source: dest,
    label: `${a.bundlePath} (written from ${a.pull})`,
    from: 'registry',
    pulled,
  };
}

/** Every image of `artifacts`, `concurrency` at a time; the first failure stops the rest. */
export async function gatherImages(artifacts: readonly Artifact[], o: ImageGatherOptions, store: ContentStore): Promise<GatheredImage[]> {
  const images = artifacts.filter((a) => a.kind === 'image');
  await fs.mkdir(o.stageDir, { recursive: true });
  const out: GatheredImage[] = new Array(images.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < images.length) {
      const i = next++;
      try {
        out[i] = await gatherOne(images[i]!, o, store);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 3, images.length) }, worker));
  if (failed !== null) throw failed;
  return out;
}
