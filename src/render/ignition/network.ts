/**
 * The static address of an Ignition-booted node, as files for the daemon the plan names:
 * systemd-networkd units on Flatcar, a NetworkManager keyfile on Fedora CoreOS. Ignition writes
 * them before either daemon starts, so nothing has to be reloaded.
 *
 * The address is bound to the NIC by MAC, never by name, so it comes up even where the
 * rename below does not take. The .link file gives the NIC the profile's interface name, as
 * `set-name` does in the cloud-init network-config; udev reads it on both families.
 */
import { createHash } from 'node:crypto';
import type { ClusterPlan, NodePlan } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { renderUnit } from './units.js';

const NETWORKD_DIR = '/etc/systemd/network';
const NM_DIR = '/etc/NetworkManager/system-connections';

function linkFile(node: NodePlan): NodeFile {
  return textFile(`${NETWORKD_DIR}/10-${node.interface}.link`, renderUnit([
    { name: 'Match', entries: [['MACAddress', node.mac]] },
    { name: 'Link', entries: [['Name', node.interface]] },
  ]));
}

function networkdFile(node: NodePlan): NodeFile {
  const net: [string, string][] = [['Address', `${node.ip}/${node.prefix}`]];
  if (node.gateway) net.push(['Gateway', node.gateway]);
  for (const dns of node.dns) net.push(['DNS', dns]);
  if (node.searchDomains.length) net.push(['Domains', node.searchDomains.join(' ')]);
  return textFile(`${NETWORKD_DIR}/10-${node.interface}.network`, renderUnit([
    { name: 'Match', entries: [['MACAddress', node.mac]] },
    { name: 'Network', entries: net },
  ]));
}

/** RFC 4122 version 5 (SHA-1, name-based) UUID: the same name always gives the same UUID. */
export function nameUuid(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** RFC 4122's URL namespace; the names below are kubeseed: URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * NetworkManager ignores keyfiles that are not root-owned 0600. Keys are in the order
 * NetworkManager itself writes them, so its own reader gives this file back unchanged; the
 * uuid is derived from cluster, node and interface, so recompiling does not change it.
 */
function keyfile(plan: ClusterPlan, node: NodePlan): NodeFile {
  // address1=ADDRESS/PREFIX[,GATEWAY]
  const ipv4: [string, string][] = [['address1', node.gateway ? `${node.ip}/${node.prefix},${node.gateway}` : `${node.ip}/${node.prefix}`]];
  if (node.dns.length) ipv4.push(['dns', `${node.dns.join(';')};`]);
  if (node.searchDomains.length) ipv4.push(['dns-search', `${node.searchDomains.join(';')};`]);
  // network-online.target (which the first-boot units wait for) then means this address is up.
  ipv4.push(['may-fail', 'false'], ['method', 'manual']);
  const uuid = nameUuid(URL_NAMESPACE, `kubeseed:${plan.name}/${node.name}/${node.interface}`);
  return textFile(`${NM_DIR}/${node.interface}.nmconnection`, renderUnit([
    { name: 'connection', entries: [['id', node.interface], ['uuid', uuid], ['type', 'ethernet']] },
    // Upper case, as NetworkManager writes MACs (it reads either).
    { name: 'ethernet', entries: [['mac-address', node.mac.toUpperCase()]] },
    { name: 'ipv4', entries: ipv4 },
    // The profile is IPv4-only: leave IPv6 to the kernel, as the networkd unit does.
    { name: 'ipv6', entries: [['method', 'ignore']] },
  ]), 0o600);
}

export function networkFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  switch (plan.os.network) {
    case 'networkd':
      return [linkFile(node), networkdFile(node)];
    case 'networkmanager':
      return [linkFile(node), keyfile(plan, node)];
  }
}
