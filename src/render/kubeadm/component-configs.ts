/**
 * The component configurations kubeadm passes on to the kubelet and kube-proxy. Their API
 * versions belong to those components, not to kubeadm, so both kubeadm modules share them.
 */
import type { KubeProxyConfig, KubeletConfig } from './model.js';

export const KUBELET_API = 'kubelet.config.k8s.io/v1beta1';
export const KUBE_PROXY_API = 'kubeproxy.config.k8s.io/v1alpha1';

export function kubeletConfiguration(k: KubeletConfig): Record<string, unknown> {
  return { apiVersion: KUBELET_API, kind: 'KubeletConfiguration', cgroupDriver: k.cgroupDriver };
}

export function kubeProxyConfiguration(p: KubeProxyConfig): Record<string, unknown> {
  return {
    apiVersion: KUBE_PROXY_API,
    kind: 'KubeProxyConfiguration',
    mode: p.mode,
    ...(p.ipvsExcludeCIDRs.length ? { ipvs: { excludeCIDRs: [...p.ipvsExcludeCIDRs] } } : {}),
  };
}
