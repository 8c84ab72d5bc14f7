/**
 * The bundle's own description: SHA256SUMS (checked with `sha256sum -c SHA256SUMS` in the
 * extracted tree) and bundle.json (its schema: src/plan/bundle-manifest.ts). Pure: built from
 * gathered entries, serialized by toJson.
 */
import type { Artifact } from '../../plan/artifacts.js';
import { BUNDLE_FORMAT_VERSION } from '../../plan/bundle-manifest.js';
import { toJson } from '../../render/serialize.js';
import { KUBESEED_VERSION } from '../version.js';

export { BUNDLE_FORMAT_VERSION };
export const BUNDLE_TAR = 'kubeseed-bundle.tar';

/** The kinds `--skip` can leave out. */
export type SkippableKind = 'binaries' | 'images' | 'packages';

/** One file inside the bundle, with the digest and size it was checked at. */
export interface BundledFile {
  artifact: Artifact;
  path: string;
  /** sha256 (hex) of the file: for an image, of the archive kubeseed wrote. */
  sha256: string;
  size: number;
  /** Images: what the archive holds. */
  image?: { digest: string; manifestDigest: string; platform: string };
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
  /** Kinds left out with --skip. */
  skipped?: readonly SkippableKind[];
  files: readonly BundledFile[];
  /** OS packages the nodes install from their distribution's repositories. */
  packages: readonly Artifact[];
}

export function bundleJson(m: BundleMeta): string {
  return toJson({
    kind: 'KubeseedBundle',
    version: BUNDLE_FORMAT_VERSION,
    kubeseedVersion: KUBESEED_VERSION,
    kubernetesVersion: m.kubernetesVersion,
    arch: m.arch,
    skipped: [...(m.skipped ?? [])].sort(),
    artifacts: m.files.map((f) => ({
      name: f.artifact.name,
      kind: f.artifact.kind,
      version: f.artifact.version,
      path: f.path,
      sha256: f.sha256,
      size: f.size,
      ...(f.artifact.url ? { url: f.artifact.url } : {}),
      ...(f.artifact.installTo ? { installTo: f.artifact.installTo } : {}),
      ...(f.artifact.mode !== undefined ? { mode: `0${f.artifact.mode.toString(8)}` } : {}),
      ...(f.artifact.repository ? { repository: f.artifact.repository } : {}),
      ...(f.artifact.ref ? { ref: f.artifact.ref } : {}),
      ...(f.artifact.pull ? { source: f.artifact.pull } : {}),
      ...(f.image ? { digest: f.image.digest, manifestDigest: f.image.manifestDigest, platform: f.image.platform } : {}),
    })),
    packages: m.packages.map((a) => ({ tool: a.package?.tool, manager: a.package?.manager, name: a.package?.name })),
  });
}
