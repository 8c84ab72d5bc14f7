/**
 * `kubeseed bundle`: gathers every artifact (from a --from directory, the content-addressed cache,
 * or a mirror), verifies each against the version table's sha256 while streaming it into a
 * deterministic tar, and writes kubeseed-bundle.tar with SHA256SUMS and bundle.json inside and
 * beside it. The tar is written under a temporary name and renamed only when complete, so a
 * failed build leaves no bundle behind.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { mirrorUrl, type Artifact } from '../../plan/artifacts.js';
import { cachedPath, partialPath } from './cache.js';
import { DigestMismatchError, sha256File } from './digest.js';
import { downloadResumable } from './download.js';
import { BUNDLE_TAR, bundleJson, sha256sums, type BundledFile } from './manifest.js';
import { writeTar, type TarEntry } from './tar.js';

export type BundleProgress =
  | { type: 'resolve'; artifact: string; from: 'dir' | 'cache' | 'mirror'; path: string }
  | { type: 'download'; artifact: string; bytes: number; total: number | null; resumedFrom: number; attempt: number }
  | { type: 'missing'; artifact: string; ref?: string }
  | { type: 'write'; bytes: number; total: number }
  | { type: 'done'; path: string; bytes: number };

export interface BuildBundleOptions {
  artifacts: readonly Artifact[];
  /** Directory holding artifacts by file name (or by bundle path, e.g. an extracted bundle). */
  fromDir?: string;
  /** Mirror whose paths repeat the upstream URL paths; caFile is a PEM CA for https. */
  mirror?: { url: string; caFile?: string };
  cacheDir: string;
  outDir: string;
  /** Seconds since the epoch stamped on every tar entry; defaults to $SOURCE_DATE_EPOCH, else 0. */
  sourceDateEpoch?: number;
  /** Fail when an image tarball is not supplied, instead of listing it as required. */
  requireImages?: boolean;
  download?: { maxAttempts?: number; retryDelayMs?: number; timeoutMs?: number };
  onProgress?: (e: BundleProgress) => void;
}

export interface BundleResult {
  tarPath: string;
  sha256sumsPath: string;
  bundleJsonPath: string;
  /** Size of the tar in bytes. */
  bytes: number;
  files: BundledFile[];
  /** Images not supplied (listed under requiredImages in bundle.json). */
  missingImages: Artifact[];
}

interface Resolved {
  artifact: Artifact;
  path: string;
  source: string;
  from: 'dir' | 'cache' | 'mirror';
  size: number;
  sha256: string;
  verified: boolean;
}

async function regularFileSize(path: string): Promise<number | null> {
  try {
    const st = await fs.stat(path);
    return st.isFile() ? st.size : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function epochFrom(opt: number | undefined): number {
  if (opt !== undefined) return opt;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return 0;
}

async function resolveArtifact(a: Artifact, o: BuildBundleOptions, caPem: string | undefined): Promise<Resolved | null> {
  if (!a.fileName || !a.bundlePath) return null;
  if (o.fromDir) {
    for (const candidate of [join(o.fromDir, a.fileName), join(o.fromDir, a.bundlePath)]) {
      const size = await regularFileSize(candidate);
      if (size === null) continue;
      o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'dir', path: candidate });
      // compile reads the CNI manifest from the cache too: a verified copy goes there.
      if (a.kind === 'manifest' && a.sha256) await cacheCopy(candidate, a.sha256, o.cacheDir);
      if (a.sha256) return { artifact: a, path: candidate, source: candidate, from: 'dir', size, sha256: a.sha256, verified: true };
      // No digest to check against (an image the table has none for): record what was supplied.
      const h = await sha256File(candidate);
      return { artifact: a, path: candidate, source: candidate, from: 'dir', size: h.size, sha256: h.sha256, verified: false };
    }
  }
  if (!a.sha256) return null;
  const cached = cachedPath(o.cacheDir, a.sha256);
  const cachedSize = await regularFileSize(cached);
  if (cachedSize !== null) {
    o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'cache', path: cached });
    return { artifact: a, path: cached, source: `${a.fileName} (cache ${cached})`, from: 'cache', size: cachedSize, sha256: a.sha256, verified: true };
  }
  if (o.mirror && a.url) {
    const url = mirrorUrl(o.mirror.url, a.url);
    const part = partialPath(o.cacheDir, a.sha256);
    o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'mirror', path: url });
    const { size } = await downloadResumable({
      url,
      dest: part,
      expectedSha256: a.sha256,
      label: `${a.fileName} (${url})`,
      ...(caPem ? { ca: caPem } : {}),
      ...o.download,
      onProgress: (p) => o.onProgress?.({ type: 'download', artifact: a.name, ...p }),
    });
    await fs.mkdir(join(o.cacheDir, 'sha256'), { recursive: true });
    await fs.rename(part, cached);
    return { artifact: a, path: cached, source: `${a.fileName} (cache ${cached})`, from: 'mirror', size, sha256: a.sha256, verified: true };
  }
  return null;
}

/** Copies a small file into the cache under its sha256, checked first; a mismatch throws. */
async function cacheCopy(path: string, sha256: string, cacheDir: string): Promise<void> {
  const got = await sha256File(path);
  if (got.sha256 !== sha256) throw new DigestMismatchError(path, sha256, got.sha256);
  const part = partialPath(cacheDir, sha256);
  await fs.mkdir(join(cacheDir, 'partial'), { recursive: true });
  await fs.copyFile(path, part);
  await fs.mkdir(join(cacheDir, 'sha256'), { recursive: true });
  await fs.rename(part, cachedPath(cacheDir, sha256));
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await fs.writeFile(tmp, content, { mode: 0o644 });
  await fs.rename(tmp, path);
}

export async function buildBundle(o: BuildBundleOptions): Promise<BundleResult> {
  const arches = [...new Set(o.artifacts.map((a) => a.arch))];
  if (arches.length !== 1) throw new Error(`a bundle holds one architecture; artifacts name ${arches.join(', ') || 'none'}`);
  const arch = arches[0] as string;
  const kubeadm = o.artifacts.find((a) => a.name === 'kubeadm');
  if (!kubeadm) throw new Error('the artifact list has no kubeadm; it does not come from neededArtifacts');
  const caPem = o.mirror?.caFile ? await fs.readFile(o.mirror.caFile, 'utf8') : undefined;

  const resolved: Resolved[] = [];
  const missingImages: Artifact[] = [];
  const missing: string[] = [];
  for (const a of o.artifacts) {
    if (a.kind === 'package') continue;
    const r = await resolveArtifact(a, o, caPem);
    if (r) {
      resolved.push(r);
    } else if (a.kind === 'image' && !o.requireImages) {
      missingImages.push(a);
      o.onProgress?.({ type: 'missing', artifact: a.name, ...(a.ref ? { ref: a.ref } : {}) });
    } else {
      missing.push(a.fileName ?? a.name);
    }
  }
  if (missing.length > 0) {
    const looked = [o.fromDir ? `--from ${o.fromDir}` : null, `cache ${o.cacheDir}`, o.mirror ? `mirror ${o.mirror.url}` : 'no mirror given']
      .filter(Boolean)
      .join(', ');
    throw new Error(`artifacts not found (${looked}): ${missing.join(', ')}`);
  }

  resolved.sort((x, y) => ((x.artifact.bundlePath ?? '') < (y.artifact.bundlePath ?? '') ? -1 : 1));
  const files: BundledFile[] = resolved.map((r) => ({
    artifact: r.artifact,
    path: r.artifact.bundlePath as string,
    sha256: r.sha256,
    size: r.size,
    verified: r.verified,
  }));
  const sums = sha256sums(files);
  const meta = bundleJson({
    kubernetesVersion: kubeadm.version,
    arch,
    files,
    missingImages,
    packages: o.artifacts.filter((a) => a.kind === 'package'),
  });

  const dirs = [...new Set(files.map((f) => f.path.slice(0, f.path.indexOf('/'))))].sort();
  const entries: TarEntry[] = [
    { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from(meta) },
    { type: 'buffer', path: 'SHA256SUMS', mode: 0o644, content: Buffer.from(sums) },
  ];
  for (const d of dirs) {
    entries.push({ type: 'directory', path: d, mode: 0o755 });
    for (const r of resolved.filter((x) => (x.artifact.bundlePath as string).startsWith(`${d}/`))) {
      entries.push({
        type: 'file',
        path: r.artifact.bundlePath as string,
        mode: r.artifact.mode ?? 0o644,
        source: r.path,
        size: r.size,
        sha256: r.sha256,
        label: r.source,
      });
    }
  }

  await fs.mkdir(o.outDir, { recursive: true });
  const tarPath = join(o.outDir, BUNDLE_TAR);
  const tmp = join(o.outDir, `.${BUNDLE_TAR}.tmp-${process.pid}`);
  const total = files.reduce((n, f) => n + f.size, 0);
  let bytes: number;
  try {
    bytes = await writeTar(tmp, entries, {
      mtime: new Date(epochFrom(o.sourceDateEpoch) * 1000),
      onBytes: (b) => o.onProgress?.({ type: 'write', bytes: b, total }),
    });
    await fs.rename(tmp, tarPath);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    // A cached file that no longer matches its own name is corrupt: drop it so the next run refetches.
    if (e instanceof DigestMismatchError) {
      const bad = resolved.find((r) => r.source === e.file && r.from !== 'dir');
      if (bad) await fs.rm(bad.path, { force: true });
    }
    throw e;
  }
  const sha256sumsPath = join(o.outDir, 'SHA256SUMS');
  const bundleJsonPath = join(o.outDir, 'bundle.json');
  await writeAtomically(sha256sumsPath, sums);
  await writeAtomically(bundleJsonPath, meta);
  o.onProgress?.({ type: 'done', path: tarPath, bytes });
  return { tarPath, sha256sumsPath, bundleJsonPath, bytes, files, missingImages };
}
