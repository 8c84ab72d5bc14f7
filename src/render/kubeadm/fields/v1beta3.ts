/** Fields kubeseed writes in kubeadm.k8s.io/v1beta3 documents, from kubeadm's v1beta3 Go types. */
import {
  API_ENDPOINT, BOOTSTRAP_TOKENS, BOOTSTRAP_TOKEN_SOURCE, IGNORE_PREFLIGHT, NODE_REGISTRATION_COMMON, TAINT_SOURCE, under,
} from './shared.js';
import type { FieldTable, FieldType } from './table.js';

/** v1beta3 extra arguments are `map[string]string`. */
const NODE_REGISTRATION: Record<string, FieldType> = {
  ...NODE_REGISTRATION_COMMON,
  'nodeRegistration.kubeletExtraArgs': 'map',
  'nodeRegistration.kubeletExtraArgs.*': 'string',
};

export const V1BETA3_FIELDS: FieldTable = {
  apiVersion: 'kubeadm.k8s.io/v1beta3',
  sources: [
    {
      repo: 'kubernetes/kubernetes',
      path: 'cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go',
      commit: '428c3fe9540a2cbe8daf4645879a87b30bbf1d02',
      types: 'InitConfiguration, ClusterConfiguration, APIServer, ControlPlaneComponent (ExtraArgs map[string]string), '
        + 'APIEndpoint, NodeRegistrationOptions (KubeletExtraArgs map[string]string), Networking, Etcd, LocalEtcd, '
        + 'ExternalEtcd, JoinConfiguration, JoinControlPlane, Discovery, BootstrapTokenDiscovery',
    },
    BOOTSTRAP_TOKEN_SOURCE,
    TAINT_SOURCE,
  ],
  kinds: {
    InitConfiguration: {
      ...BOOTSTRAP_TOKENS,
      ...NODE_REGISTRATION,
      localAPIEndpoint: 'object',
      ...under('localAPIEndpoint', API_ENDPOINT),
    },
    ClusterConfiguration: {
      clusterName: 'string',
      kubernetesVersion: 'string',
      controlPlaneEndpoint: 'string',
      imageRepository: 'string',
      networking: 'object',
      'networking.podSubnet': 'string',
      'networking.serviceSubnet': 'string',
      'networking.dnsDomain': 'string',
      apiServer: 'object',
      'apiServer.certSANs': 'list',
      'apiServer.certSANs[]': 'string',
      etcd: 'object',
      'etcd.local': 'object',
      'etcd.local.dataDir': 'string',
      'etcd.local.serverCertSANs': 'list',
      'etcd.local.serverCertSANs[]': 'string',
      'etcd.local.peerCertSANs': 'list',
      'etcd.local.peerCertSANs[]': 'string',
      'etcd.local.extraArgs': 'map',
      'etcd.local.extraArgs.*': 'string',
      'etcd.external': 'object',
      'etcd.external.endpoints': 'list',
      'etcd.external.endpoints[]': 'string',
      'etcd.external.caFile': 'string',
      'etcd.external.certFile': 'string',
      'etcd.external.keyFile': 'string',
    },
    JoinConfiguration: {
      ...NODE_REGISTRATION,
      ...IGNORE_PREFLIGHT,
      discovery: 'object',
      'discovery.bootstrapToken': 'object',
      'discovery.bootstrapToken.token': 'string',
      'discovery.bootstrapToken.apiServerEndpoint': 'string',
      'discovery.bootstrapToken.caCertHashes': 'list',
      'discovery.bootstrapToken.caCertHashes[]': 'string',
      controlPlane: 'object',
      'controlPlane.localAPIEndpoint': 'object',
      ...under('controlPlane.localAPIEndpoint', API_ENDPOINT),
    },
  },
};
