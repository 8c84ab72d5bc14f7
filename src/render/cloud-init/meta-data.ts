/** NoCloud meta-data. The instance-id stays the same across re-compiles, so a re-seeded node
 * does not run first boot again. */
import type { NodePlan } from '../../plan/types.js';
import { toYaml } from '../serialize.js';

export function renderMetaData(node: NodePlan): string {
  return toYaml({ 'instance-id': node.instanceId, 'local-hostname': node.name });
}

/**
 * The meta-data vSphere's guestinfo carries (cloud-init's VMware datasource). With `redact`,
 * cloud-init overwrites guestinfo.userdata with "---" as soon as it has read it: any process in
 * the guest can read guestinfo through VMware Tools, and a user-data that stages secrets must not
 * stay readable there.
 */
export function renderGuestinfoMetaData(node: NodePlan, redactUserData: boolean): string {
  return toYaml({ 'instance-id': node.instanceId, 'local-hostname': node.name, ...(redactUserData ? { redact: ['userdata'] } : {}) });
}
