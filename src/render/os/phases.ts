/**
 * Renderers of the preflight and os phase scripts: everything the templates need, decided here
 * from the plan so the templates only branch on values.
 */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { renderScript } from '../scripts/template.js';
import { CHRONY, CHRONY_SOURCES } from './chrony.js';
import { ufwPorts } from './firewall.js';
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

/** Debian and Ubuntu switch iptables backends with update-alternatives; RHEL 8/9 ship nft only. */
function usesIptablesAlternatives(plan: ClusterPlan): boolean {
  return plan.os.family === 'ubuntu' || plan.os.family === 'debian';
}

export function renderOsPhase(plan: ClusterPlan, node: NodeShape, common: ScriptCommon): string {
  const chrony = CHRONY[plan.os.family];
  const ntp = plan.os.ntpServers.length > 0 && chrony !== null;
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
    iptablesAlternatives: usesIptablesAlternatives(plan),
    iptablesMode: plan.os.iptables,
    hasSelinux: plan.os.hasSelinux,
    selinuxMode: plan.os.selinux,
    firewall: plan.os.firewall,
    firewallPorts: [...node.firewallPorts],
    ufwPorts: ufwPorts(node.firewallPorts),
    packageManager: plan.os.packageManager,
    packages: [...plan.os.packages],
    artifactsSource: plan.artifacts.source,
    ntp,
    ntpSources: CHRONY_SOURCES,
    chronyConf: chrony?.conf ?? '',
    chronySourcesDir: chrony?.sourcesDir ?? '',
    chronyService: chrony?.service ?? '',
  });
}
