import type { ClusterPlan } from '../../plan/types.js';

/** Firewall port forms per tool: ufw writes ranges with ':' (30000:32767/tcp), firewalld with '-'. */
export function ufwPorts(ports: readonly string[]): string[] {
  return ports.map((p) => p.replace('-', ':'));
}

/**
 * What the os phase logs where ufw is active and the pod network needs an IP protocol (Calico's
 * IP-in-IP is protocol 4): ufw's rules cannot name one (its protocols are tcp, udp, ipv6, esp, ah,
 * igmp and gre), so the operator must allow it, or the pods on different nodes cannot talk.
 */
export function ufwProtocolNote(plan: ClusterPlan, protocols: readonly number[]): string {
  const who = plan.cni.plugin === 'none' ? 'the pod network' : `${plan.cni.plugin}'s ${plan.cni.encapsulation.name}`;
  const list = protocols.join(', ');
  return `WARNING: ${who} needs IP protocol ${list} between nodes, which ufw rules cannot allow: `
    + `add "-A ufw-before-input -p ${protocols[0]} -j ACCEPT" to /etc/ufw/before.rules and run ufw reload, or pods on different nodes cannot reach each other`;
}
