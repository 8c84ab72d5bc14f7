/**
 * Everything one node receives, as files, and the outputs that carry them. The file list is the
 * same whatever the output format; only the carrier differs (cloud-init or Ignition).
 */
import type { ClusterPlan, NodePlan, NodeShape } from '../plan/types.js';
import { renderGuestinfoMetaData, renderMetaData } from './cloud-init/meta-data.js';
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
import { cniFiles } from './cni/files.js';
import { metaDataGuestinfo, platformFiles, type PlatformResult } from './platforms.js';
import { withoutCommentLines } from './scripts/compact.js';
import { publicFiles, seedSecretFiles, stagedFiles } from './secrets/delivery.js';
import { commandLineError, macScriptPath, renderMachineScript, uuidScriptPath } from './netboot/ipxe.js';

/** A file kubeseed writes into out/<cluster>/, relative to that directory. */
export interface OutputFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  readonly mode: number;
}

/** The files rendered from the node's shape alone: the same for every node of that shape. */
function shapeFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  const files = [...firstbootFiles(plan, node), ...osFiles(plan, node), ...containerdFiles(plan), ...lbFiles(plan, node), ...artifactsFiles(plan, node)];
  return plan.scriptComments ? files : files.map(withoutCommentLines);
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
  const files = sortFiles([...sharedFiles(plan, node), ...identityFiles(plan, node), ...node.secretFiles, ...kubeadmFiles(plan, node), ...cniFiles(plan, node)]);
  // The plan decides which files are secret and the secrets phase installs exactly those: a
  // renderer that disagreed would send a secret by the road meant for the rest.
  const secret = files.filter((f) => f.secret).map((f) => f.path);
  if (secret.join('\n') !== node.secretPaths.join('\n')) {
    throw new Error(`unreachable: node ${node.name} carries secret files [${secret.join(', ')}], the plan lists [${node.secretPaths.join(', ')}]`);
  }
  return files;
}

/**
 * The node's user-data (or ignition.json), meta-data and network-config, for VM templates and
 * clouds: user-data is the only carrier there, so it stages the secret files for the secrets
 * phase (render/secrets/delivery.ts) and is 0600 whenever it carries one.
 */
export function renderNodeOutputs(plan: ClusterPlan, node: NodePlan): OutputFile[] {
  const files = stagedFiles(plan, nodeFiles(plan, node));
  const secret = files.some((f) => f.secret);
  const dir = `nodes/${node.name}`;
  const mode = secret ? 0o600 : 0o644;
  // Ignition carries hostname and network itself; it reads no meta-data or network-config.
  if (plan.os.format === 'ignition') {
    return [{ path: `${dir}/ignition.json`, content: renderIgnition(plan, node, files), mode }, ...netbootFiles(plan, node, undefined)];
  }
  const networkConfig = renderNetworkConfig(node);
  return [
    { path: `${dir}/user-data`, content: renderUserData(plan, node, files), mode },
    { path: `${dir}/meta-data`, content: renderMetaData(node), mode: 0o644 },
    { path: `${dir}/network-config`, content: networkConfig, mode: 0o644 },
    // NoCloud over HTTP asks for vendor-data too; an empty one spares it a failed request per boot.
    ...(plan.netboot ? [{ path: `${dir}/vendor-data`, content: '', mode: 0o644 }] : []),
    ...netbootFiles(plan, node, networkConfig),
  ];
}

/** With a network boot entry: the machine's iPXE script, by MAC and (when known) by UUID. */
function netbootFiles(plan: ClusterPlan, node: NodePlan, networkConfig: string | undefined): OutputFile[] {
  if (!plan.netboot) return [];
  const script = renderMachineScript(plan, node, networkConfig);
  return [
    { path: macScriptPath(node.mac), content: script, mode: 0o644 },
    ...(node.productUuid ? [{ path: uuidScriptPath(node.productUuid), content: script, mode: 0o644 }] : []),
  ];
}

/**
 * What a node's NoCloud seed ISO holds, paths inside the image: a user-data that carries no
 * secret (cloud-init copies user-data to the disk of whatever machine boots the seed), meta-data,
 * network-config, and the secret files on their own under kubeseed/secrets/, 0600.
 */
export function renderSeedFiles(plan: ClusterPlan, node: NodePlan): OutputFile[] {
  const files = nodeFiles(plan, node);
  return [
    { path: 'user-data', content: renderUserData(plan, node, publicFiles(files)), mode: 0o644 },
    { path: 'meta-data', content: renderMetaData(node), mode: 0o644 },
    { path: 'network-config', content: renderNetworkConfig(node), mode: 0o644 },
    ...seedSecretFiles(files),
  ];
}

/**
 * Everything compile writes for one node: its outputs, then the platform's files and the size
 * check of what the platform carries (user-data, or ignition.json).
 */
export function renderForPlatform(plan: ClusterPlan, node: NodePlan, gzip: boolean): PlatformResult {
  const files = renderNodeOutputs(plan, node);
  const script = plan.netboot ? files.find((f) => f.path === macScriptPath(node.mac)) : undefined;
  const tooLong = script ? commandLineError(plan, node, script.content as string) : undefined;
  if (tooLong) return { files, error: tooLong };
  const userData = files.find((f) => f.path.endsWith('/user-data') || f.path.endsWith('/ignition.json'))!;
  const r = platformFiles(plan.platform, userData, gzip);
  const dir = `nodes/${node.name}`;
  files.push(...r.files, ...(plan.platform === 'vsphere' && plan.os.format === 'cloud-init' ? [metaDataGuestinfo(dir, renderGuestinfoMetaData(node, node.secretPaths.length > 0))] : []));
  return r.error ? { files, error: r.error } : { files };
}
