/**
 * The version table's shape, with zod. Only tests and tools that take a table from outside need
 * it at run time; the shipped table is held to it by test/bundle/versions.test.ts.
 */
import { z } from 'zod';
import { CNI_PLUGINS, COMPONENTS, deepFreeze, IMAGE_NAMES, OS_FAMILIES, OS_TOOLS, type CniPluginName, type ComponentName, type ImageName, type OsFamily, type OsTool } from './versions.js';

/** The sha256 of a file, lowercase hex (bundle.json uses it too). */
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256 digest');
/** An OCI content digest, `sha256:<hex>`. */
export const ociDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>');
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'MAJOR.MINOR.PATCH without a leading v');
const kubeVersion = z.string().regex(/^v\d+\.\d+\.\d+$/, 'vMAJOR.MINOR.PATCH');
const octalMode = z.string().regex(/^0[0-7]{3}$/, 'an octal mode such as 0755');
const source = z.string().min(1);

const componentSchema = z.strictObject({
  kind: z.enum(['binary', 'archive']),
  url: z.string().startsWith('https://'),
  checksumUrl: z.string().startsWith('https://'),
  // A plain file name: it is joined onto --from and bundle paths, so no directories or '..'.
  fileName: z.string().regex(/^[A-Za-z0-9_{}-][A-Za-z0-9._{}-]*$/, 'a file name without directories'),
  installTo: z.string().startsWith('/'),
  mode: octalMode.optional(),
  sources: z.strictObject({ url: source, checksumUrl: source }),
});

const digestEntrySchema = z.strictObject({ amd64: sha256Hex, arm64: sha256Hex, source });

const imageSchema = z.strictObject({
  /** Repository path under the registry: `kube-apiserver`, `coredns/coredns`. */
  path: z.string().regex(/^[a-z0-9][a-z0-9./-]*$/),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/),
  /**
   * The image's multi-arch index (manifest list) digest, `sha256:<hex>`: the sha256 of the index
   * JSON bytes the registry serves for this tag, which every platform's image hangs off. Never the
   * sha256 of a tar file: archives are made by kubeseed and hashed in SHA256SUMS.
   */
  digest: ociDigest,
  /** Where the digest was copied from: the promoter manifest, its commit, and the tag's line. */
  source,
});

const kubernetesEntrySchema = z.strictObject({
  version: kubeVersion,
  kubeadmApiVersion: z.enum(['v1beta3', 'v1beta4']),
  crictl: semver,
  cniPlugins: semver,
  runc: semver,
  containerd: z.strictObject({ default: semver, supported: z.array(semver).min(1) }),
  images: z.strictObject(Object.fromEntries(IMAGE_NAMES.map((n) => [n, imageSchema])) as Record<ImageName, typeof imageSchema>),
  sources: z.record(z.string(), source),
});

/** An image's index digest (the sha256 of the multi-arch index JSON), never a tar's. */
const imageDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex>: the image index digest');

const cniImageSchema = z.strictObject({
  registry: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, 'a registry host like docker.io'),
  path: z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/),
  /** null when no named source has it: kubeseed bundle records the digest it pulls (trust on first use). */
  digest: imageDigest.nullable(),
  source,
});

/** One release of a CNI plugin: its upstream manifest and what the manifest needs from the site. */
const cniReleaseSchema = z.strictObject({
  /** Kubernetes minors the project says it tests this release with. */
  kubernetes: z.array(z.string().regex(/^\d+\.\d+$/)).min(1),
  kubernetesSource: source,
  manifest: z.strictObject({
    url: z.string().startsWith('https://'),
    fileName: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/, 'a file name without directories'),
    sha256: sha256Hex,
    bytes: z.number().int().positive(),
    source,
  }),
  images: z.array(cniImageSchema).min(1),
  /** The default encapsulation of the manifest and the bytes its header takes from the MTU. */
  encapsulation: z.strictObject({ name: z.string().min(1), overhead: z.number().int().nonnegative(), source }),
  /** What every node's firewall must let through between nodes. */
  firewall: z.strictObject({
    ports: z.array(z.string().regex(/^\d{1,5}(-\d{1,5})?\/(tcp|udp)$/, 'PORT/tcp or PORT/udp')),
    ipProtocols: z.array(z.number().int().min(0).max(255)),
    source,
  }),
});

const osFamilySchema = z.strictObject({
  manager: z.enum(['apt', 'dnf', 'rpm-ostree', 'none']),
  packages: z.strictObject(
    Object.fromEntries(OS_TOOLS.map((t) => [t, z.string().min(1).nullable()])) as Record<OsTool, z.ZodNullable<z.ZodString>>,
  ),
  source,
});

// Suite, component and repository names become URL paths below --os-mirror: no '..', no scheme.
const repoPath = z.string().regex(/^[A-Za-z0-9_{}][A-Za-z0-9._{}-]*(\/[A-Za-z0-9_{}][A-Za-z0-9._{}-]*)*$/, 'a relative path without ".."');
const osReleaseSchema = z.discriminatedUnion('manager', [
  z.strictObject({
    manager: z.literal('apt'),
    /** The public archive (the root holding dists/ and pool/); --os-mirror replaces it. */
    mirror: z.string().startsWith('http').nullable(),
    suites: z.array(z.strictObject({ suite: repoPath, components: z.array(repoPath).min(1) })).min(1),
    /** Where the archive's signing keys are found, for the user's --keyring. */
    keyring: z.string().min(1),
    source,
  }),
  z.strictObject({
    manager: z.literal('dnf'),
    mirror: z.string().startsWith('http').nullable(),
    /** Repositories below the mirror root; {rpmArch} becomes x86_64 or aarch64. */
    repos: z.array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_{}.-]+$/), path: repoPath })).min(1),
    keyring: z.string().min(1),
    source,
  }),
]);

export const versionTableSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    description: z.string(),
    // The day the table's rows were last checked against their sources (`kubeseed --version`).
    updated: z.iso.date(),
    imageRegistry: z.string().min(1),
    components: z.strictObject(
      Object.fromEntries(COMPONENTS.map((c) => [c, componentSchema])) as Record<ComponentName, typeof componentSchema>,
    ),
    digests: z.strictObject(
      Object.fromEntries(COMPONENTS.map((c) => [c, z.record(z.string(), digestEntrySchema)])) as Record<
        ComponentName,
        z.ZodRecord<z.ZodString, typeof digestEntrySchema>
      >,
    ),
    kubernetes: z.record(z.string().regex(/^\d+\.\d+$/), kubernetesEntrySchema),
    osPackages: z.strictObject({
      tools: z.strictObject(
        Object.fromEntries(OS_TOOLS.map((t) => [t, z.strictObject({ preflight: z.string() })])) as Record<
          OsTool,
          z.ZodObject<{ preflight: z.ZodString }>
        >,
      ),
      families: z.strictObject(
        Object.fromEntries(OS_FAMILIES.map((f) => [f, osFamilySchema])) as Record<OsFamily, typeof osFamilySchema>,
      ),
      /** Per OS release (`debian-12`, `rocky-9`): the repositories its packages are resolved in. */
      releases: z.record(z.string().regex(/^(ubuntu|debian|rocky|rhel)-\d+(\.\d+)?$/), osReleaseSchema),
      source,
    }),
    cni: z.strictObject(
      Object.fromEntries(CNI_PLUGINS.map((p) => [p, z.record(z.string().regex(/^v\d+\.\d+\.\d+$/), cniReleaseSchema)])) as Record<
        CniPluginName,
        z.ZodRecord<z.ZodString, typeof cniReleaseSchema>
      >,
    ),
    sources: z.record(z.string(), source),
  })
  .superRefine((t, ctx) => {
    // Every Kubernetes minor needs a release of every plugin, or a profile could not get a default.
    for (const plugin of CNI_PLUGINS) {
      for (const minor of Object.keys(t.kubernetes)) {
        if (!Object.values(t.cni[plugin]).some((r) => r.kubernetes.includes(minor))) {
          ctx.addIssue({ code: 'custom', path: ['cni', plugin], message: `no release lists Kubernetes ${minor}` });
        }
      }
    }
    // Every version a minor entry names must have digests; a gap would only show at bundle time.
    for (const [minor, e] of Object.entries(t.kubernetes)) {
      if (!e.version.startsWith(`v${minor}.`)) {
        ctx.addIssue({ code: 'custom', path: ['kubernetes', minor, 'version'], message: `${e.version} is not a ${minor} release` });
      }
      const need: [ComponentName, string][] = [
        ['kubeadm', e.version],
        ['kubelet', e.version],
        ['kubectl', e.version],
        ['crictl', e.crictl],
        ['cni-plugins', e.cniPlugins],
        ['runc', e.runc],
        ...e.containerd.supported.map((v): [ComponentName, string] => ['containerd', v]),
      ];
      for (const [c, v] of need) {
        if (!t.digests[c][v]) {
          ctx.addIssue({ code: 'custom', path: ['kubernetes', minor], message: `no digests for ${c} ${v}` });
        }
      }
      if (!e.containerd.supported.includes(e.containerd.default)) {
        ctx.addIssue({ code: 'custom', path: ['kubernetes', minor, 'containerd'], message: 'default is not in supported' });
      }
    }
  });

export type VersionTable = z.infer<typeof versionTableSchema>;
export type ComponentSpec = VersionTable['components'][ComponentName];
export type ImageSpec = z.infer<typeof imageSchema>;
export type OsRelease = z.infer<typeof osReleaseSchema>;
export type CniRelease = z.infer<typeof cniReleaseSchema>;
export type CniImageSpec = z.infer<typeof cniImageSchema>;

/** Validates a table (the shipped one, or a test's own); throws with every zod issue's path. */
export function parseVersionTable(input: unknown): VersionTable {
  const r = versionTableSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid version table:\n${lines.join('\n')}`);
  }
  return deepFreeze(r.data);
}
