/**
 * The pod network on the node: the patched manifest, written only to the init node (the first
 * control-plane node applies it once after kubeadm init; joins never do), and what the kubeadm
 * phase needs to apply it. Pure.
 */
import { createHash } from 'node:crypto';
import type { ClusterPlan, NodePlan } from '../../plan/types.js';
import { compressedFile, type NodeFile } from '../files.js';
import { patchManifest } from './patch.js';

export interface PatchedManifest {
  readonly text: string;
  /** sha256 of the patched text: the applied marker records it. */
  readonly sha256: string;
}

/** Patched once per plan: explain, compile's early check and the init node's files share it. */
const patched = new WeakMap<ClusterPlan, PatchedManifest | null>();

/**
 * The patched manifest, or undefined when the plan has none (plugin none, or compile could not
 * get the upstream bytes). Throws CniManifestError when the upstream manifest lacks an anchor.
 */
export function patchedManifest(plan: ClusterPlan): PatchedManifest | undefined {
  let p = patched.get(plan);
  if (p === undefined) {
    const cni = plan.cni;
    if (cni.plugin === 'none' || !cni.upstream) {
      p = null;
    } else {
      const text = patchManifest(cni.upstream.text, {
        plugin: cni.plugin,
        version: cni.version,
        fileName: cni.manifest.fileName,
        url: cni.manifest.url,
        podSubnet: cni.podSubnet,
        mtu: cni.mtu,
        overhead: cni.encapsulation.overhead,
        images: cni.images.map((i) => ({ upstream: i.upstream, pinned: i.pinned })),
      });
      p = { text, sha256: createHash('sha256').update(text).digest('hex') };
    }
    patched.set(plan, p);
  }
  return p ?? undefined;
}

/** The init node's copy of the patched manifest: compressed, Calico's is half a megabyte. */
export function cniFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  if (node.action !== 'init' || plan.cni.plugin === 'none') return [];
  const m = patchedManifest(plan);
  return m ? [compressedFile(plan.cni.manifest.path, m.text)] : [];
}

/** What the init node's kubeadm phase says and does about the pod network. */
export interface CniApply {
  /** The manifest to apply; '' when there is none. */
  readonly manifest: string;
  /** The applied marker's line: plugin, version and the manifest's sha256. */
  readonly marker: string;
  /** How the log names it: `flannel v0.28.5 (pods 10.244.0.0/16, MTU 1450)`. */
  readonly summary: string;
  /** Why there is none, logged instead; '' when there is one. */
  readonly missing: string;
}

export function cniApply(plan: ClusterPlan): CniApply {
  const cni = plan.cni;
  if (cni.plugin === 'none') {
    return { manifest: '', marker: '', summary: '', missing: 'spec.cni.plugin is none: kubeseed applies no pod network; the nodes stay NotReady until you apply one' };
  }
  const summary = `${cni.plugin} ${cni.version} (pods ${cni.podSubnet}, MTU ${cni.mtu})`;
  const m = patchedManifest(plan);
  if (!m) {
    return {
      manifest: '',
      marker: '',
      summary,
      missing: `no pod network was compiled in: ${cni.plugin} ${cni.version}'s manifest (${cni.manifest.url}) was not available when kubeseed compile ran; `
        + 'the nodes stay NotReady until a pod network is applied (compile again after kubeseed bundle, or apply one with kubectl --kubeconfig /etc/kubernetes/admin.conf)',
    };
  }
  return { manifest: cni.manifest.path, marker: `${cni.plugin} ${cni.version} sha256:${m.sha256}`, summary, missing: '' };
}
