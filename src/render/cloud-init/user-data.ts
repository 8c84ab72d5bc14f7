/**
 * #cloud-config user-data: built as an object, written by the one YAML stringifier.
 * cloud-init lays down every file with write_files (secret ones staged, see render/secrets/), then
 * runcmd runs the first-boot script.
 */
import { gzipSync } from 'node:zlib';
import type { ClusterPlan, NodePlan } from '../../plan/types.js';
import type { NodeFile } from '../files.js';
import { toYaml } from '../serialize.js';
import { firstbootPath } from '../scripts/phases.js';

/**
 * Each file's write_files entry, made once per NodeFile and frozen: nodes of one shape share
 * their NodeFile objects (render/node.ts), and toYaml keeps a frozen entry's text, so a
 * thousand workers have their scripts written out once.
 */
const entries = new WeakMap<NodeFile, Readonly<Record<string, string>>>();

function writeFile(f: NodeFile): Readonly<Record<string, string>> {
  let entry = entries.get(f);
  if (entry) return entry;
  const binary = typeof f.content !== 'string';
  // zlib writes no name and a zero time into the gzip header: the same file gives the same bytes.
  const body: Record<string, string> = f.gzip
    ? { encoding: 'gz+b64', content: gzipSync(f.content, { level: 9 }).toString('base64') }
    : binary ? { encoding: 'b64', content: Buffer.from(f.content).toString('base64') } : { content: f.content as string };
  entry = Object.freeze({
    path: f.path,
    owner: 'root:root',
    permissions: `0${f.mode.toString(8)}`,
    ...body,
  });
  entries.set(f, entry);
  return entry;
}

export function renderUserData(plan: ClusterPlan, node: NodePlan, files: readonly NodeFile[]): string {
  const user: Record<string, unknown> = {
    name: plan.access.user,
    shell: '/bin/bash',
    lock_passwd: true,
    sudo: 'ALL=(ALL) NOPASSWD:ALL',
  };
  if (plan.access.sshAuthorizedKeys.length > 0) user.ssh_authorized_keys = [...plan.access.sshAuthorizedKeys];
  // Staged secret files go under a directory only root may enter, made before write_files runs
  // (bootcmd precedes it in every distribution's cloud.cfg): write_files creates a file, fills
  // it, and only then sets its mode.
  const staged = files.some((f) => f.path.startsWith(`${plan.secretStaging}/`));
  const config = {
    hostname: node.name,
    preserve_hostname: false,
    // The os phase keeps its own block in /etc/hosts; cloud-init's template would rewrite the file.
    manage_etc_hosts: false,
    users: ['default', user],
    ...(staged ? { bootcmd: [['install', '-d', '-m', '0700', plan.secretStaging]] } : {}),
    write_files: files.map(writeFile),
    // The list form runs without a shell, so nothing in it is word-split or expanded.
    runcmd: [[firstbootPath(plan)]],
  };
  return toYaml(config, { header: '#cloud-config' });
}
