/**
 * Everything one node receives, as files, and the outputs that carry them. The file list is the
 * same whatever the output format; only the carrier differs (cloud-init or Ignition).
 */
import type { ClusterPlan, NodePlan, NodeShape } from '../plan/types.js';
import { renderMetaData } from './cloud-init/meta-data.js';
import { renderNetworkConfig } from './cloud-init/network-config.js';
import { renderUserData } from './cloud-init/user-data.js';
import { sortFiles, type NodeFile } from './files.js';
import { containerdFiles } from './containerd/files.js';
import { renderIgnition } from './ignition/v3_3.js';
import { lbFiles } from './ipvs/files.js';
import { osFiles } from './os/files.js';
import { firstbootFiles, identityFiles } from './scripts/phases.js';
import { kubeadmFiles } from './kubeadm/files.js';
import { artifactsFiles } from './artifacts/files.js';
import { metaDataGuestinfo, platformFiles, type Platform, type PlatformResult } from './platforms.js';

/** A file kubeseed writes into out/<cluster>/, relative to that directory. */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode: number;
}

/** The files rendered from the node's shape alone: the same for every node of that shape. */
function shapeFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  return [...firstbootFiles(plan, node), ...osFiles(plan, node), ...containerdFiles(plan), ...lbFiles(plan, node), ...artifactsFiles(plan, node)];
}

/**
 * shapeFiles, rendered once per plan and shape: a thousand workers share one rendering (and
 * the very same NodeFile objects, which lets user-data reuse their YAML too).
 */
const shapeCache = new WeakMap<ClusterPlan, Map<string, readonly NodeFile[]>>();

function sharedFiles(plan: ClusterPlan, node: NodePlan): readonly NodeFile[] {
  // Everything NodeShape leaves out; the rest of the node is the cache key. Leaving a field out
  // here that NodeShape keeps is a type error, so the key can never miss an input.
  const { name, order, ip, prefix, gateway, dns, searchDomains, mac, nics, productUuid, instanceId, secretFiles, origins, ...shape } = node;
  const key = JSON.stringify(shape satisfies NodeShape);
  let byShape = shapeCache.get(plan);
  if (!byShape) shapeCache.set(plan, (byShape = new Map()));
  let files = byShape.get(key);
  if (!files) byShape.set(key, (files = shapeFiles(plan, shape)));
  return files;
}

export function nodeFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return sortFiles([...sharedFiles(plan, node), ...identityFiles(plan, node), ...node.secretFiles, ...kubeadmFiles(plan, node)]);
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

/** Everything compile writes for one node: its outputs, then the platform's files and size check. */
export function renderForPlatform(plan: ClusterPlan, node: NodePlan, platform: Platform, gzip: boolean): PlatformResult {
  const files = renderNodeOutputs(plan, node);
  const userData = files.find((f) => f.path.endsWith('/user-data'));
  if (!userData) return { files };
  const metaData = files.find((f) => f.path.endsWith('/meta-data'));
  const r = platformFiles(platform, userData, gzip);
  files.push(...r.files, ...(platform === 'vsphere' && metaData ? [metaDataGuestinfo(metaData)] : []));
  return r.error ? { files, error: r.error } : { files };
}
