/**
 * The IPVS rule set one node runs for the apiserver VIP, as data: what the checker script
 * bakes in, what `--print-rules` prints, what `explain` shows. Pure; null when the node runs
 * no load balancer (lb mode none, etcd nodes, control-plane nodes without onControlPlane).
 */
import type { ClusterPlan, LbPlan, NodePlan, NodeShape } from '../../plan/types.js';

export interface LbBackendRule {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  /** `IP:PORT`, as ipvsadm names a real server. */
  readonly address: string;
}

/** The virtual service and its real servers: the same on every node that balances. */
export interface LbService {
  readonly vip: string;
  readonly port: number;
  /** `VIP:PORT`, as ipvsadm names the virtual service. */
  readonly service: string;
  readonly scheduler: LbPlan['scheduler'];
  readonly backends: readonly LbBackendRule[];
}

export interface LbRuleSet extends LbService {
  /** The host route that makes this node's own address the source of connections to the VIP. */
  readonly route: { readonly destination: string; readonly dev: string; readonly src: string };
  /**
   * The wanted state as commands, in order (route, virtual server, one real server per backend
   * at weight 1, masquerade). The checker reaches it idempotently; this list is what a test or
   * an operator compares with `kubeseed-lb-checker --print-rules`.
   */
  readonly commands: readonly (readonly string[])[];
}

export function lbService(plan: ClusterPlan, node: Pick<NodeShape, 'runsLb'>): LbService | null {
  if (!node.runsLb || plan.lb.mode !== 'ipvs') return null;
  const lb = plan.lb;
  return {
    vip: lb.vip,
    port: lb.port,
    service: `${lb.vip}:${lb.port}`,
    scheduler: lb.scheduler,
    backends: lb.backends.map((b) => ({ name: b.name, ip: b.ip, port: b.port, address: `${b.ip}:${b.port}` })),
  };
}

export function lbRuleSet(plan: ClusterPlan, node: NodePlan): LbRuleSet | null {
  const lb = lbService(plan, node);
  if (!lb) return null;
  const route = { destination: `${lb.vip}/32`, dev: node.interface, src: node.ip };
  return {
    ...lb,
    route,
    commands: [
      ['ip', 'route', 'replace', route.destination, 'dev', route.dev, 'src', route.src],
      ['ipvsadm', '-A', '-t', lb.service, '-s', lb.scheduler],
      ...lb.backends.map((b) => ['ipvsadm', '-a', '-t', lb.service, '-r', b.address, '-m', '-w', '1']),
    ],
  };
}
