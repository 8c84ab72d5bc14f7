/**
 * The one version table (versions.json), checked with zod when this module loads, and the
 * lookups the rest of kubeseed uses. The JSON is data copied from upstream sources (each fact
 * names its source); this file holds only its shape and the lookups.
 */
import { z } from 'zod';
import raw from './versions.json' with { type: 'json' };

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export const OS_FAMILIES = ['ubuntu', 'debian', 'rocky', 'rhel', 'flatcar', 'fcos'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

export const COMPONENTS = ['kubeadm', 'kubelet', 'kubectl', 'containerd', 'runc', 'cni-plugins', 'crictl'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export const OS_TOOLS = ['conntrack', 'socat', 'ipvsadm', 'ebtables', 'ethtool'] as const;
export type OsTool = (typeof OS_TOOLS)[number];

export const IMAGE_NAMES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  'coredns',
  'etcd',
  'pause',
] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256 digest');
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
  path: z.string().regex(/^[a-z0-9][a-z0-9./-]*$/),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/),
  /** Optional image index digest; when present a supplied image tarball is checked against the per-arch digests. */
  digests: z.strictObject({ amd64: sha256Hex, arm64: sha256Hex }).optional(),
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

const osFamilySchema = z.strictObject({
  manager: z.enum(['apt', 'dnf', 'rpm-ostree', 'none']),
  packages: z.strictObject(
    Object.fromEntries(OS_TOOLS.map((t) => [t, z.string().min(1).nullable()])) as Record<OsTool, z.ZodNullable<z.ZodString>>,
  ),
  source,
});

export const versionTableSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    description: z.string(),
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
      source,
    }),
    sources: z.record(z.string(), source),
  })
  .superRefine((t, ctx) => {
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

/** One supported Kubernetes release with everything the table knows about it. */
export interface VersionEntry {
  /** `v1.31.13` */
  version: string;
  /** `1.31` */
  minor: string;
  kubeadmApiVersion: 'v1beta3' | 'v1beta4';
  crictl: string;
  cniPlugins: string;
  runc: string;
  containerd: { default: string; supported: readonly string[] };
  images: Readonly<Record<ImageName, ImageSpec>>;
  sources: Readonly<Record<string, string>>;
}

/** Validates a table (the shipped one, or a test's own); throws with every zod issue's path. */
export function parseVersionTable(input: unknown): VersionTable {
  const r = versionTableSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid version table:\n${lines.join('\n')}`);
  }
  return deepFreeze(r.data);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const shipped: VersionTable = parseVersionTable(raw);

/** The shipped table (validated and frozen at load). */
export function versionTable(): VersionTable {
  return shipped;
}

/** Every exact Kubernetes version the table supports, oldest first: `['v1.29.12', ...]`. */
export function supportedVersions(table: VersionTable = shipped): string[] {
  return Object.values(table.kubernetes)
    .map((e) => e.version)
    .sort(compareKubeVersions);
}

/**
 * The entry for one exact Kubernetes version (`v1.31.13` or `1.31.13`); undefined when the table
 * has no digests for that patch release, since a bundle cannot be verified without them.
 */
export function versionEntry(k8sVersion: string, table: VersionTable = shipped): VersionEntry | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(k8sVersion);
  if (!m) return undefined;
  const minor = `${m[1]}.${m[2]}`;
  const e = table.kubernetes[minor];
  if (!e || e.version !== `v${m[1]}.${m[2]}.${m[3]}`) return undefined;
  return { ...e, minor };
}

/** The sha256 of one component release for one arch, or undefined when the table lacks it. */
export function componentDigest(
  component: ComponentName,
  version: string,
  arch: Arch,
  table: VersionTable = shipped,
): string | undefined {
  return table.digests[component][version]?.[arch];
}

/** Expands `{version}` and `{arch}` in a URL or file-name pattern. */
export function expandPattern(pattern: string, version: string, arch: Arch): string {
  return pattern.replaceAll('{version}', version).replaceAll('{arch}', arch);
}

function compareKubeVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** OS package names kubeadm's preflight wants, for one family, sorted. */
export function osPackages(family: OsFamily, table: VersionTable = shipped): string[] {
  const pkgs = table.osPackages.families[family]?.packages ?? {};
  return Object.values(pkgs).filter((p): p is string => typeof p === 'string').sort();
}
