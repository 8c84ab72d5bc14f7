/** Fields kubeseed writes in the kubelet's and kube-proxy's own configuration documents. */
import type { FieldTable } from './table.js';

export const KUBELET_V1BETA1_FIELDS: FieldTable = {
  apiVersion: 'kubelet.config.k8s.io/v1beta1',
  sources: [{
    repo: 'kubernetes/kubernetes',
    path: 'staging/src/k8s.io/kubelet/config/v1beta1/types.go',
    commit: '8383bd62ee26c68c4eac4b49431d3403d0880a26',
    types: 'KubeletConfiguration (cgroupDriver, staticPodPath, address, authentication, authorization), '
      + 'KubeletAuthentication (anonymous.enabled *bool, webhook.enabled *bool), KubeletAuthorization (mode). '
      + 'containerRuntimeEndpoint (string) came in Kubernetes 1.27, after this file version: it is taken from '
      + 'the 1.27+ KubeletConfiguration, which every version kubeseed supports (1.29+) has',
  }],
  kinds: {
    KubeletConfiguration: {
      cgroupDriver: 'string',
      // The external etcd members' standalone kubelet (kubeadm's HA etcd guide) uses these too.
      address: 'string',
      staticPodPath: 'string',
      containerRuntimeEndpoint: 'string',
      authentication: 'object',
      'authentication.anonymous': 'object',
      'authentication.anonymous.enabled': 'bool',
      'authentication.webhook': 'object',
      'authentication.webhook.enabled': 'bool',
      authorization: 'object',
      'authorization.mode': 'string',
    },
  },
};

export const KUBE_PROXY_V1ALPHA1_FIELDS: FieldTable = {
  apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
  sources: [{
    repo: 'kubernetes/kubernetes',
    path: 'staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go',
    commit: '052d2d84f95e90aa94868b51a48b1ae7a1c91152',
    types: 'KubeProxyConfiguration (mode, ipvs), KubeProxyIPVSConfiguration (excludeCIDRs []string)',
  }],
  kinds: {
    KubeProxyConfiguration: {
      mode: 'string',
      ipvs: 'object',
      'ipvs.excludeCIDRs': 'list',
      'ipvs.excludeCIDRs[]': 'string',
    },
  },
};
