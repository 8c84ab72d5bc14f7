/** Renderer of the runtime phase script (template phase-runtime.sh.hbs). */
import type { ClusterPlan } from '../../plan/types.js';
import type { ScriptCommon } from '../os/phases.js';
import { renderScript } from '../scripts/template.js';
import { CONTAINERD_CONFIG, CONTAINERD_DROP_IN } from './files.js';
import { socketPath } from './v2.js';

export function renderRuntimePhase(plan: ClusterPlan, common: ScriptCommon): string {
  return renderScript('phase-runtime', {
    ...common,
    config: CONTAINERD_CONFIG,
    dropIn: plan.containerd.execStartDropIn ? CONTAINERD_DROP_IN : '',
    configVersion: plan.containerd.configVersion,
    socket: socketPath(plan.containerd.socket),
    sandboxImage: plan.containerd.sandboxImage,
    cgroupDriver: plan.kubernetes.cgroupDriver,
  });
}
