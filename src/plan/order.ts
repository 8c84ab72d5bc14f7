/**
 * Bring-up order. External etcd members first (they form their own cluster), then the first
 * control-plane node (kubeadm init), then the other control-plane nodes one at a time
 * (concurrent stacked-etcd member additions fail), then workers, which only need the endpoint.
 */
import type { ProfileNode } from '../profile/schema/v1alpha1.js';

export interface Ordered {
  readonly node: ProfileNode;
  readonly action: 'init' | 'join-control-plane' | 'join-worker' | 'etcd';
  readonly waitFor: readonly string[];
}

export function bringUpOrder(nodes: readonly ProfileNode[]): Ordered[] {
  const etcd = nodes.filter((n) => n.role === 'etcd');
  const cps = nodes.filter((n) => n.role === 'control-plane');
  const workers = nodes.filter((n) => n.role === 'worker');
  const first = cps[0];
  return [
    ...etcd.map((node) => ({ node, action: 'etcd' as const, waitFor: [] })),
    ...cps.map((node, i) => ({
      node,
      action: i === 0 ? ('init' as const) : ('join-control-plane' as const),
      waitFor: cps.slice(0, i).map((n) => n.name),
    })),
    ...workers.map((node) => ({ node, action: 'join-worker' as const, waitFor: first ? [first.name] : [] })),
  ];
}
