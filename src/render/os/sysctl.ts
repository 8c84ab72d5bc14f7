/**
 * /etc/sysctl.d/99-kubernetes.conf: only the keys the kubeadm install practice asks for. IPVS mode
 * needs no extra keys here: kube-proxy sets net.ipv4.vs.conntrack and its other IPVS sysctls
 * itself when it starts.
 */
export const SYSCTL_FILE = '/etc/sysctl.d/99-kubernetes.conf';

export function sysctlText(): string {
  return [
    '# kubeseed: kernel settings for Kubernetes. Applied by the os phase with `sysctl --system`',
    '# after br_netfilter is loaded (the bridge keys do not exist before).',
    '# Pod traffic crossing a Linux bridge must pass iptables, or Service rules miss it.',
    'net.bridge.bridge-nf-call-iptables = 1',
    'net.bridge.bridge-nf-call-ip6tables = 1',
    '# The node routes pod traffic between interfaces; kubeadm preflight checks this key.',
    'net.ipv4.ip_forward = 1',
    '',
  ].join('\n');
}
