/**
 * Which artifacts a site needs, from a handful of profile facts and the version table, and whether
 * a built bundle fits them. Pure: no I/O. The same list drives `kubeseed bundle` (what to put in
 * the tar), `bundle --list` (what an operator must mirror) and the first-boot script (what each
 * node installs and checks).
 */
import { formatReference, parseReference } from '../oci/reference.js';
import type { Profile } from '../profile/schema/v1alpha1.js';
import type { BundleManifest } from './bundle-manifest.js';
import {
  COMPONENTS,
  IMAGE_NAMES,
  OS_TOOLS,
  expandPattern,
  versionEntry,
  versionTable,
  type Arch,
  type ComponentName,
  type OsFamily,
  type VersionTable,
} from './versions.js';
import { planCni } from './cni.js';
import type { CniPlan } from './types.js';

export type ArtifactKind = 'binary' | 'archive' | 'manifest' | 'image' | 'package';

export interface Artifact {
  /** `kubeadm`, `containerd`, `image/kube-apiserver`, `image/extra/docker.io/library/busybox`, `package/conntrack` */
  name: string;
  kind: ArtifactKind;
  version: string;
  arch: Arch;
  /** Upstream download URL (binaries and archives); null for images and OS packages. */
  url: string | null;
  /** Upstream file listing this artifact's digest; null where there is none. */
  checksumUrl: string | null;
  /**
   * sha256 (lowercase hex) of the file itself: binaries and archives, from the version table.
   * null for images (a file kubeseed makes; their pin is `digest`) and OS packages.
   */
  sha256: string | null;
  /** Name in a --from directory and the last part of bundlePath; null for OS packages. */
  fileName: string | null;
  /** Path inside the bundle tar (`files/kubeadm`, `images/...tar`); null when not bundled. */
  bundlePath: string | null;
  /** Where the node puts it: a file path for binaries, a directory archives extract into. */
  installTo?: string;
  /** File mode for binaries (e.g. 0o755). */
  mode?: number;
  /** Images: the reference kubelet asks for and the archive is imported as (`<imageRepository>/<path>:<tag>`). */
  ref?: string;
  /**
   * Images: the reference kubeseed pulls, pinned (`registry.k8s.io/kube-apiserver:v1.31.12@sha256:...`);
   * a pod-network image the table has no digest for is pulled by its tag, and the digest it
   * resolved to is recorded in bundle.json (trust on first use).
   */
  pull?: string;
  /** Images: the multi-arch index (manifest list) digest, `sha256:<hex>`, the ref must resolve to; absent only for such a tag pull. */
  digest?: string;
  /** OS package manager and package name for OS packages. */
  package?: { manager: 'apt' | 'dnf' | 'rpm-ostree'; name: string; tool: string };
  /** OS package files: the suite/component or repository id the signed metadata listed it in. */
  repository?: string;
}

export interface ArtifactFacts {
  /** `v1.31.12` (a version the table supports exactly). */
  kubernetesVersion: string;
  arch: Arch;
  /** Defaults to the table's default for that Kubernetes minor. */
  containerdVersion?: string;
  osFamily: OsFamily;
  /** Registry that replaces registry.k8s.io in image references (profile imageRepository). */
  imageRepository?: string;
  /** Site images, `<ref>@sha256:<index digest>` (profile artifacts.extraImages). */
  extraImages?: readonly string[];
  /** The pod network (planCni): its upstream manifest, and its images. */
  cni?: CniPlan;
}

/**
 * The one place profile fields become artifact facts (buildPlan and `kubeseed bundle` both use
 * it). buildPlan replaces `cni` with the plan's, which knows the digests a built bundle recorded.
 */
export function artifactFacts(profile: Profile, table: VersionTable = versionTable()): ArtifactFacts {
  const spec = profile.spec;
  const entry = versionEntry(spec.kubernetes.version, table);
  return {
    kubernetesVersion: spec.kubernetes.version,
    arch: spec.artifacts.arch,
    ...(spec.containerd.version ? { containerdVersion: spec.containerd.version } : {}),
    osFamily: spec.os.family,
    imageRepository: spec.kubernetes.imageRepository,
    extraImages: spec.artifacts.extraImages,
    ...(entry ? { cni: planCni(profile, entry.minor, { table }) } : {}),
  };
}

/**
 * Where a mirror serves an upstream file: the upstream URL's path under the mirror's base URL
 * (`https://dl.k8s.io/release/v1.31.12/bin/linux/amd64/kubeadm` → `<mirror>/release/v1.31.12/...`).
 * The bundle builder downloads and the nodes fetch by this one mapping.
 */
export function mirrorUrl(mirror: string, upstream: string): string {
  return mirror.replace(/\/+$/, '') + new URL(upstream).pathname;
}

/** Install order on the node, and the order of every artifact list: OS package files first (a packaged containerd brings runc), then binaries, archives, the pod network's manifest, images. */
const KIND_ORDER: Record<ArtifactKind, number> = { package: 0, binary: 1, archive: 2, manifest: 3, image: 4 };

/**
 * Sorts by kind (KIND_ORDER: OS package files first, a packaged containerd brings runc), then by
 * name; OS packages keep their order (a bundle lists its package files dependencies first, the
 * order dpkg and rpm are handed them).
 */
export function sortArtifacts<T extends { kind: ArtifactKind; name: string }>(list: T[]): T[] {
  return list.sort((a, b) =>
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.kind === 'package' ? 0 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A site image (profile artifacts.extraImages), as opposed to one of the release's. */
export function isSiteImage(a: Pick<Artifact, 'name'>): boolean {
  return a.name.startsWith('image/extra/');
}

/** Image archive name in the bundle: `coredns_coredns_v1.11.3_amd64.tar`. */
export function imageFileName(path: string, tag: string, arch: Arch): string {
  return `${path.replaceAll('/', '_')}_${tag}_${arch}.tar`;
}

/** A site image's artifact: kubelet asks for it by the profile's own (normalised) reference. */
function extraImage(text: string, arch: Arch): Artifact {
  const r = parseReference(text);
  if (!r.digest) throw new Error(`unreachable: extraImages entry ${text} has no digest (validation rejects it)`);
  const ref = formatReference(r, { digest: false });
  const label = r.tag ?? r.digest.slice('sha256:'.length, 'sha256:'.length + 12);
  return {
    name: `image/extra/${r.registry}/${r.repository}`,
    kind: 'image',
    version: r.tag ?? r.digest,
    arch,
    url: null,
    checksumUrl: null,
    sha256: null,
    fileName: imageFileName(`${r.registry.replace(':', '_')}/${r.repository}`, label, arch),
    bundlePath: `images/${imageFileName(`${r.registry.replace(':', '_')}/${r.repository}`, label, arch)}`,
    ref,
    pull: formatReference(r),
    digest: r.digest,
  };
}

/**
 * Every artifact the facts call for, in KIND_ORDER, then by name. Throws for a version or
 * containerd release the table lacks: profile validation rejects those first, so reaching here
 * with one is a bug.
 */
export function neededArtifacts(facts: ArtifactFacts, table: VersionTable = versionTable()): Artifact[] {
  const entry = versionEntry(facts.kubernetesVersion, table);
  if (!entry) {
    throw new Error(`unreachable: Kubernetes ${facts.kubernetesVersion} is not in the version table (validation rejects it)`);
  }
  const containerd = facts.containerdVersion ?? entry.containerd.default;
  if (!entry.containerd.supported.includes(containerd)) {
    throw new Error(
      `unreachable: containerd ${containerd} is not supported with Kubernetes ${entry.version} (supported: ${entry.containerd.supported.join(', ')})`,
    );
  }
  const versions: Record<ComponentName, string> = {
    kubeadm: entry.version,
    kubelet: entry.version,
    kubectl: entry.version,
    containerd,
    runc: entry.runc,
    'cni-plugins': entry.cniPlugins,
    crictl: entry.crictl,
  };
  const { arch } = facts;
  const out: Artifact[] = [];

  for (const name of COMPONENTS) {
    const spec = table.components[name];
    const version = versions[name];
    const sha256 = table.digests[name][version]?.[arch];
    if (!sha256) throw new Error(`unreachable: no ${arch} digest for ${name} ${version}`);
    const fileName = expandPattern(spec.fileName, version, arch);
    out.push({
      name,
      kind: spec.kind,
      version,
      arch,
      url: expandPattern(spec.url, version, arch),
      checksumUrl: expandPattern(spec.checksumUrl, version, arch),
      sha256,
      fileName,
      bundlePath: `files/${fileName}`,
      installTo: spec.installTo,
      ...(spec.mode ? { mode: Number.parseInt(spec.mode, 8) } : {}),
    });
  }

  // The release's images are pulled from the table's registry by digest; kubelet asks for them
  // under imageRepository, which is the name their archives carry.
  const repository = (facts.imageRepository ?? table.imageRegistry).replace(/\/+$/, '');
  for (const name of IMAGE_NAMES) {
    const img = entry.images[name];
    const fileName = imageFileName(img.path, img.tag, arch);
    out.push({
      name: `image/${name}`,
      kind: 'image',
      version: img.tag,
      arch,
      url: null,
      checksumUrl: null,
      sha256: null,
      fileName,
      bundlePath: `images/${fileName}`,
      ref: `${repository}/${img.path}:${img.tag}`,
      pull: `${table.imageRegistry}/${img.path}:${img.tag}@${img.digest}`,
      digest: img.digest,
    });
  }
  for (const text of facts.extraImages ?? []) out.push(extraImage(text, arch));

  // The upstream CNI manifest, whatever the source: compile patches it (the node gets the patched
  // copy in its user-data), so a bundle carries it for an air-gapped compile too.
  const cni = facts.cni?.plugin === 'none' ? undefined : facts.cni;
  if (cni) {
    out.push({
      name: `manifest/${cni.plugin}`,
      kind: 'manifest',
      version: cni.version,
      arch,
      url: cni.manifest.url,
      checksumUrl: null,
      sha256: cni.manifest.sha256,
      fileName: cni.manifest.fileName,
      bundlePath: `files/${cni.manifest.fileName}`,
    });
  }

  // The pod network's images: a bundle carries them for an air-gapped site, pulled by the
  // digest the table (or an earlier bundle) pins, else by tag, recording the digest they resolved
  // to (trust on first use); online and mirror nodes pull them by the digest compile pins.
  for (const img of cni?.images ?? []) {
    const at = img.upstream.lastIndexOf(':');
    const path = img.upstream.slice(img.upstream.indexOf('/') + 1, at);
    const tag = img.upstream.slice(at + 1);
    const fileName = imageFileName(path, tag, arch);
    out.push({
      name: `image/${path}`,
      kind: 'image',
      version: tag,
      arch,
      url: null,
      checksumUrl: null,
      sha256: null,
      fileName,
      bundlePath: `images/${fileName}`,
      ref: img.ref,
      pull: img.digest ? `${img.upstream}@${img.digest}` : img.upstream,
      ...(img.digest ? { digest: img.digest } : {}),
    });
  }

  const family = table.osPackages.families[facts.osFamily];
  if (family.manager !== 'none') {
    // By tool name (sortArtifacts keeps packages in the order given).
    for (const tool of [...OS_TOOLS].sort()) {
      const pkg = family.packages[tool];
      if (pkg === null) continue;
      out.push({
        name: `package/${tool}`,
        kind: 'package',
        version: '',
        arch,
        url: null,
        checksumUrl: null,
        sha256: null,
        fileName: null,
        bundlePath: null,
        package: { manager: family.manager, name: pkg, tool },
      });
    }
  }

  return sortArtifacts(out);
}

/**
 * Problems that make a bundle.json unusable with these needed artifacts (another version or arch,
 * a digest that differs from the version table, something kubeseed would not install). Empty
 * when it fits.
 */
export function bundleProblems(needed: readonly Artifact[], facts: ArtifactFacts, bundle: BundleManifest): string[] {
  const out: string[] = [];
  if (bundle.kubernetesVersion !== facts.kubernetesVersion || bundle.arch !== facts.arch) {
    out.push(`the bundle is for Kubernetes ${bundle.kubernetesVersion} ${bundle.arch}, the profile wants ${facts.kubernetesVersion} ${facts.arch}: run kubeseed bundle again`);
  }
  const byName = new Map(needed.map((a) => [a.name, a]));
  for (const e of bundle.artifacts) {
    const want = byName.get(e.name);
    if (e.kind === 'binary' || e.kind === 'archive') {
      if (!want) {
        out.push(`${e.path}: the bundle lists ${e.name} (${e.kind}), which this profile does not install`);
      } else if (want.kind !== e.kind) {
        out.push(`${e.path}: the bundle lists ${e.name} as ${e.kind}, the version table as ${want.kind}`);
      } else if (want.sha256 !== e.sha256) {
        out.push(`${e.path}: the bundle lists ${e.name} with sha256 ${e.sha256}, the version table has ${want.sha256} for ${want.version} ${want.arch}`);
      }
    } else if (e.kind === 'image') {
      if (!want) {
        out.push(`${e.path}: the bundle lists image ${e.ref ?? e.name}, which this profile does not name`);
      } else if (want.ref !== e.ref || (want.digest !== undefined && want.digest !== e.digest)) {
        out.push(`${e.path}: the bundle has ${e.ref}@${e.digest}, the profile wants ${want.ref}@${want.digest ?? '(any digest)'}: run kubeseed bundle again`);
      }
    } else if (e.kind === 'package' && !/\.(deb|rpm)$/.test(e.path)) {
      out.push(`${e.path}: an OS package in a bundle must be a .deb or .rpm file`);
    }
  }
  return out;
}
