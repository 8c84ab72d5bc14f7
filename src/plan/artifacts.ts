/**
 * Which artifacts a node set needs, from a handful of profile facts and the version table.
 * Pure: no I/O. The same list drives `kubeseed bundle` (what to put in the tar), `bundle --list`
 * (what an operator must mirror) and the first-boot script (where each file lands).
 */
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
import type { CniPlan } from './types.js';

export type ArtifactKind = 'binary' | 'archive' | 'manifest' | 'image' | 'package';
export type ArtifactSource = 'bundle' | 'mirror' | 'online';

export interface Artifact {
  /** `kubeadm`, `containerd`, `image/kube-apiserver`, `package/conntrack` */
  name: string;
  kind: ArtifactKind;
  version: string;
  arch: Arch;
  /** Upstream download URL (binaries and archives); null for images and OS packages. */
  url: string | null;
  /** Upstream file listing this artifact's digest; null where there is none. */
  checksumUrl: string | null;
  /** Expected sha256 (lowercase hex); null when the table has none (images, OS packages). */
  sha256: string | null;
  /** Name in a --from directory and the last part of bundlePath; null for OS packages. */
  fileName: string | null;
  /** Path inside the bundle tar (`files/kubeadm`, `images/...tar`); null when not bundled. */
  bundlePath: string | null;
  /** Where the node puts it: a file path for binaries, a directory archives extract into. */
  installTo?: string;
  /** File mode for binaries (e.g. 0o755). */
  mode?: number;
  /** Image reference for images: `registry.k8s.io/kube-apiserver:v1.31.13`: what kubelet asks for. */
  ref?: string;
  /** CNI images: the upstream reference to pull (`docker.io/calico/node:v3.30.7`). */
  upstream?: string;
  /** CNI images: the index digest (`sha256:<hex>`) the node expects; null when none is known yet. */
  digest?: string | null;
  /** OS package manager and package name for OS packages. */
  package?: { manager: 'apt' | 'dnf' | 'rpm-ostree'; name: string; tool: string };
}

export interface ArtifactFacts {
  /** `v1.31.13` (a version the table supports exactly). */
  kubernetesVersion: string;
  arch: Arch;
  /** Defaults to the table's default for that Kubernetes minor. */
  containerdVersion?: string;
  osFamily: OsFamily;
  /** `bundle` adds image tarballs; `mirror`/`online` nodes pull images from a registry. */
  source: ArtifactSource;
  /** Registry that replaces registry.k8s.io in image references (profile imageRepository). */
  imageRepository?: string;
  /** The pod network (planCni): its upstream manifest, and with source bundle its images. */
  cni?: CniPlan;
}

/**
 * Where a mirror serves an upstream file: the upstream URL's path under the mirror's base URL
 * (`https://dl.k8s.io/release/v1.31.13/bin/linux/amd64/kubeadm` → `<mirror>/release/v1.31.13/...`).
 * The bundle builder downloads and the nodes fetch by this one mapping.
 */
export function mirrorUrl(mirror: string, upstream: string): string {
  return mirror.replace(/\/+$/, '') + new URL(upstream).pathname;
}

const KIND_ORDER: Record<ArtifactKind, number> = { binary: 0, archive: 1, manifest: 2, image: 3, package: 4 };

/** Image tarball name in a --from directory: `coredns_coredns_v1.11.3_amd64.tar`. */
export function imageFileName(path: string, tag: string, arch: Arch): string {
  return `${path.replaceAll('/', '_')}_${tag}_${arch}.tar`;
}

/**
 * Every artifact the facts call for, sorted by kind (binary, archive, image, package) and then by
 * name. Throws for a version or containerd release the table lacks: profile validation rejects
 * those first, so reaching here with one is a bug.
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

  if (facts.source === 'bundle') {
    const registry = (facts.imageRepository ?? table.imageRegistry).replace(/\/+$/, '');
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
        sha256: img.digests?.[arch] ?? null,
        fileName,
        bundlePath: `images/${fileName}`,
        ref: `${registry}/${img.path}:${img.tag}`,
      });
    }
  }

  // The pod network's images, whatever the source: a bundle carries them for an air-gapped site,
  // and pulling them is where kubeseed bundle records the digests the table lacks (trust on first
  // use); online and mirror nodes pull them by the digest compile pins. Until src/oci pulls them,
  // a tarball under --from images/ is recorded unverified (sha256 would be a tarball's digest;
  // `digest` is the image index digest).
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
      upstream: img.upstream,
      digest: img.digest,
    });
  }

  const family = table.osPackages.families[facts.osFamily];
  if (family.manager !== 'none') {
    for (const tool of OS_TOOLS) {
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

  return out.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
