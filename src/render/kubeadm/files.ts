/**
 * The kubeadm files one node receives: its kubeadm configuration in the API version the plan
 * chose, and the few helpers its phase script needs. The script itself is rendered in phase.ts.
 */
import type { ClusterPlan, KubeadmApi, NodePlan } from '../../plan/types.js';
import { secretFile, textFile, type NodeFile } from '../files.js';
import { toYaml, toYamlStream } from '../serialize.js';
import { KUBELET_API } from './component-configs.js';
import { KUBEADM_CONFIG, endpointHostPort, kubeadmModel } from './model.js';
import * as v1beta3 from './v1beta3.js';
import * as v1beta4 from './v1beta4.js';

type Doc = Record<string, unknown>;

/** The one place a kubeadm API version picks its module. */
const MODULES: Readonly<Record<KubeadmApi, { API_VERSION: string; documents: typeof v1beta3.documents }>> = {
  v1beta3,
  v1beta4,
};

export const JOIN_WAIT_CONFIG = '/etc/kubernetes/kubeadm/join-wait.yaml';
export const JOIN_WAIT_RBAC = '/etc/kubernetes/kubeadm/join-wait-rbac.yaml';
/** The read-only group joining control-plane nodes put in their short-lived client certificate. */
export const JOIN_WAIT_GROUP = 'kubeseed:join-waiters';
export const ETCD_KUBELET_CONFIG = '/etc/kubernetes/kubelet-etcd.yaml';
export const ETCD_KUBELET_DROPIN = '/etc/systemd/system/kubelet.service.d/20-etcd-service-manager.conf';

/** The documents of this node's /etc/kubernetes/kubeadm/kubeadm.yaml. */
export function kubeadmDocuments(plan: ClusterPlan, node: NodePlan): Doc[] {
  return MODULES[plan.kubernetes.kubeadmApi].documents(kubeadmModel(plan, node));
}

/**
 * For `kubeadm kubeconfig user --config` on a joining control-plane node: only what that command
 * needs to point a kubeconfig at the endpoint (the join file holds a JoinConfiguration only).
 */
export function joinWaitDocuments(plan: ClusterPlan): Doc[] {
  return [{
    apiVersion: MODULES[plan.kubernetes.kubeadmApi].API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: plan.name,
    kubernetesVersion: plan.kubernetes.version,
    controlPlaneEndpoint: endpointHostPort(plan),
  }];
}

/**
 * RBAC the first control-plane node creates right after `kubeadm init`: the group joining
 * control-plane nodes use to see which nodes are registered may read Node objects, nothing else.
 */
export function joinWaitRbac(): Doc[] {
  const name = 'kubeseed:join-waiter';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: JOIN_WAIT_GROUP }],
    },
  ];
}

/**
 * The standalone kubelet of an external etcd member, as kubeadm's HA etcd guide configures it:
 * it serves only on loopback, trusts no remote caller, and runs the static pods in
 * /etc/kubernetes/manifests (the etcd pod `kubeadm init phase etcd local` writes). The guide
 * keeps this file beside the drop-in as kubelet.conf; it lives under /etc/kubernetes here
 * because systemd reads every *.conf in a drop-in directory as unit settings.
 */
export function etcdKubeletDocuments(plan: ClusterPlan): Doc[] {
  return [{
    apiVersion: KUBELET_API,
    kind: 'KubeletConfiguration',
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    cgroupDriver: plan.kubernetes.cgroupDriver,
    address: '127.0.0.1',
    containerRuntimeEndpoint: plan.containerd.socket,
    staticPodPath: '/etc/kubernetes/manifests',
  }];
}

function etcdKubeletDropIn(plan: ClusterPlan): string {
  return [
    '# kubeseed: on this external etcd member the kubelet only runs the static etcd pod',
    "# (kubeadm's \"Set up a High Availability etcd cluster with kubeadm\" guide); it never joins the cluster.",
    '[Service]',
    'ExecStart=',
    `ExecStart=${plan.os.binDir}/kubelet --config=${ETCD_KUBELET_CONFIG}`,
    'Restart=always',
    '',
  ].join('\n');
}

export function kubeadmFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  const text = toYamlStream(kubeadmDocuments(plan, node));
  // The plan says whether it holds the bootstrap token; without one (an external etcd member)
  // it is an ordinary file, kept 0600 like every kubeadm config.
  const config = node.secretPaths.includes(KUBEADM_CONFIG) ? secretFile(KUBEADM_CONFIG, text) : textFile(KUBEADM_CONFIG, text, 0o600);
  switch (node.action) {
    case 'init':
      return [
        config,
        ...(plan.nodes.some((n) => n.action === 'join-control-plane') ? [textFile(JOIN_WAIT_RBAC, toYamlStream(joinWaitRbac()))] : []),
      ];
    case 'join-control-plane':
      return [config, textFile(JOIN_WAIT_CONFIG, toYamlStream(joinWaitDocuments(plan)))];
    case 'join-worker':
      return [config];
    case 'etcd':
      return [
        config,
        textFile(ETCD_KUBELET_CONFIG, toYaml(etcdKubeletDocuments(plan)[0])),
        textFile(ETCD_KUBELET_DROPIN, etcdKubeletDropIn(plan)),
      ];
  }
}
