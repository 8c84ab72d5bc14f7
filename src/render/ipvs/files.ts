/**
 * The files of the IPVS load balancer on one node: the checker script, its systemd unit, and
 * the `lb` phase that starts them during first boot.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { executable, textFile, type NodeFile } from '../files.js';
import { scriptCommon } from '../scripts/phases.js';
import { renderScript } from '../scripts/template.js';
import { renderUnit } from '../systemd/unit.js';
import { lbService, type LbService } from './rules.js';

export const CHECKER_UNIT = 'kubeseed-lb-checker.service';
/** kubeadm writes the cluster CA here; kubeseed places it before first boot (secret files). */
export const CLUSTER_CA_FILE = '/etc/kubernetes/pki/ca.crt';
/** Readable without credentials: kubeadm's RBAC binds system:public-info-viewer to it. */
export const HEALTH_PATH = '/healthz';

export function checkerPath(plan: ClusterPlan): string {
  return `${plan.os.sbinDir}/kubeseed-lb-checker`;
}

function serviceOf(plan: ClusterPlan, node: NodeShape): LbService {
  const lb = lbService(plan, node);
  if (!lb) throw new Error('unreachable: this node runs no load balancer');
  return lb;
}

export function renderChecker(plan: ClusterPlan, node: NodeShape): string {
  const lb = serviceOf(plan, node);
  return renderScript('kubeseed-lb-checker', {
    ...scriptCommon(plan),
    vip: lb.vip,
    service: lb.service,
    scheduler: lb.scheduler,
    intervalSeconds: plan.lb.intervalSeconds,
    timeoutSeconds: plan.lb.timeoutSeconds,
    failuresToRemove: plan.lb.failuresToRemove,
    caFile: CLUSTER_CA_FILE,
    healthPath: HEALTH_PATH,
    iface: node.interface,
    backends: lb.backends.map((b) => `${b.name}=${b.address}`),
  });
}

export function renderCheckerUnit(plan: ClusterPlan, node: NodeShape): string {
  const lb = serviceOf(plan, node);
  return renderUnit({
    comment: [`kubeseed: IPVS load balancer for the apiservers at ${lb.service} (cluster ${plan.name}).`],
    Unit: {
      Description: `kubeseed apiserver load balancer health checker (${lb.service})`,
      Documentation: `file:${checkerPath(plan)}`,
      // The route names the node's interface, so wait for the network to be configured.
      Wants: ['network-online.target'],
      After: ['network-online.target'],
      // kubelet and kubeadm reach the apiservers through the VIP on workers.
      Before: ['kubelet.service'],
      // Restart=always must never give up: without this, five quick failures in ten seconds
      // (systemd's default start limit) would leave the node without its load balancer.
      StartLimitIntervalSec: 0,
    },
    Service: {
      Type: 'simple',
      ExecStart: checkerPath(plan),
      Restart: 'always',
      RestartSec: 1,
    },
    Install: {
      WantedBy: ['multi-user.target'],
    },
  });
}

export function renderLbPhase(plan: ClusterPlan, node: NodeShape): string {
  const lb = serviceOf(plan, node);
  return renderScript('phase-lb', {
    ...scriptCommon(plan),
    checker: checkerPath(plan),
    unit: CHECKER_UNIT,
    service: lb.service,
    backendCount: lb.backends.length,
  });
}

/** The checker and its unit; empty for a node that runs no load balancer. */
export function lbFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  if (!lbService(plan, node)) return [];
  return [
    executable(checkerPath(plan), renderChecker(plan, node)),
    textFile(`/etc/systemd/system/${CHECKER_UNIT}`, renderCheckerUnit(plan, node)),
  ];
}
