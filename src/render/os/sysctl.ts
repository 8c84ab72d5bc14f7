/**
 * /etc/sysctl.d/99-kubernetes.conf: only the keys the kubeadm install practice asks for. IPVS mode
 * needs no extra keys here: kube-proxy sets net.ipv4.vs.conntrack and its other IPVS sysctls
 * itself when it starts.
 */
export const SYSCTL_FILE = '/etc/sysctl.d/99-kubernetes.conf';

export interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  /** Why, written above the key in the file. */
  readonly why?: string;
}

/** The settings, in file order; the os phase reads each back after `sysctl --system`. */
export const SYSCTL_SETTINGS: readonly SysctlSetting[] = [
  { key: 'net.bridge.bridge-nf-call-iptables', value: '1', why: 'Pod traffic crossing a Linux bridge must pass iptables, or Service rules miss it.' },
  { key: 'net.bridge.bridge-nf-call-ip6tables', value: '1' },
  { key: 'net.ipv4.ip_forward', value: '1', why: 'The node routes pod traffic between interfaces; kubeadm preflight checks this key.' },
];

export function sysctlText(settings: readonly SysctlSetting[] = SYSCTL_SETTINGS): string {
  return [
    '# kubeseed: kernel settings for Kubernetes. Applied by the os phase with `sysctl --system`',
    '# after br_netfilter is loaded (the bridge keys do not exist before).',
    ...settings.flatMap((s) => [...(s.why ? [`# ${s.why}`] : []), `${s.key} = ${s.value}`]),
    '',
  ].join('\n');
}
