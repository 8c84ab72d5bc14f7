/**
 * The IPVS rule set one node runs for the apiserver VIP, as data: what the checker script
 * bakes in, what `--print-rules` prints, what `explain` shows. Pure; null when the node runs
 * no load balancer (lb mode none, etcd nodes, control-plane nodes without onControlPlane).
 */
import type { ClusterPlan, LbPlan, NodePlan } from '../../plan/types.js';

export interface LbBackendRule {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  /** `IP:PORT`, as ipvsadm names a real server. */
  readonly address: string;
}

export interface LbRuleSet {
  readonly vip: string;
  readonly port: number;
  /** `VIP:PORT`, as ipvsadm names the virtual service. */
  readonly service: string;
  readonly scheduler: LbPlan['scheduler'];
  /** The host route that makes this node's own address the source of connections to the VIP. */
  readonly route: { readonly destination: string; readonly dev: string; readonly src: string };
  readonly backends: readonly LbBackendRule[];
  /**
   * The wanted state as commands, in order (route, virtual server, one real server per backend
   * at weight 1, masquerade). The checker reaches it idempotently; this list is what a test or
   * an operator compares with `kubeseed-lb-checker --print-rules`.
   */
  readonly commands: readonly (readonly string[])[];
}

export function lbRuleSet(plan: ClusterPlan, node: NodePlan): LbRuleSet | null {
  if (!node.runsLb || plan.lb.mode !== 'ipvs') return null;
  const lb = plan.lb;
  const service = `${lb.vip}:${lb.port}`;
  const backends = lb.backends.map((b) => ({ name: b.name, ip: b.ip, port: b.port, address: `${b.ip}:${b.port}` }));
  const route = { destination: `${lb.vip}/32`, dev: node.interface, src: node.ip };
  return {
    vip: lb.vip,
    port: lb.port,
    service,
    scheduler: lb.scheduler,
    route,
    backends,
    commands: [
      ['ip', 'route', 'replace', route.destination, 'dev', route.dev, 'src', route.src],
      ['ipvsadm', '-A', '-t', service, '-s', lb.scheduler],
      ...backends.map((b) => ['ipvsadm', '-a', '-t', service, '-r', b.address, '-m', '-w', '1']),
    ],
  };
}
