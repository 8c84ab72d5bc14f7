/**
 * Renderers of the preflight and os phase scripts: everything the templates need, decided here
 * from the plan so the templates only branch on values.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { renderScript } from '../scripts/template.js';
import { CHRONY_SOURCES } from './chrony.js';
import { HOSTS_FILE } from './hosts.js';
import { ufwPorts, ufwProtocolNote } from './firewall.js';
import { MODULES_FILE } from './modules.js';
import { networkCheck } from './network-check.js';
import { CONFLICTING_SOCKETS, CONTAINERD_SOCKET } from './preflight.js';
import { SYSCTL_FILE, SYSCTL_SETTINGS } from './sysctl.js';

/** What phases.ts's scriptCommon gives every template. */
export interface ScriptCommon {
  readonly cluster: string;
  readonly lib: string;
  readonly nodeEnv: string;
}

export function renderPreflightPhase(plan: ClusterPlan, node: NodeShape, common: ScriptCommon): string {
  return renderScript('phase-preflight', {
    ...common,
    ports: node.requiredFreePorts.map(String),
    containerdSocket: CONTAINERD_SOCKET,
    conflictingSockets: CONFLICTING_SOCKETS.map((s) => s.path),
    conflictingRuntimes: CONFLICTING_SOCKETS.map((s) => s.runtime),
    ...networkCheck(node),
  });
}

export function renderOsPhase(plan: ClusterPlan, node: NodeShape, common: ScriptCommon): string {
  const chrony = plan.os.timeSync?.chrony;
  return renderScript('phase-os', {
    ...common,
    endpointHost: plan.endpoint.host,
    endpointIp: node.role === 'etcd' ? '' : node.endpointIp,
    modulesFile: MODULES_FILE,
    sysctlFile: SYSCTL_FILE,
    sysctlKeys: SYSCTL_SETTINGS.map((s) => s.key),
    sysctlValues: SYSCTL_SETTINGS.map((s) => s.value),
    modules: node.kernelModules,
    hostsSelf: node.hostsSelf,
    hostsFile: HOSTS_FILE,
    iptablesAlternatives: plan.os.iptablesAlternatives,
    iptablesMode: plan.os.iptables,
    hasSelinux: plan.os.hasSelinux,
    selinuxMode: plan.os.selinux,
    firewall: plan.os.firewall,
    firewallPorts: [...node.firewallPorts],
    ufwPorts: ufwPorts(node.firewallPorts),
    firewallProtocols: node.firewallProtocols.map(String),
    ufwProtocolNote: node.firewallProtocols.length > 0 ? ufwProtocolNote(plan, node.firewallProtocols) : '',
    ntp: chrony !== undefined,
    ntpSources: CHRONY_SOURCES,
    chronyConf: chrony?.conf ?? '',
    chronySourcesDir: chrony?.sourcesDir ?? '',
    chronyService: chrony?.service ?? '',
  });
}
