/**
 * bundle.json, the description `kubeseed bundle` writes (src/emit/bundle/manifest.ts) and the
 * compile step reads back as a plan input, so a node expects exactly the files its bundle carries,
 * with the digests kubeseed checked at bundle time. Version 2: images are OCI image-layout
 * archives kubeseed made, listed with the reference they import as and their pinned digests.
 * Pure: the CLI reads the file, this parses it.
 */
import { z } from 'zod';
import { ociDigest, sha256Hex } from './version-table-schema.js';

export const BUNDLE_FORMAT_VERSION = 2;

// A relative path inside the bundle: it becomes a path under the node's extraction directory,
// so no leading '/', no '..' and no characters a tar member name would not carry.
const bundlePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._+~-]*(\/[A-Za-z0-9_][A-Za-z0-9._+~-]*)*$/, 'a relative path without ".." (e.g. files/kubeadm)')
  .refine((p) => !p.split('/').includes('..'), 'a relative path without ".."');

const entrySchema = z.object({
  name: z.string().min(1),
  kind: z.enum(['binary', 'archive', 'manifest', 'image', 'package']),
  version: z.string(),
  path: bundlePath,
  /** sha256 of the file in the bundle (for an image: of its archive). */
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  url: z.string().optional(),
  /** OS packages: the suite/component or repository the signed metadata listed it in. */
  repository: z.string().optional(),
  installTo: z.string().optional(),
  mode: z.string().regex(/^0[0-7]{3}$/).optional(),
  /** Images: the reference the archive imports as. */
  ref: z.string().optional(),
  /** Images: the reference pulled, pinned by digest. */
  source: z.string().optional(),
  /** Images: the index (manifest list) digest the reference resolves to. */
  digest: ociDigest.optional(),
  /** Images: the digest of the platform's manifest inside the index. */
  manifestDigest: ociDigest.optional(),
  /** Images: `linux/amd64`. */
  platform: z.string().optional(),
});

export const bundleManifestSchema = z.object({
  kind: z.literal('KubeseedBundle'),
  version: z.literal(BUNDLE_FORMAT_VERSION),
  kubernetesVersion: z.string(),
  arch: z.enum(['amd64', 'arm64']),
  /** Kinds left out on purpose (`--skip`): the nodes get them elsewhere. */
  skipped: z.array(z.enum(['binaries', 'images', 'packages'])).default([]),
  artifacts: z.array(entrySchema),
  packages: z.array(z.object({ tool: z.string().optional(), manager: z.string().optional(), name: z.string().optional() })).default([]),
});

/** bundle.json as the plan and the node-side renderer use it. */
export type BundleManifest = z.output<typeof bundleManifestSchema>;
export type BundleEntry = BundleManifest['artifacts'][number];

/** Parses bundle.json text; throws an Error naming every bad field (`artifacts.2.sha256: ...`). */
export function parseBundleManifest(text: string, file = 'bundle.json'): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = bundleManifestSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${file}: not a kubeseed bundle description (version ${BUNDLE_FORMAT_VERSION}; run kubeseed bundle again):\n${lines.join('\n')}`);
  }
  const seen = new Set<string>();
  for (const a of r.data.artifacts) {
    if (seen.has(a.path)) throw new Error(`${file}: ${a.path} is listed twice`);
    seen.add(a.path);
    if (a.kind === 'image' && (!a.ref || !a.digest)) throw new Error(`${file}: image ${a.path} has no ref or digest`);
  }
  return r.data;
}
