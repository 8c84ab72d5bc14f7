/**
 * /etc/modules-load.d/kubernetes.conf: the kernel modules the plan gives a node (NodePlan.kernelModules), loaded at every boot by
 * systemd-modules-load and, on first boot, by the os phase with modprobe (modules-load.d has
 * already run by then).
 */
export const MODULES_FILE = '/etc/modules-load.d/kubernetes.conf';

export function modulesLoadText(modules: readonly string[]): string {
  return ['# kubeseed: kernel modules for containerd, kube-proxy and the apiserver VIP.', ...modules, ''].join('\n');
}
