/** Network config version 2: the static address on the NIC with the profile's MAC. */
import type { NodePlan } from '../../plan/types.js';
import { toYaml } from '../serialize.js';

export function networkConfigObject(node: NodePlan): Record<string, unknown> {
  const eth: Record<string, unknown> = {
    match: { macaddress: node.mac },
    'set-name': node.interface,
    addresses: [`${node.ip}/${node.prefix}`],
  };
  // `to: 0.0.0.0/0` rather than `to: default`: every cloud-init renderer (netplan, networkd,
  // eni, sysconfig) reads the explicit form.
  if (node.gateway) eth.routes = [{ to: '0.0.0.0/0', via: node.gateway }];
  if (node.dns.length > 0 || node.searchDomains.length > 0) {
    eth.nameservers = {
      ...(node.dns.length ? { addresses: [...node.dns] } : {}),
      ...(node.searchDomains.length ? { search: [...node.searchDomains] } : {}),
    };
  }
  return { version: 2, ethernets: { [node.interface]: eth } };
}

export function renderNetworkConfig(node: NodePlan): string {
  return toYaml(networkConfigObject(node));
}
