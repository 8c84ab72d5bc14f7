/**
 * The bundle's own description: SHA256SUMS (checked with `sha256sum -c SHA256SUMS` in the
 * extracted tree) and bundle.json. Pure: built from resolved entries, serialized by toJson.
 */
import type { Artifact } from '../../plan/artifacts.js';
import { toJson } from '../../render/serialize.js';

export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_TAR = 'kubeseed-bundle.tar';

/** One file inside the bundle, with the digest and size it was verified at. */
export interface BundledFile {
  artifact: Artifact;
  path: string;
  sha256: string;
  size: number;
  /** False for an image tarball the table has no digest for (recorded, not checked). */
  verified: boolean;
}

/** `<hex>  <path>` lines, sorted by path: the format `sha256sum -c` reads. */
export function sha256sums(files: readonly BundledFile[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.path}\n`)
    .join('');
}

export interface BundleMeta {
  kubernetesVersion: string;
  arch: string;
  files: readonly BundledFile[];
  /** Images the profile needs that were not supplied; the site must provide them otherwise. */
  missingImages: readonly Artifact[];
  /** OS packages the nodes install from their distribution's repositories. */
  packages: readonly Artifact[];
}

export function bundleJson(m: BundleMeta): string {
  return toJson({
    kind: 'KubeseedBundle',
    version: BUNDLE_FORMAT_VERSION,
    kubernetesVersion: m.kubernetesVersion,
    arch: m.arch,
    artifacts: m.files.map((f) => ({
      name: f.artifact.name,
      kind: f.artifact.kind,
      version: f.artifact.version,
      path: f.path,
      sha256: f.sha256,
      size: f.size,
      verified: f.verified,
      ...(f.artifact.url ? { url: f.artifact.url } : {}),
      ...(f.artifact.ref ? { ref: f.artifact.ref } : {}),
      ...(f.artifact.upstream ? { upstream: f.artifact.upstream } : {}),
      ...(f.artifact.digest ? { digest: f.artifact.digest } : {}),
      ...(f.artifact.installTo ? { installTo: f.artifact.installTo } : {}),
      ...(f.artifact.mode !== undefined ? { mode: `0${f.artifact.mode.toString(8)}` } : {}),
    })),
    requiredImages: m.missingImages.map((a) => ({ name: a.name, ref: a.ref, fileName: a.fileName })),
    packages: m.packages.map((a) => ({ tool: a.package?.tool, manager: a.package?.manager, name: a.package?.name })),
  });
}
