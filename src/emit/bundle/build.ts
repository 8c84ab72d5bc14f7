/**
 * `kubeseed bundle`: composes the gatherers (binaries.ts, images.ts, packages.ts), then writes
 * kubeseed-bundle.tar (bundle.json, SHA256SUMS, files/, images/, packages/) with SHA256SUMS and bundle.json
 * beside it. Every file streams into the deterministic tar through a hash checked against the
 * digest it was gathered at. All three are written into a temporary directory that is renamed
 * into place only when complete (commit.ts), so a failed build leaves the previous bundle, or
 * none, as it was.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ContentStore } from '../../oci/content-store.js';
import { makeOutputDir } from '../make-dir.js';
import { Registries, type RegistryConfig } from '../../oci/registries.js';
import { isSiteImage, type Artifact } from '../../plan/artifacts.js';
import { gatherBinaries } from './binaries.js';
import { commitBundleDir } from './commit.js';
import { DigestMismatchError } from './digest.js';
import type { Gathered, GatherOptions } from './gathered.js';
import { gatherImages, type GatheredImage } from './images.js';
import { BUNDLE_TAR, bundleJson, sha256sums, type BundledFile, type SkippableKind } from './manifest.js';
import { gatherPackages, type PackagesOptions } from './packages.js';
import { writeTar, type TarEntry } from './tar.js';

export type { BundleProgress } from './gathered.js';

export interface BuildBundleOptions extends GatherOptions {
  artifacts: readonly Artifact[];
  /** The content-addressed cache: binaries and image blobs by sha256. */
  cacheDir: string;
  outDir: string;
  /** Seconds since the epoch stamped on every tar entry (the CLI passes $SOURCE_DATE_EPOCH); default 0. */
  sourceDateEpoch?: number;
  /** Kinds left out of the bundle (`images`: the release's; site images are always bundled). */
  skip?: readonly SkippableKind[];
  /** Registry mirrors, CAs and credentials for the images. */
  registries?: RegistryConfig;
  /** OS packages with their dependency closure (packages.ts); absent with --skip packages or on Flatcar/FCOS. */
  packages?: Omit<PackagesOptions, 'cacheDir' | 'fromDir' | 'onProgress'>;
}

export interface BundleResult {
  tarPath: string;
  sha256sumsPath: string;
  bundleJsonPath: string;
  /** Size of the tar in bytes. */
  bytes: number;
  files: BundledFile[];
  /** The images as pulled (for --push), in the order of the artifact list. */
  images: { artifact: Artifact; pulled: GatheredImage['pulled'] }[];
}

export async function buildBundle(o: BuildBundleOptions): Promise<BundleResult> {
  const arches = [...new Set(o.artifacts.map((a) => a.arch))];
  if (arches.length !== 1) throw new Error(`a bundle holds one architecture; artifacts name ${arches.join(', ') || 'none'}`);
  const arch = arches[0] as string;
  const kubeadm = o.artifacts.find((a) => a.name === 'kubeadm');
  if (!kubeadm) throw new Error('the artifact list has no kubeadm; it does not come from neededArtifacts');
  // Where the bundle goes is checked before anything is downloaded.
  makeOutputDir(dirname(o.outDir));
  const skip = new Set(o.skip ?? []);
  const store = new ContentStore(o.cacheDir);
  const mtime = new Date((o.sourceDateEpoch ?? 0) * 1000);
  // Image archives are staged beside the output directory, which is made only once the tar is.
  const stageDir = join(dirname(o.outDir), `.${basename(o.outDir)}.images.tmp-${process.pid}`);
  const registries = new Registries(o.registries ?? {});
  try {
    // The pod network's manifest is a downloaded file like the binaries, and skipped with them.
    const gathered: Gathered[] = skip.has('binaries') ? [] : await gatherBinaries(o.artifacts, o, store);
    // --skip images leaves out the release's images; site images (extraImages) are always bundled:
    // the profile names them for this purpose.
    const wanted = o.artifacts.filter((a) => a.kind === 'image' && (!skip.has('images') || isSiteImage(a)));
    const images = await gatherImages(wanted, { ...o, registries, stageDir, mtime }, store);
    gathered.push(...images);
    if (o.packages) {
      const { packages } = await gatherPackages({
        ...o.packages,
        cacheDir: o.cacheDir,
        ...(o.fromDir ? { fromDir: o.fromDir } : {}),
        ...(o.download ? { download: o.download } : {}),
        onProgress: (e) => o.onProgress?.({ type: 'resolve', artifact: e.artifact, from: e.type === 'download' ? 'mirror' : 'dir', path: e.detail }),
      });
      for (const g of packages) {
        const { size } = await fs.stat(g.path);
        const a = g.artifact;
        gathered.push({ file: { artifact: a, path: a.bundlePath!, sha256: a.sha256!, size }, source: g.path, label: `${a.fileName} (${g.path})`, from: g.from });
      }
    }

    // By path, except OS packages, which keep the gatherer's install order (dependencies first):
    // bundle.json lists them in the order the node hands them to dpkg/rpm (a stable sort).
    gathered.sort((x, y) =>
      x.file.artifact.kind === 'package' && y.file.artifact.kind === 'package' ? 0 : x.file.path < y.file.path ? -1 : 1);
    const files = gathered.map((g) => g.file);
    const sums = sha256sums(files);
    const meta = bundleJson({
      kubernetesVersion: kubeadm.version,
      arch,
      skipped: [...skip],
      files,
      packages: o.artifacts.filter((a) => a.kind === 'package'),
    });

    const dirs = [...new Set(files.map((f) => f.path.slice(0, f.path.indexOf('/'))))].sort();
    const entries: TarEntry[] = [
      { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from(meta) },
      { type: 'buffer', path: 'SHA256SUMS', mode: 0o644, content: Buffer.from(sums) },
    ];
    for (const d of dirs) {
      entries.push({ type: 'directory', path: d, mode: 0o755 });
      for (const g of gathered.filter((x) => x.file.path.startsWith(`${d}/`))) {
        entries.push({ type: 'file', path: g.file.path, mode: g.file.artifact.mode ?? 0o644, source: g.source, size: g.file.size, sha256: g.file.sha256, label: g.label });
      }
    }

    const tarPath = join(o.outDir, BUNDLE_TAR);
    const total = files.reduce((n, f) => n + f.size, 0);
    const bytes = await commitBundleDir(o.outDir, async (dir) => {
      try {
        const { bytes: written } = await writeTar(join(dir, BUNDLE_TAR), entries, {
          mtime,
          onBytes: (b) => o.onProgress?.({ type: 'write', bytes: b, total }),
        });
        await fs.writeFile(join(dir, 'SHA256SUMS'), sums, { mode: 0o644 });
        await fs.writeFile(join(dir, 'bundle.json'), meta, { mode: 0o644 });
        return written;
      } catch (e) {
        // A cached file that no longer matches its own name is corrupt: drop it so the next run refetches.
        if (e instanceof DigestMismatchError) {
          const bad = gathered.find((g) => g.label === e.file && g.from !== 'dir');
          if (bad && bad.from !== 'registry') await fs.rm(bad.source, { force: true });
        }
        throw e;
      }
    });
    const sha256sumsPath = join(o.outDir, 'SHA256SUMS');
    const bundleJsonPath = join(o.outDir, 'bundle.json');
    o.onProgress?.({ type: 'done', path: tarPath, bytes });
    return {
      tarPath,
      sha256sumsPath,
      bundleJsonPath,
      bytes,
      files,
      images: images.map((g) => ({ artifact: g.file.artifact, pulled: g.pulled })),
    };
  } finally {
    registries.close();
    await fs.rm(stageDir, { recursive: true, force: true });
  }
}
