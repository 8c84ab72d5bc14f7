/**
 * Reading back the bundle.json that `kubeseed bundle` writes (src/emit/bundle/manifest.ts): the
 * compile step takes it as a plan input, so a node expects exactly the files its bundle carries,
 * with the digests kubeseed checked at bundle time. Pure: the CLI reads the file, this parses it.
 */
import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256 digest');
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
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  verified: z.boolean(),
  url: z.string().optional(),
  ref: z.string().optional(),
  /** Images: the upstream reference pulled, and the index digest the pull got with where it came from. */
  upstream: z.string().optional(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
  digestSource: z.string().optional(),
  installTo: z.string().optional(),
  mode: z.string().regex(/^0[0-7]{3}$/).optional(),
});

export const bundleManifestSchema = z.object({
  kind: z.literal('KubeseedBundle'),
  version: z.literal(1),
  kubernetesVersion: z.string(),
  arch: z.enum(['amd64', 'arm64']),
  artifacts: z.array(entrySchema),
  requiredImages: z.array(z.object({ name: z.string(), ref: z.string().optional(), fileName: z.string().nullable().optional() })).default([]),
  packages: z.array(z.object({ tool: z.string().optional(), manager: z.string().optional(), name: z.string().optional() })).default([]),
});

/** bundle.json as the node-side renderer uses it. */
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
    throw new Error(`${file}: not a kubeseed bundle description:\n${lines.join('\n')}`);
  }
  const seen = new Set<string>();
  for (const a of r.data.artifacts) {
    if (seen.has(a.path)) throw new Error(`${file}: ${a.path} is listed twice`);
    seen.add(a.path);
  }
  return r.data;
}
