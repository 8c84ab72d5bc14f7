/**
 * /etc/modules-load.d/kubernetes.conf: the kernel modules a node needs, loaded at every boot by
 * systemd-modules-load and, on first boot, by the os phase with modprobe (modules-load.d has
 * already run by then).
 */
import type { ClusterPlan, NodePlan } from '../../plan/types.js';

export const MODULES_FILE = '/etc/modules-load.d/kubernetes.conf';

/** IPVS core, the schedulers kube-proxy's IPVS mode checks for, and conntrack (one module since 4.19; RHEL 8's 4.18 carries the merge). */
const IPVS = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] as const;

/**
 * overlay for containerd's overlayfs snapshotter, br_netfilter for the bridge-nf sysctls; the
 * IPVS set when kube-proxy runs in IPVS mode or the node carries the apiserver VIP (the IPVS
 * load balancer needs ip_vs even when kube-proxy uses iptables), plus that balancer's scheduler.
 */
export function kernelModules(plan: ClusterPlan, node: NodePlan): string[] {
  const out: string[] = ['overlay', 'br_netfilter'];
  if (plan.kubernetes.proxyMode === 'ipvs' || node.runsLb) out.push(...IPVS);
  if (node.runsLb && !out.includes(`ip_vs_${plan.lb.scheduler}`)) out.push(`ip_vs_${plan.lb.scheduler}`);
  return out;
}

export function modulesLoadText(modules: readonly string[]): string {
  return ['# kubeseed: kernel modules for containerd, kube-proxy and the apiserver VIP.', ...modules, ''].join('\n');
}
