/**
 * The `kubeadm` phase script of one node (template phase-kubeadm.sh.hbs): init, join as a
 * control-plane node, join as a worker, or bring up an external etcd member.
 *
 * Bring-up order (the plan's `order` and `waitFor`):
 *  1. external etcd members start together; each waits until its own member reports healthy,
 *     which needs a quorum of the initial cluster;
 *  2. the first control-plane node (with external etcd: once every member answers /health)
 *     runs `kubeadm init` with the CAs and service-account keys already on disk;
 *  3. every further control-plane node waits until the endpoint's apiserver answers /readyz
 *     (TLS verified against the cluster CA) and until every node before it is registered with
 *     the control-plane label, then joins: one at a time, since stacked etcd cannot add two
 *     members at once;
 *  4. workers wait for the endpoint and join with retries.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { scriptCommon } from '../scripts/phases.js';
import { renderScript } from '../scripts/template.js';
import { ETCD_KUBELET_DROPIN, JOIN_WAIT_CONFIG, JOIN_WAIT_GROUP, JOIN_WAIT_RBAC } from './files.js';
import { KUBEADM_CONFIG, PKI_DIR } from './model.js';
import { cniApply } from '../cni/files.js';

/**
 * Waiting and retrying, in seconds. A control-plane node waits at most half an hour for the
 * nodes before it (each kubeadm init/join takes a few minutes, images included); a worker gives
 * the whole control plane an hour. Pauses double from 5 s up to 60 s.
 */
export const TIMING = Object.freeze({
  controlPlaneWaitSeconds: 1800,
  workerJoinSeconds: 3600,
  etcdWaitSeconds: 1800,
  firstDelaySeconds: 5,
  maxDelaySeconds: 60,
  /** The duplicate system UUID watch on the first control-plane node: every minute for an hour. */
  uuidWatchRounds: 60,
  uuidWatchIntervalSeconds: 60,
  /** kubectl apply of the pod network: tries, pausing firstDelaySeconds doubling to maxDelaySeconds. */
  cniApplyAttempts: 10,
});

export function renderKubeadmPhase(plan: ClusterPlan, node: NodeShape): string {
  const external = plan.etcd.topology === 'external';
  // Only the init node applies the pod network (and reads the patched manifest for its marker).
  const cni = node.action === 'init' ? cniApply(plan) : { manifest: '', marker: '', summary: '', missing: '' };
  const etcdClient = external
    ? { cert: `${PKI_DIR}/apiserver-etcd-client.crt`, key: `${PKI_DIR}/apiserver-etcd-client.key` }
    : { cert: '', key: '' };
  return renderScript('phase-kubeadm', {
    ...scriptCommon(plan),
    action: node.action,
    isInit: node.action === 'init',
    isJoinControlPlane: node.action === 'join-control-plane',
    isWorker: node.action === 'join-worker',
    isEtcd: node.action === 'etcd',
    isControlPlane: node.role === 'control-plane',
    kubeadm: `${plan.os.binDir}/kubeadm`,
    kubectl: `${plan.os.binDir}/kubectl`,
    artifactsSource: plan.artifacts.source,
    kubernetesVersion: plan.kubernetes.version,
    config: KUBEADM_CONFIG,
    pki: PKI_DIR,
    endpointHost: plan.endpoint.host,
    endpointPort: plan.endpoint.port,
    readyIp: node.endpointIpWhenReady ?? '',
    waitFor: node.waitFor,
    joinWaitConfig: JOIN_WAIT_CONFIG,
    joinWaitGroup: JOIN_WAIT_GROUP,
    rbac: plan.nodes.some((n) => n.action === 'join-control-plane') ? JOIN_WAIT_RBAC : '',
    externalEtcd: external && node.action === 'init',
    etcdEndpoints: plan.etcd.members.map((m) => `https://${m.name}:2379`),
    etcdClientCert: etcdClient.cert,
    etcdClientKey: etcdClient.key,
    etcdDropIn: ETCD_KUBELET_DROPIN,
    cniManifest: cni.manifest,
    cniMarker: cni.marker,
    cniSummary: cni.summary,
    cniMissing: cni.missing,
    ...TIMING,
  });
}
