/** A node's load-balancer view for `kubeseed explain`: plain data, null when it runs none. */
import type { ClusterPlan, LbBackend, LbPlan, NodePlan } from '../../plan/types.js';

export interface LbView {
  readonly vip: string;
  readonly port: number;
  readonly scheduler: LbPlan['scheduler'];
  readonly backends: readonly LbBackend[];
  readonly checker: {
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly failuresToRemove: number;
  };
}

export function lbView(plan: ClusterPlan, node: NodePlan): LbView | null {
  if (!node.runsLb || plan.lb.mode !== 'ipvs') return null;
  const lb = plan.lb;
  return {
    vip: lb.vip,
    port: lb.port,
    scheduler: lb.scheduler,
    backends: lb.backends.map((b) => ({ name: b.name, ip: b.ip, port: b.port })),
    checker: {
      intervalSeconds: lb.intervalSeconds,
      timeoutSeconds: lb.timeoutSeconds,
      failuresToRemove: lb.failuresToRemove,
    },
  };
}
