/**
 * kubeadm.k8s.io/v1beta4 (Kubernetes 1.31 and later). Frozen: change only to fix a mistake against
 * kubeadm's types (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go; see fields/v1beta4.ts).
 * v1beta4 writes extra arguments as lists of {name, value} (type Arg), which allow repeats;
 * otherwise the fields kubeseed uses are the same as v1beta3's.
 */
import { kubeProxyConfiguration, kubeletConfiguration } from './component-configs.js';
import type { Arg, ApiEndpoint, Cluster, KubeadmModel, NodeRegistration } from './model.js';

export const API_VERSION = 'kubeadm.k8s.io/v1beta4';

type Doc = Record<string, unknown>;

function argList(args: readonly Arg[]): { name: string; value: string }[] {
  return args.map((a) => ({ name: a.name, value: a.value }));
}

function nodeRegistration(r: NodeRegistration): Doc {
  return {
    name: r.name,
    criSocket: r.criSocket,
    ...(r.kubeletExtraArgs.length ? { kubeletExtraArgs: argList(r.kubeletExtraArgs) } : {}),
    ...(r.taints ? { taints: r.taints.map((t) => ({ key: t.key, effect: t.effect })) } : {}),
    ...(r.ignorePreflightErrors.length ? { ignorePreflightErrors: [...r.ignorePreflightErrors] } : {}),
  };
}

function endpoint(e: ApiEndpoint): Doc {
  return { advertiseAddress: e.advertiseAddress, bindPort: e.bindPort };
}

function clusterConfiguration(c: Cluster): Doc {
  const etcd = c.etcd.kind === 'local'
    ? {
      local: {
        dataDir: c.etcd.dataDir,
        ...(c.etcd.serverCertSANs.length ? { serverCertSANs: [...c.etcd.serverCertSANs] } : {}),
        ...(c.etcd.peerCertSANs.length ? { peerCertSANs: [...c.etcd.peerCertSANs] } : {}),
        ...(c.etcd.extraArgs.length ? { extraArgs: argList(c.etcd.extraArgs) } : {}),
      },
    }
    : { external: { endpoints: [...c.etcd.endpoints], caFile: c.etcd.caFile, certFile: c.etcd.certFile, keyFile: c.etcd.keyFile } };
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: c.clusterName,
    kubernetesVersion: c.kubernetesVersion,
    ...(c.controlPlaneEndpoint ? { controlPlaneEndpoint: c.controlPlaneEndpoint } : {}),
    imageRepository: c.imageRepository,
    ...(c.networking ? { networking: { ...c.networking } } : {}),
    ...(c.certSANs.length ? { apiServer: { certSANs: [...c.certSANs] } } : {}),
    etcd,
  };
}

/** The documents of one node's kubeadm configuration, in the order kubeadm reads them. */
export function documents(m: KubeadmModel): Doc[] {
  switch (m.kind) {
    case 'init':
      return [
        {
          apiVersion: API_VERSION,
          kind: 'InitConfiguration',
          bootstrapTokens: [{
            token: m.bootstrapToken.token,
            description: m.bootstrapToken.description,
            ttl: m.bootstrapToken.ttl,
            usages: [...m.bootstrapToken.usages],
            groups: [...m.bootstrapToken.groups],
          }],
          nodeRegistration: nodeRegistration(m.nodeRegistration),
          localAPIEndpoint: endpoint(m.localAPIEndpoint),
        },
        clusterConfiguration(m.cluster),
        kubeletConfiguration(m.kubelet),
        kubeProxyConfiguration(m.kubeProxy),
      ];
    case 'join':
      return [{
        apiVersion: API_VERSION,
        kind: 'JoinConfiguration',
        nodeRegistration: nodeRegistration(m.nodeRegistration),
        discovery: {
          bootstrapToken: {
            token: m.discovery.token,
            apiServerEndpoint: m.discovery.apiServerEndpoint,
            caCertHashes: [...m.discovery.caCertHashes],
          },
        },
        ...(m.controlPlane ? { controlPlane: { localAPIEndpoint: endpoint(m.controlPlane.localAPIEndpoint) } } : {}),
      }];
    case 'etcd':
      return [
        {
          apiVersion: API_VERSION,
          kind: 'InitConfiguration',
          nodeRegistration: nodeRegistration(m.nodeRegistration),
          localAPIEndpoint: endpoint(m.localAPIEndpoint),
        },
        clusterConfiguration(m.cluster),
      ];
  }
}
