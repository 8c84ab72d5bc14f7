/**
 * The containerd files a node receives: config.toml in the config version the plan picked from
 * the containerd version, and one hosts.toml per mirror. The runtime phase restarts containerd
 * when config.toml changes; hosts.toml is re-read by containerd on every pull.
 */
import type { ClusterPlan } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { toToml } from '../serialize.js';
import { hostsToml, hostsTomlPath } from './hosts.js';
import { configV2 } from './v2.js';
import { configV3 } from './v3.js';

export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';

export function containerdConfigText(plan: ClusterPlan): string {
  const c = plan.containerd;
  const config = c.configVersion === 3 ? configV3(c) : configV2(c);
  const header = `# kubeseed: containerd ${c.version}, config version ${c.configVersion}. The runtime phase restarts containerd when this file changes.\n`;
  return header + toToml(config as unknown as Record<string, unknown>);
}

export function containerdFiles(plan: ClusterPlan): NodeFile[] {
  const c = plan.containerd;
  return [
    textFile(CONTAINERD_CONFIG, containerdConfigText(plan)),
    ...c.mirrors.map((m) => textFile(hostsTomlPath(c, m), toToml(hostsToml(m) as unknown as Record<string, unknown>))),
  ];
}
