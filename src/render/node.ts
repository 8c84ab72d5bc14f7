/**
 * Everything one node receives, as files, and the outputs that carry them. The file list is the
 * same whatever the output format; only the carrier differs (cloud-init or Ignition).
 */
import type { ClusterPlan, NodePlan } from '../plan/types.js';
import { renderMetaData } from './cloud-init/meta-data.js';
import { renderNetworkConfig } from './cloud-init/network-config.js';
import { renderUserData } from './cloud-init/user-data.js';
import { sortFiles, type NodeFile } from './files.js';
import { containerdFiles } from './containerd/files.js';
import { renderIgnition } from './ignition/v3_3.js';
import { lbFiles } from './ipvs/files.js';
import { osFiles } from './os/files.js';
import { firstbootFiles } from './scripts/phases.js';
import { kubeadmFiles } from './kubeadm/files.js';
import { artifactsFiles } from './artifacts/files.js';

/** A file kubeseed writes into out/<cluster>/, relative to that directory. */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode: number;
}

export function nodeFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return sortFiles([...firstbootFiles(plan, node), ...osFiles(plan, node), ...containerdFiles(plan), ...lbFiles(plan, node), ...node.secretFiles, ...kubeadmFiles(plan, node), ...artifactsFiles(plan, node)]);
}

export function renderNodeOutputs(plan: ClusterPlan, node: NodePlan): OutputFile[] {
  const files = nodeFiles(plan, node);
  const secret = files.some((f) => f.secret);
  const dir = `nodes/${node.name}`;
  const mode = secret ? 0o600 : 0o644;
  // Ignition carries hostname and network itself; it reads no meta-data or network-config.
  if (plan.os.format === 'ignition') return [{ path: `${dir}/ignition.json`, content: renderIgnition(plan, node, files), mode }];
  return [
    { path: `${dir}/user-data`, content: renderUserData(plan, node, files), mode },
    { path: `${dir}/meta-data`, content: renderMetaData(node), mode: 0o644 },
    { path: `${dir}/network-config`, content: renderNetworkConfig(node), mode: 0o644 },
  ];
}
