/**
 * The first-boot script and its phases as files. Each phase has its own template and its own
 * render function; the runner runs them in the order the plan lists.
 */
import { executable, textFile, type NodeFile } from '../files.js';
import type { ClusterPlan, NodePlan, NodeShape, Phase } from '../../plan/types.js';
import { renderRuntimePhase } from '../containerd/phase.js';
import { renderLbPhase } from '../ipvs/files.js';
import { HOSTS_FILE, hostsFile } from '../os/hosts.js';
import { renderOsPhase, renderPreflightPhase } from '../os/phases.js';
import { renderScript } from './template.js';
import { renderKubeadmPhase } from '../kubeadm/phase.js';
import { renderArtifactsPhase } from '../artifacts/files.js';
import { renderSecretsPhase } from '../secrets/phase.js';

export function firstbootPath(plan: ClusterPlan): string {
  return `${plan.os.sbinDir}/kubeseed-firstboot`;
}

/** The one file that names the machine: sourced by lib.sh and the load-balancer checker. */
export const NODE_ENV_FILE = '/etc/kubeseed/node.env';

/** Values every script template gets; none names a node, so scripts are shared by a node shape. */
export function scriptCommon(plan: ClusterPlan): { cluster: string; lib: string; nodeEnv: string; secretStaging: string } {
  return { cluster: plan.name, lib: `${plan.os.libDir}/lib.sh`, nodeEnv: NODE_ENV_FILE, secretStaging: plan.secretStaging };
}

type PhaseRenderer = (plan: ClusterPlan, node: NodeShape) => string;

const PHASES: Partial<Record<Phase, PhaseRenderer>> = {
  preflight: (plan, node) => renderPreflightPhase(plan, node, scriptCommon(plan)),
  secrets: (plan, node) => renderSecretsPhase(plan, node),
  os: (plan, node) => renderOsPhase(plan, node, scriptCommon(plan)),
  artifacts: (plan) => renderArtifactsPhase(plan),
  runtime: (plan) => renderRuntimePhase(plan, scriptCommon(plan)),
  // A wrapper, not the function itself: ipvs/files.ts imports this module too.
  lb: (plan, node) => renderLbPhase(plan, node),
  kubeadm: (plan, node) => renderKubeadmPhase(plan, node),
};

/** /etc/kubeseed/node.env: the machine's name and addresses, as shell assignments. */
export function renderNodeEnv(plan: ClusterPlan, node: NodePlan): string {
  return renderScript('node-env', {
    cluster: plan.name,
    node: node.name,
    ip: node.ip,
    mac: node.mac,
    productUuid: node.productUuid ?? '',
    prefix: node.prefix,
    gateway: node.gateway ?? '',
    nics: node.nics.map((n) => `${n.name}=${n.mac}`),
  });
}

/** The one file only this machine receives. */
export function identityFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return [textFile(NODE_ENV_FILE, renderNodeEnv(plan, node))];
}

/** The runner, lib.sh, the phase scripts and the hosts lines: the same for every node of a shape. */
export function firstbootFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  const common = scriptCommon(plan);
  return [
    executable(firstbootPath(plan), renderScript('firstboot', { ...common, phases: node.phases, phaseDir: `${plan.os.libDir}/phases` })),
    textFile(common.lib, renderScript('lib', common)),
    textFile(HOSTS_FILE, hostsFile(plan)),
    ...node.phases.map((phase) => {
      const render = PHASES[phase];
      if (!render) throw new Error(`unreachable: plan lists phase ${phase} with no renderer`);
      return executable(`${plan.os.libDir}/phases/${phase}.sh`, render(plan, node));
    }),
  ];
}
