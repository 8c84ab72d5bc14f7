/**
 * The neutral description of what kubeadm is told on one node, built from the plan. The
 * per-version modules (v1beta3.ts, v1beta4.ts) only change its shape into their API's
 * documents; every value and every choice is made here, once, so the two versions cannot drift.
 */
import type { ClusterPlan, NodePlan, Taint } from '../../plan/types.js';

/** A command-line flag kubeadm passes on (v1beta3: a map entry; v1beta4: a {name, value} item). */
export interface Arg {
  readonly name: string;
  readonly value: string;
}

export interface NodeRegistration {
  readonly name: string;
  readonly criSocket: string;
  readonly kubeletExtraArgs: readonly Arg[];
  /** Absent: leave kubeadm's default (none on workers). An empty list: explicitly untainted. */
  readonly taints?: readonly Taint[];
  readonly ignorePreflightErrors: readonly string[];
}

export interface LocalEtcd {
  readonly kind: 'local';
  readonly dataDir: string;
  readonly serverCertSANs: readonly string[];
  readonly peerCertSANs: readonly string[];
  readonly extraArgs: readonly Arg[];
}

export interface ExternalEtcd {
  readonly kind: 'external';
  readonly endpoints: readonly string[];
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Cluster {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  /** `host:port`; absent on external etcd members, which have no apiserver. */
  readonly controlPlaneEndpoint?: string;
  readonly imageRepository: string;
  readonly certSANs: readonly string[];
  readonly networking?: { readonly podSubnet: string; readonly serviceSubnet: string; readonly dnsDomain: string };
  readonly etcd: LocalEtcd | ExternalEtcd;
}

export interface ApiEndpoint {
  readonly advertiseAddress: string;
  readonly bindPort: number;
}

export interface BootstrapToken {
  readonly token: string;
  readonly description: string;
  readonly ttl: string;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
}

export interface KubeletConfig {
  readonly cgroupDriver: 'systemd';
}

export interface KubeProxyConfig {
  readonly mode: 'ipvs' | 'iptables';
  /** CIDRs kube-proxy's IPVS proxier must leave alone (our apiserver VIP). */
  readonly ipvsExcludeCIDRs: readonly string[];
}

/** The first control-plane node: `kubeadm init`. */
export interface InitModel {
  readonly kind: 'init';
  readonly bootstrapToken: BootstrapToken;
  readonly nodeRegistration: NodeRegistration;
  readonly localAPIEndpoint: ApiEndpoint;
  readonly cluster: Cluster;
  readonly kubelet: KubeletConfig;
  readonly kubeProxy: KubeProxyConfig;
}

/** Every other control-plane node and every worker: `kubeadm join`. */
export interface JoinModel {
  readonly kind: 'join';
  readonly nodeRegistration: NodeRegistration;
  readonly discovery: { readonly token: string; readonly apiServerEndpoint: string; readonly caCertHashes: readonly string[] };
  /** Present for control-plane joins. */
  readonly controlPlane?: { readonly localAPIEndpoint: ApiEndpoint };
}

/**
 * An external etcd member. Only `kubeadm init phase certs etcd-*` and `kubeadm init phase etcd
 * local` read this, as in kubeadm's "Set up a High Availability etcd cluster with kubeadm" guide.
 *
 * Why a static pod run by a standalone kubelet, as that guide does, rather than an etcd systemd
 * unit: the etcd image and version are the ones kubeadm pins for this Kubernetes version, pulled
 * through the same containerd, registry mirrors and offline image bundle as the control plane, so
 * there is no second etcd download to version and checksum; kubeadm issues the server, peer and
 * healthcheck certificates with the names and usages it expects, from the etcd CA on disk; and
 * every node runs the same kubelet/containerd pair that crictl inspects. The cost, which the
 * guide states too: kubeadm does not upgrade these members or renew their certificates.
 */
export interface EtcdMemberModel {
  readonly kind: 'etcd';
  readonly nodeRegistration: NodeRegistration;
  readonly localAPIEndpoint: ApiEndpoint;
  readonly cluster: Cluster;
}

export type KubeadmModel = InitModel | JoinModel | EtcdMemberModel;

/** Where kubeadm's configuration lives on the node (0600 when it holds the bootstrap token). */
export const KUBEADM_CONFIG = '/etc/kubernetes/kubeadm/kubeadm.yaml';
export const PKI_DIR = '/etc/kubernetes/pki';
const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;

/** kubeadm's own group for tokens that join nodes (kubeadm `constants.NodeBootstrapTokenAuthGroup`). */
export const NODE_BOOTSTRAP_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

/**
 * Workers receive the cluster CA certificate before they join (the IPVS health checker verifies
 * the apiservers with it), and `kubeadm join` refuses a worker whose /etc/kubernetes/pki/ca.crt
 * already exists (preflight check FileAvailable--etc-kubernetes-pki-ca.crt, JoinNodeChecks in
 * cmd/kubeadm/app/preflight/checks.go). The file is the same CA that discovery pins with
 * caCertHashes, so that one check is lowered to a warning, and nothing else.
 */
export const WORKER_IGNORED_PREFLIGHT = ['FileAvailable--etc-kubernetes-pki-ca.crt'] as const;

export function endpointHostPort(plan: ClusterPlan): string {
  return `${plan.endpoint.host}:${plan.endpoint.port}`;
}

function controlPlanes(plan: ClusterPlan): NodePlan[] {
  return plan.nodes.filter((n) => n.role === 'control-plane');
}

function registration(plan: ClusterPlan, node: NodePlan): NodeRegistration {
  return {
    name: node.name,
    criSocket: plan.containerd.socket,
    kubeletExtraArgs: node.role === 'etcd' ? [] : [{ name: 'node-ip', value: node.ip }],
    ...(node.taints ? { taints: node.taints } : {}),
    ignorePreflightErrors: node.role === 'worker' ? [...WORKER_IGNORED_PREFLIGHT] : [],
  };
}

/** The apiserver certificate names: the endpoint name, the VIP, every control-plane IP. */
function certSANs(plan: ClusterPlan): string[] {
  const sans = [plan.endpoint.host];
  if (plan.lb.mode === 'ipvs') sans.push(plan.lb.vip);
  for (const cp of controlPlanes(plan)) sans.push(cp.ip);
  return [...new Set(sans)];
}

/** The ClusterConfiguration every control-plane node shares (kubeadm uploads it to kubeadm-config). */
export function clusterModel(plan: ClusterPlan): Cluster {
  const k = plan.kubernetes;
  const etcd: LocalEtcd | ExternalEtcd = plan.etcd.topology === 'stacked'
    ? { kind: 'local', dataDir: '/var/lib/etcd', serverCertSANs: [], peerCertSANs: [], extraArgs: [] }
    : {
      kind: 'external',
      // Member names resolve through the /etc/hosts block the os phase writes; each member's
      // server certificate carries its name and its IP (see etcdMemberModel).
      endpoints: plan.etcd.members.map((m) => `https://${m.name}:${ETCD_CLIENT_PORT}`),
      caFile: `${PKI_DIR}/etcd/ca.crt`,
      certFile: `${PKI_DIR}/apiserver-etcd-client.crt`,
      keyFile: `${PKI_DIR}/apiserver-etcd-client.key`,
    };
  return {
    clusterName: plan.name,
    kubernetesVersion: k.version,
    controlPlaneEndpoint: endpointHostPort(plan),
    imageRepository: k.imageRepository,
    certSANs: certSANs(plan),
    networking: { podSubnet: k.podSubnet, serviceSubnet: k.serviceSubnet, dnsDomain: k.dnsDomain },
    etcd,
  };
}

/**
 * One external etcd member, as the HA etcd guide configures it: a fixed initial cluster of every
 * member (state `new`), each member listening and advertising on its own IP, and server/peer
 * certificates naming the member's name and IP.
 */
function etcdMemberModel(plan: ClusterPlan, node: NodePlan): EtcdMemberModel {
  const k = plan.kubernetes;
  const initialCluster = plan.etcd.members.map((m) => `${m.name}=https://${m.ip}:${ETCD_PEER_PORT}`).join(',');
  const sans = [node.name, node.ip];
  return {
    kind: 'etcd',
    nodeRegistration: registration(plan, node),
    localAPIEndpoint: { advertiseAddress: node.ip, bindPort: plan.endpoint.port },
    cluster: {
      clusterName: plan.name,
      kubernetesVersion: k.version,
      imageRepository: k.imageRepository,
      certSANs: [],
      etcd: {
        kind: 'local',
        dataDir: '/var/lib/etcd',
        serverCertSANs: sans,
        peerCertSANs: sans,
        extraArgs: [
          { name: 'initial-cluster', value: initialCluster },
          { name: 'initial-cluster-state', value: 'new' },
          { name: 'name', value: node.name },
          { name: 'listen-peer-urls', value: `https://${node.ip}:${ETCD_PEER_PORT}` },
          { name: 'listen-client-urls', value: `https://${node.ip}:${ETCD_CLIENT_PORT}` },
          { name: 'advertise-client-urls', value: `https://${node.ip}:${ETCD_CLIENT_PORT}` },
          { name: 'initial-advertise-peer-urls', value: `https://${node.ip}:${ETCD_PEER_PORT}` },
        ],
      },
    },
  };
}

export function kubeadmModel(plan: ClusterPlan, node: NodePlan): KubeadmModel {
  const s = plan.secrets;
  switch (node.action) {
    case 'init':
      return {
        kind: 'init',
        bootstrapToken: {
          token: s.token,
          description: 'kubeseed: made ahead of time; joins every node of this cluster',
          ttl: s.tokenTtl,
          usages: ['signing', 'authentication'],
          groups: [NODE_BOOTSTRAP_GROUP],
        },
        nodeRegistration: registration(plan, node),
        localAPIEndpoint: { advertiseAddress: node.ip, bindPort: plan.endpoint.port },
        cluster: clusterModel(plan),
        kubelet: { cgroupDriver: plan.kubernetes.cgroupDriver },
        kubeProxy: {
          mode: plan.kubernetes.proxyMode,
          // kube-proxy's IPVS proxier deletes virtual servers it did not make unless told not to;
          // our apiserver VIP is one (lvscare does the same).
          ipvsExcludeCIDRs: plan.lb.mode === 'ipvs' ? [plan.lb.excludeCidr] : [],
        },
      };
    case 'join-control-plane':
    case 'join-worker':
      return {
        kind: 'join',
        nodeRegistration: registration(plan, node),
        discovery: { token: s.token, apiServerEndpoint: endpointHostPort(plan), caCertHashes: [s.caCertHash] },
        ...(node.action === 'join-control-plane'
          ? { controlPlane: { localAPIEndpoint: { advertiseAddress: node.ip, bindPort: plan.endpoint.port } } }
          : {}),
      };
    case 'etcd':
      return etcdMemberModel(plan, node);
  }
}
