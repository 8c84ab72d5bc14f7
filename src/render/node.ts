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
import { osFiles } from './os/files.js';
import { firstbootFiles } from './scripts/phases.js';

/** A file kubeseed writes into out/<cluster>/, relative to that directory. */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode: number;
}

export function nodeFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return sortFiles([...firstbootFiles(plan, node), ...osFiles(plan, node), ...containerdFiles(plan), ...node.secretFiles]);
}

export function renderNodeOutputs(plan: ClusterPlan, node: NodePlan): OutputFile[] {
  const files = nodeFiles(plan, node);
  const secret = files.some((f) => f.secret);
  const dir = `nodes/${node.name}`;
  return [
    { path: `${dir}/user-data`, content: renderUserData(plan, node, files), mode: secret ? 0o600 : 0o644 },
    { path: `${dir}/meta-data`, content: renderMetaData(node), mode: 0o644 },
    { path: `${dir}/network-config`, content: renderNetworkConfig(node), mode: 0o644 },
  ];
}
