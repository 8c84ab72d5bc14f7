/**
 * The one version table (versions.json) and the lookups the rest of kubeseed uses; its shape
 * is version-table-schema.ts. The JSON is data copied from upstream sources (each fact
 * names its source); this file holds only its shape and the lookups.
 */
import raw from './versions.json' with { type: 'json' };
import type { CniRelease, ComponentSpec, ImageSpec, VersionTable } from './version-table-schema.js';

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export const OS_FAMILIES = ['ubuntu', 'debian', 'rocky', 'rhel', 'flatcar', 'fcos'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

export const COMPONENTS = ['kubeadm', 'kubelet', 'kubectl', 'containerd', 'runc', 'cni-plugins', 'crictl'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/**
 * The tools first boot needs from the OS: kubeadm's preflight list (conntrack, socat, ebtables,
 * ethtool, iptables, ip/tc), ipvsadm for IPVS, and what kubeseed's own phases run (curl,
 * modprobe, CA certificates for https). A family's minimal install may have some already.
 */
export const OS_TOOLS = ['conntrack', 'socat', 'ipvsadm', 'ebtables', 'ethtool', 'iptables', 'curl', 'kmod', 'iproute2', 'ca-certificates'] as const;
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

export const CNI_PLUGINS = ['calico', 'flannel'] as const;
export type CniPluginName = (typeof CNI_PLUGINS)[number];

export type { CniImageSpec, CniRelease, ComponentSpec, ImageSpec, OsRelease, VersionTable } from './version-table-schema.js';

/** One supported Kubernetes release with everything the table knows about it. */
export interface VersionEntry {
  /** `v1.31.12` */
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

/** Freezes a table so no caller can change what every other caller reads. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

// Not parsed here: test/bundle/versions.test.ts holds the shipped JSON to versionTableSchema, and
// leaving zod out of this module keeps it out of the rendering thread, which only reads the table.
const shipped = deepFreeze(raw as unknown as VersionTable);

/** The shipped table (frozen at load). */
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
 * The entry for one exact Kubernetes version (`v1.31.12` or `1.31.12`); undefined when the table
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

/**
 * The releases of a CNI plugin that list a Kubernetes minor, oldest first; the last is the
 * default for that minor.
 */
export function cniVersionsFor(plugin: CniPluginName, minor: string, table: VersionTable = shipped): string[] {
  return Object.entries(table.cni[plugin])
    .filter(([, r]) => r.kubernetes.includes(minor))
    .map(([v]) => v)
    .sort(compareKubeVersions);
}

/** One release row of a CNI plugin, or undefined when the table lacks it. */
export function cniRelease(plugin: CniPluginName, version: string, table: VersionTable = shipped): CniRelease | undefined {
  return Object.hasOwn(table.cni[plugin], version) ? table.cni[plugin][version] : undefined;
}

/** Orders vMAJOR.MINOR.PATCH strings (the leading v optional) by their numbers. */
export function compareKubeVersions(a: string, b: string): number {
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
