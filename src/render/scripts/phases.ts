/**
 * The first-boot script and its phases as files. Each phase has its own template and its own
 * render function; the runner runs them in the order the plan lists.
 */
import { executable, textFile, type NodeFile } from '../files.js';
import type { ClusterPlan, NodePlan, Phase } from '../../plan/types.js';
import { renderRuntimePhase } from '../containerd/phase.js';
import { renderLbPhase } from '../ipvs/files.js';
import { renderOsPhase, renderPreflightPhase } from '../os/phases.js';
import { renderScript } from './template.js';
import { renderKubeadmPhase } from '../kubeadm/phase.js';
import { renderArtifactsPhase } from '../artifacts/files.js';

export function firstbootPath(plan: ClusterPlan): string {
  return `${plan.os.sbinDir}/kubeseed-firstboot`;
}

/** Values every script template gets. */
export function scriptCommon(plan: ClusterPlan, node: NodePlan): { node: string; cluster: string; lib: string } {
  return { node: node.name, cluster: plan.name, lib: `${plan.os.libDir}/lib.sh` };
}

type PhaseRenderer = (plan: ClusterPlan, node: NodePlan) => string;

const PHASES: Partial<Record<Phase, PhaseRenderer>> = {
  preflight: (plan, node) => renderPreflightPhase(plan, node, scriptCommon(plan, node)),
  os: (plan, node) => renderOsPhase(plan, node, scriptCommon(plan, node)),
  artifacts: (plan, node) => renderArtifactsPhase(plan, node),
  runtime: (plan, node) => renderRuntimePhase(plan, node, scriptCommon(plan, node)),
  // A wrapper, not the function itself: ipvs/files.ts imports this module too.
  lb: (plan, node) => renderLbPhase(plan, node),
  kubeadm: (plan, node) => renderKubeadmPhase(plan, node),
};

/** /etc/kubeseed/hosts: the lines the os phase keeps in /etc/hosts. */
export function hostsFile(node: NodePlan): string {
  return node.hosts.map((h) => `${h.ip} ${h.names.join(' ')}\n`).join('');
}

export function firstbootFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  const common = scriptCommon(plan, node);
  return [
    executable(firstbootPath(plan), renderScript('firstboot', { ...common, phases: node.phases, phaseDir: `${plan.os.libDir}/phases` })),
    textFile(common.lib, renderScript('lib', common)),
    textFile('/etc/kubeseed/hosts', hostsFile(node)),
    ...node.phases.map((phase) => {
      const render = PHASES[phase];
      if (!render) throw new Error(`unreachable: plan lists phase ${phase} with no renderer`);
      return executable(`${plan.os.libDir}/phases/${phase}.sh`, render(plan, node));
    }),
  ];
}
