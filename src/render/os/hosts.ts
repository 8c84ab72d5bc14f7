/**
 * The control-plane and etcd nodes' /etc/hosts lines, as one file every node receives; the os
 * phase keeps them in a marked block of /etc/hosts, with the node's own line from node.env.
 */
import type { ClusterPlan } from '../../plan/types.js';

export const HOSTS_FILE = '/etc/kubeseed/hosts';

export function hostsFile(plan: ClusterPlan): string {
  return plan.hosts.map((h) => `${h.ip} ${h.names.join(' ')}\n`).join('');
}
