/**
 * The OS-preparation files a node receives: sysctl and modules-load.d drop-ins, and the NTP
 * servers the os phase hands to chrony. The os phase applies them on first boot.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { CHRONY_SOURCES, chronySourcesText } from './chrony.js';
import { MODULES_FILE, modulesLoadText } from './modules.js';
import { SYSCTL_FILE, sysctlText } from './sysctl.js';

export function osFiles(plan: ClusterPlan, node: NodeShape): NodeFile[] {
  const ntp = plan.os.timeSync;
  return [
    textFile(SYSCTL_FILE, sysctlText()),
    textFile(MODULES_FILE, modulesLoadText(node.kernelModules)),
    ...(ntp ? [textFile(CHRONY_SOURCES, chronySourcesText(ntp.servers))] : []),
  ];
}
