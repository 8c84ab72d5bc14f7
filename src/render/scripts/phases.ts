/**
 * The first-boot script and its phases as files. Each phase has its own template and its own
 * render function; the runner runs them in the order the plan lists.
 */
import { executable, textFile, type NodeFile } from '../files.js';
import type { ClusterPlan, NodePlan, Phase } from '../../plan/types.js';
import { renderScript } from './template.js';

export const FIRSTBOOT_PATH = '/usr/local/sbin/kubeseed-firstboot';
export const PHASE_DIR = '/usr/local/lib/kubeseed/phases';

type PhaseRenderer = (plan: ClusterPlan, node: NodePlan) => string;

const PHASES: Partial<Record<Phase, PhaseRenderer>> = {
  preflight: (_plan, node) => renderScript('phase-preflight', { mac: node.mac, productUuid: node.productUuid ?? '' }),
  os: (_plan, node) => renderScript('phase-os', { node: node.name }),
};

/** /etc/kubeseed/hosts: the lines the os phase keeps in /etc/hosts. */
export function hostsFile(node: NodePlan): string {
  return node.hosts.map((h) => `${h.ip} ${h.names.join(' ')}\n`).join('');
}

export function firstbootFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  const common = { node: node.name, cluster: plan.name };
  return [
    executable(FIRSTBOOT_PATH, renderScript('firstboot', { ...common, phases: node.phases })),
    textFile('/usr/local/lib/kubeseed/lib.sh', renderScript('lib', common)),
    textFile('/etc/kubeseed/hosts', hostsFile(node)),
    ...node.phases.map((phase) => {
      const render = PHASES[phase];
      if (!render) throw new Error(`unreachable: plan lists phase ${phase} with no renderer`);
      return executable(`${PHASE_DIR}/${phase}.sh`, render(plan, node));
    }),
  ];
}
