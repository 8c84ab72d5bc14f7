/**
 * The pod network: which plugin and release, the pods' MTU, the images its manifest names (each
 * rewritten to the site's registry when the profile says so, and pinned by digest when one is
 * known), where the node finds the patched manifest and which ports it needs. Pure: the upstream
 * manifest's bytes and the digests a bundle recorded are inputs the CLI reads.
 */
import type { Profile } from '../profile/schema/v1alpha1.js';
import type { CniPlan, CniImage } from './types.js';
import { cniRelease, cniVersionsFor, versionTable, type CniImageSpec, type CniPluginName, type VersionTable } from './versions.js';

/** The interface MTU the default pod MTU starts from: Ethernet's, when the profile says nothing. */
export const DEFAULT_INTERFACE_MTU = 1500;
/** The smallest pod MTU accepted: IPv6's minimum link MTU (RFC 8200), which a dual-stack pod needs. */
export const MIN_POD_MTU = 1280;
/** The largest interface MTU assumed possible: 9000-byte jumbo frames. */
export const MAX_INTERFACE_MTU = 9000;

/** Where the init node finds the patched manifest it applies. */
export const CNI_DIR = '/etc/kubeseed/cni';

/** A digest kubeseed bundle recorded for an upstream reference (trust on first use). */
export interface RecordedDigest {
  readonly digest: string;
  readonly source: string;
}

export interface CniInputs {
  readonly table?: VersionTable;
  /** The upstream manifest as compile found it; absent: no pod network is compiled in. */
  readonly manifest?: { readonly text: string; readonly origin: string };
  /** Digests bundle.json recorded, by upstream reference (`docker.io/calico/node:v3.30.7`). */
  readonly recorded?: ReadonlyMap<string, RecordedDigest>;
}

/** `docker.io/calico/node:v3.30.7`: the reference as the upstream manifest writes it. */
export function upstreamRef(img: CniImageSpec): string {
  return `${img.registry}/${img.path}:${img.tag}`;
}

/**
 * What kubelet asks for. When imageRepository names the site's own registry (anything but the
 * table's default, registry.k8s.io), every CNI image is expected there under its upstream
 * repository path, as kubeadm's images sit under it: docker.io/calico/node:v3.30.7 →
 * <imageRepository>/calico/node:v3.30.7 (the layout `kubeseed bundle --push` must use too).
 * Otherwise the upstream reference stays: a registry in containerd.mirrors is then reached
 * through containerd's hosts.toml, without a rewrite.
 */
export function siteRef(img: CniImageSpec, imageRepository: string, table: VersionTable): string {
  const repo = imageRepository.replace(/\/+$/, '');
  return repo === table.imageRegistry ? upstreamRef(img) : `${repo}/${img.path}:${img.tag}`;
}

function image(img: CniImageSpec, imageRepository: string, table: VersionTable, recorded: ReadonlyMap<string, RecordedDigest> | undefined): CniImage {
  const upstream = upstreamRef(img);
  const ref = siteRef(img, imageRepository, table);
  // The table's digest wins: a bundle that recorded another one pulled another build.
  const got = img.digest ? { digest: img.digest, source: `version table: ${img.source}` } : recorded?.get(upstream);
  const digest = got?.digest ?? null;
  return {
    upstream,
    ref,
    digest,
    digestSource: got?.source ?? 'none: the version table has no digest for it and no bundle.json recorded one; kubeseed bundle records the digest it pulls (trust on first use)',
    pinned: digest ? `${ref}@${digest}` : ref,
  };
}

/** The release a profile gets: the one it names, else the newest the table lists for the minor. */
export function cniVersion(plugin: CniPluginName, minor: string, asked: string | undefined, table: VersionTable = versionTable()): string | undefined {
  if (asked !== undefined) return cniVersionsFor(plugin, minor, table).includes(asked) ? asked : undefined;
  return cniVersionsFor(plugin, minor, table).at(-1);
}

/** The pods' MTU: the profile's, else the default interface MTU less the plugin's header. */
export function podMtu(profile: Profile, overhead: number): number {
  return profile.spec.cni.mtu ?? DEFAULT_INTERFACE_MTU - overhead;
}

/**
 * The CNI plan. Throws for a plugin release the table lacks for the minor: profile validation
 * rejects those first, so reaching here with one is a bug.
 */
export function planCni(profile: Profile, minor: string, inputs: CniInputs = {}): CniPlan {
  const c = profile.spec.cni;
  if (c.plugin === 'none') return { plugin: 'none' };
  const table = inputs.table ?? versionTable();
  const version = cniVersion(c.plugin, minor, c.version, table);
  const release = version ? cniRelease(c.plugin, version, table) : undefined;
  if (!version || !release) throw new Error(`unreachable: validation rejects ${c.plugin} ${c.version ?? '(default)'} for Kubernetes ${minor}`);
  const m = release.manifest;
  return {
    plugin: c.plugin,
    version,
    podSubnet: profile.spec.kubernetes.podSubnet,
    mtu: podMtu(profile, release.encapsulation.overhead),
    encapsulation: { name: release.encapsulation.name, overhead: release.encapsulation.overhead },
    images: release.images.map((img) => image(img, profile.spec.kubernetes.imageRepository, table, inputs.recorded)),
    manifest: {
      url: m.url,
      fileName: m.fileName,
      sha256: m.sha256,
      source: m.source,
      path: `${CNI_DIR}/${c.plugin}-${version}.yaml`,
    },
    ...(inputs.manifest ? { upstream: inputs.manifest } : {}),
    firewall: { ports: [...release.firewall.ports], ipProtocols: [...release.firewall.ipProtocols] },
  };
}
