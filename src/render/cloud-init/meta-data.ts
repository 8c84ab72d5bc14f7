/** NoCloud meta-data. The instance-id stays the same across re-compiles, so a re-seeded node
 * does not run first boot again. */
import type { NodePlan } from '../../plan/types.js';
import { toYaml } from '../serialize.js';

export function renderMetaData(node: NodePlan): string {
  return toYaml({ 'instance-id': node.instanceId, 'local-hostname': node.name });
}
