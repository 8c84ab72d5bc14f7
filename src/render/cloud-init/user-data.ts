/**
 * #cloud-config user-data: built as an object, written by the one YAML stringifier.
 * cloud-init lays down every file with write_files, then runcmd runs the first-boot script.
 */
import type { ClusterPlan, NodePlan } from '../../plan/types.js';
import type { NodeFile } from '../files.js';
import { toYaml } from '../serialize.js';
import { firstbootPath } from '../scripts/phases.js';

function writeFile(f: NodeFile): Record<string, unknown> {
  const binary = typeof f.content !== 'string';
  return {
    path: f.path,
    owner: 'root:root',
    permissions: `0${f.mode.toString(8)}`,
    ...(binary ? { encoding: 'b64', content: Buffer.from(f.content).toString('base64') } : { content: f.content }),
  };
}

export function renderUserData(plan: ClusterPlan, node: NodePlan, files: readonly NodeFile[]): string {
  const user: Record<string, unknown> = {
    name: plan.access.user,
    shell: '/bin/bash',
    lock_passwd: true,
    sudo: 'ALL=(ALL) NOPASSWD:ALL',
  };
  if (plan.access.sshAuthorizedKeys.length > 0) user.ssh_authorized_keys = [...plan.access.sshAuthorizedKeys];
  const config = {
    hostname: node.name,
    preserve_hostname: false,
    // The os phase keeps its own block in /etc/hosts; cloud-init's template would rewrite the file.
    manage_etc_hosts: false,
    users: ['default', user],
    write_files: files.map(writeFile),
    // The list form runs without a shell, so nothing in it is word-split or expanded.
    runcmd: [[firstbootPath(plan)]],
  };
  return toYaml(config, { header: '#cloud-config' });
}
