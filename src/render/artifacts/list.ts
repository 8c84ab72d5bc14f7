/**
 * What a node installs in its artifacts phase, and where: the node's trust anchor. The list is
 * compiled into the node's own phase script, so the node checks every file against digests it
 * got from kubeseed, never against what a bundle says about itself.
 *
 * - source bundle with the bundle's bundle.json at compile time (plan.artifacts.bundle, checked
 *   against the plan by buildPlan): exactly the files that bundle carries, with its digests;
 * - source bundle without it: the plan's artifacts at their bundle paths; images are checked by
 *   their pinned index digest only (their archives' sha256 is known once a bundle is built);
 * - mirror, online: the plan's binaries and archives; kubelet pulls the images itself.
 * Pure.
 */
import { mirrorUrl, sortArtifacts, type Artifact, type ArtifactKind } from '../../plan/artifacts.js';
import type { BundleEntry, BundleManifest } from '../../plan/bundle-manifest.js';
import type { ClusterPlan } from '../../plan/types.js';

export interface NodeArtifact {
  /** `kubeadm`, `containerd`, `image/pause`, `package/ipvsadm` */
  readonly name: string;
  readonly kind: ArtifactKind;
  /** sha256 of the file; '' for an image archive whose sha256 is not known at compile time. */
  readonly sha256: string;
  /** bundle: the path inside the bundle tar; mirror/online: the file name it is saved under. */
  readonly file: string;
  /** mirror/online: the URL it is downloaded from; '' for bundle. */
  readonly url: string;
  /** binary: the installed file; archive: the directory it extracts into; '' for images and packages. */
  readonly installTo: string;
  /** binary: its mode (0o755); 0 for the other kinds (archive members keep their own modes). */
  readonly mode: number;
  /** image: the reference it is imported as and kubelet asks for; '' otherwise. */
  readonly ref: string;
  /** image: the index digest `sha256:<hex>` the reference must resolve to; '' otherwise. */
  readonly digest: string;
}

export interface NodeArtifactList {
  readonly files: readonly NodeArtifact[];
  /** Lines the phase logs about what it will not install (absent from the bundle). */
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

function fromBundle(plan: ClusterPlan, bundle: BundleManifest): NodeArtifactList {
  const byName = new Map(plan.artifacts.needed.map((a) => [a.name, a]));
  const entry = (e: BundleEntry): NodeArtifact | null => {
    // The CNI manifest is compile's input: the node gets the patched copy in its user-data.
    if (shippedByOs(plan, e.name) || e.kind === 'manifest') return null;
    return {
      name: e.name,
      kind: e.kind,
      sha256: e.sha256,
      file: e.path,
      url: '',
      installTo: e.kind === 'binary' || e.kind === 'archive' ? installTarget(plan, e.name)! : '',
      mode: e.kind === 'binary' ? (byName.get(e.name)?.mode ?? 0o755) : 0,
      ref: e.kind === 'image' ? (e.ref ?? '') : '',
      digest: e.kind === 'image' ? (e.digest ?? '') : '',
    };
  };
  const files = bundle.artifacts.map(entry).filter((a): a is NodeArtifact => a !== null);
  const carried = new Set(files.map((f) => f.name));
  const notes: string[] = [];
  for (const a of plan.artifacts.needed) {
    if (carried.has(a.name) || shippedByOs(plan, a.name)) continue;
    if (a.kind === 'binary' || a.kind === 'archive') notes.push(`the bundle carries no ${a.name} (${a.fileName}): not installed here`);
    if (a.kind === 'image') notes.push(`the bundle carries no image ${a.ref}: the registry must serve it`);
  }
  return { files: sortArtifacts(files), notes };
}

function fromPlan(plan: ClusterPlan): NodeArtifactList {
  const { source, mirror } = plan.artifacts;
  const files: NodeArtifact[] = [];
  const pulled = (a: Artifact) => a.kind === 'image' && source !== 'bundle';
  for (const a of plan.artifacts.needed) {
    if (a.kind === 'package' || a.kind === 'manifest' || shippedByOs(plan, a.name) || pulled(a)) continue;
    const upstream = a.url ?? '';
    files.push({
      name: a.name,
      kind: a.kind,
      sha256: a.sha256 ?? '',
      file: source === 'bundle' ? a.bundlePath! : a.fileName!,
      url: source === 'bundle' ? '' : source === 'mirror' ? mirrorUrl(mirror!.url, upstream) : upstream,
      installTo: a.kind === 'image' ? '' : installTarget(plan, a.name)!,
      mode: a.kind === 'binary' ? (a.mode ?? 0o755) : 0,
      ref: a.ref ?? '',
      digest: a.digest ?? '',
    });
  }
  return { files: sortArtifacts(files), notes: [] };
}

/** The artifacts the node installs (from the built bundle's bundle.json when the plan has one). */
export function nodeArtifacts(plan: ClusterPlan): NodeArtifactList {
  const bundle = plan.artifacts.bundle;
  if (plan.artifacts.source === 'bundle' && bundle) return fromBundle(plan, bundle);
  return fromPlan(plan);
}
