/**
 * What a node installs in its artifacts phase, and where: the node's trust anchor. The list is
 * compiled into the node's own phase script, so the node checks every file against digests it
 * got from kubeseed, never against what a bundle says about itself.
 *
 * - source bundle with the bundle's bundle.json at compile time (plan.artifacts.bundle): exactly
 *   the files that bundle carries, with its digests (kubeseed bundle checked binaries and
 *   archives against the version table; they are checked against it again here);
 * - source bundle without it, mirror, online: the version table's list (neededArtifacts), images
 *   only where the table has their digest.
 * Pure.
 */
import { mirrorUrl, neededArtifacts, type Artifact, type ArtifactKind } from '../../plan/artifacts.js';
import type { ClusterPlan } from '../../plan/types.js';
import { versionTable, type VersionTable } from '../../plan/versions.js';
import type { BundleEntry, BundleManifest } from './bundle-manifest.js';

export interface NodeArtifact {
  /** `kubeadm`, `containerd`, `image/pause`, `package/ipvsadm` */
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly sha256: string;
  /** bundle: the path inside the bundle tar; mirror/online: the file name it is saved under. */
  readonly file: string;
  /** mirror/online: the URL it is downloaded from; '' for bundle. */
  readonly url: string;
  /** binary: the installed file; archive: the directory it extracts into; '' for images and packages. */
  readonly installTo: string;
  /** binary: its mode (0o755); 0 for the other kinds (archive members keep their own modes). */
  readonly mode: number;
  /** image: the reference it is known by; '' otherwise. */
  readonly ref: string;
}

/** An OS package the node installs by name from its distribution (or, from a bundle, expects present). */
export interface NodePackage {
  readonly tool: string;
  readonly name: string;
}

export interface NodeArtifactList {
  readonly files: readonly NodeArtifact[];
  readonly packages: readonly NodePackage[];
  /** Lines the phase logs about what it will not install (absent from the bundle, no digest). */
  readonly notes: readonly string[];
}

/** Where each component lands on this OS family; undefined for a name kubeseed does not install. */
function installTarget(plan: ClusterPlan, name: string): string | undefined {
  const bin = plan.os.binDir;
  switch (name) {
    case 'kubeadm':
    case 'kubelet':
    case 'kubectl':
      return `${bin}/${name}`;
    // runc goes beside the other system binaries where /usr is writable; Flatcar/FCOS ship their own.
    case 'runc':
      return bin === '/usr/local/bin' ? '/usr/local/sbin/runc' : `${bin}/runc`;
    // The archive holds bin/containerd, bin/ctr, bin/containerd-shim-runc-v2, ...
    case 'containerd':
      return bin === '/usr/local/bin' ? '/usr/local' : bin.replace(/\/bin$/, '');
    case 'cni-plugins':
      return '/opt/cni/bin';
    case 'crictl':
      return bin;
    default:
      return undefined;
  }
}

/** containerd and runc come with Flatcar/FCOS: configured there, never installed. */
function shippedByOs(plan: ClusterPlan, name: string): boolean {
  return plan.os.shipsContainerd && (name === 'containerd' || name === 'runc');
}

function neededFor(plan: ClusterPlan, table: VersionTable): Artifact[] {
  return neededArtifacts({
    kubernetesVersion: plan.kubernetes.version,
    arch: plan.artifacts.arch,
    containerdVersion: plan.containerd.version,
    osFamily: plan.os.family,
    source: plan.artifacts.source,
    imageRepository: plan.kubernetes.imageRepository,
    cni: plan.cni,
  }, table);
}

/**
 * Problems that make a bundle.json unusable for this plan (another version or arch, a digest that
 * differs from the version table, something kubeseed cannot install). Empty when it fits.
 */
export function bundleProblems(plan: ClusterPlan, bundle: BundleManifest, table: VersionTable = versionTable()): string[] {
  const out: string[] = [];
  if (bundle.kubernetesVersion !== plan.kubernetes.version || bundle.arch !== plan.artifacts.arch) {
    out.push(`the bundle is for Kubernetes ${bundle.kubernetesVersion} ${bundle.arch}, the profile wants ${plan.kubernetes.version} ${plan.artifacts.arch}: run kubeseed bundle again`);
  }
  const needed = new Map(neededFor(plan, table).map((a) => [a.name, a]));
  for (const e of bundle.artifacts) {
    if (e.kind === 'binary' || e.kind === 'archive') {
      const want = needed.get(e.name);
      if (!want || installTarget(plan, e.name) === undefined) {
        out.push(`${e.path}: the bundle lists ${e.name} (${e.kind}), which this profile does not install`);
      } else if (want.kind !== e.kind) {
        out.push(`${e.path}: the bundle lists ${e.name} as ${e.kind}, the version table as ${want.kind}`);
      } else if (want.sha256 !== e.sha256) {
        out.push(`${e.path}: the bundle lists ${e.name} with sha256 ${e.sha256}, the version table has ${want.sha256} for ${want.version} ${want.arch}`);
      }
    } else if (e.kind === 'package' && !/\.(deb|rpm)$/.test(e.path)) {
      out.push(`${e.path}: an OS package in a bundle must be a .deb or .rpm file`);
    }
  }
  return out;
}

function fromBundle(plan: ClusterPlan, bundle: BundleManifest, needed: Artifact[], table: VersionTable): NodeArtifactList {
  const problems = bundleProblems(plan, bundle, table);
  if (problems.length > 0) throw new Error(`bundle.json does not fit profile ${plan.name}:\n  ${problems.join('\n  ')}`);
  const byName = new Map(needed.map((a) => [a.name, a]));
  const entry = (e: BundleEntry): NodeArtifact | null => {
    // The CNI manifest is compile's input: the node gets the patched copy in its user-data.
    if (shippedByOs(plan, e.name) || e.kind === 'manifest') return null;
    const binary = e.kind === 'binary';
    return {
      name: e.name,
      kind: e.kind,
      sha256: e.sha256,
      file: e.path,
      url: '',
      installTo: e.kind === 'binary' || e.kind === 'archive' ? installTarget(plan, e.name)! : '',
      mode: binary ? (byName.get(e.name)?.mode ?? 0o755) : 0,
      ref: e.kind === 'image' ? (e.ref ?? '') : '',
    };
  };
  const files = bundle.artifacts.map(entry).filter((a): a is NodeArtifact => a !== null);
  const carried = new Set(files.map((f) => f.name));
  const notes: string[] = [];
  for (const a of needed) {
    if ((a.kind === 'binary' || a.kind === 'archive') && !shippedByOs(plan, a.name) && !carried.has(a.name)) {
      notes.push(`the bundle carries no ${a.name} (${a.fileName}): not installed here`);
    }
  }
  for (const img of bundle.requiredImages) {
    notes.push(`the bundle carries no image ${img.ref ?? img.name}: the registry must serve it`);
  }
  const packages = needed
    .filter((a) => a.kind === 'package' && a.package && !carried.has(a.name))
    .map((a) => ({ tool: a.package!.tool, name: a.package!.name }));
  return { files: sortArtifacts(files), packages, notes };
}

function fromTable(plan: ClusterPlan, needed: Artifact[]): NodeArtifactList {
  const { source, mirror } = plan.artifacts;
  const files: NodeArtifact[] = [];
  const notes: string[] = [];
  for (const a of needed) {
    if (a.kind === 'package' || a.kind === 'manifest' || shippedByOs(plan, a.name)) continue;
    // Without a bundle, nodes pull images from the registry (the pod network's by digest).
    if (a.kind === 'image' && source !== 'bundle') continue;
    if (!a.sha256 || !a.fileName) {
      notes.push(`no sha256 for ${a.ref ?? a.name} was compiled in (build the bundle before compiling): not imported here`);
      continue;
    }
    const upstream = a.url ?? '';
    files.push({
      name: a.name,
      kind: a.kind,
      sha256: a.sha256,
      file: source === 'bundle' ? a.bundlePath! : a.fileName,
      url: source === 'bundle' ? '' : source === 'mirror' ? mirrorUrl(mirror!.url, upstream) : upstream,
      installTo: a.kind === 'image' ? '' : installTarget(plan, a.name)!,
      mode: a.kind === 'binary' ? (a.mode ?? 0o755) : 0,
      ref: a.ref ?? '',
    });
  }
  const packages = needed.filter((a) => a.kind === 'package' && a.package).map((a) => ({ tool: a.package!.tool, name: a.package!.name }));
  return { files: sortArtifacts(files), packages, notes };
}

const KIND_ORDER: Record<ArtifactKind, number> = { package: 0, binary: 1, archive: 2, manifest: 3, image: 4 };

/** Install order: OS package files first (a packaged containerd brings runc), then binaries, archives, images. */
function sortArtifacts(files: NodeArtifact[]): NodeArtifact[] {
  return files.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The artifacts the node installs. `bundle` defaults to the plan's (the bundle.json read at
 * compile time); it is only used with source bundle. Throws when a bundle.json does not fit the
 * plan (another version or arch, a digest that differs from the version table).
 */
export function nodeArtifacts(
  plan: ClusterPlan,
  bundle: BundleManifest | undefined = plan.artifacts.bundle,
  table: VersionTable = versionTable(),
): NodeArtifactList {
  const needed = neededFor(plan, table);
  if (plan.artifacts.source === 'bundle' && bundle) return fromBundle(plan, bundle, needed, table);
  return fromTable(plan, needed);
}
