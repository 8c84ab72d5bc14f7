/**
 * The containerd files a node receives: config.toml in the config version the plan picked from
 * the containerd version, one hosts.toml per mirror, and where the OS's unit names its own
 * config file, the drop-in that makes it read ours. The runtime phase restarts containerd when
 * config.toml or the drop-in changes; hosts.toml is re-read by containerd on every pull.
 */
import type { ClusterPlan } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { toToml } from '../serialize.js';
import { renderUnit } from '../systemd/unit.js';
import { hostsToml, hostsTomlPath } from './hosts.js';
import { configV2 } from './v2.js';
import { configV3 } from './v3.js';

export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
/** The drop-in that makes an OS's own containerd.service read CONTAINERD_CONFIG (the name Flatcar's documentation uses). */
export const CONTAINERD_DROP_IN = '/etc/systemd/system/containerd.service.d/10-use-custom-config.conf';

/**
 * An empty ExecStart= clears the unit's command, then containerd starts without --config and
 * reads its default, /etc/containerd/config.toml (Flatcar docs, "Customizing Docker").
 */
export function containerdDropIn(): string {
  return renderUnit({
    comment: ['kubeseed: containerd reads /etc/containerd/config.toml, not the OS\'s own configuration.'],
    Service: { ExecStart: ['', '/usr/bin/containerd'] },
  });
}

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
    ...(c.execStartDropIn ? [textFile(CONTAINERD_DROP_IN, containerdDropIn())] : []),
    ...c.mirrors.map((m) => textFile(hostsTomlPath(c, m), toToml(hostsToml(m) as unknown as Record<string, unknown>))),
  ];
}
