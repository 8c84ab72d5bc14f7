/**
 * The static address of an Ignition-booted node, as files for the daemon the plan names:
 * systemd-networkd units on Flatcar, a NetworkManager keyfile on Fedora CoreOS. Ignition writes
 * them before either daemon starts, so nothing has to be reloaded.
 *
 * The address is bound to the NIC by MAC, never by name, so it comes up even where the
 * rename below does not take. The .link file gives the NIC the profile's interface name, as
 * `set-name` does in the cloud-init network-config; udev reads it on both families.
 */
import type { NodePlan, OsPlan } from '../../plan/types.js';
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

/** NetworkManager ignores keyfiles that are not root-owned 0600. */
function keyfile(node: NodePlan): NodeFile {
  const ipv4: [string, string][] = [
    ['method', 'manual'],
    // address1=ADDRESS/PREFIX[,GATEWAY]
    ['address1', node.gateway ? `${node.ip}/${node.prefix},${node.gateway}` : `${node.ip}/${node.prefix}`],
  ];
  if (node.dns.length) ipv4.push(['dns', `${node.dns.join(';')};`]);
  if (node.searchDomains.length) ipv4.push(['dns-search', `${node.searchDomains.join(';')};`]);
  // network-online.target (which the first-boot units wait for) then means this address is up.
  ipv4.push(['may-fail', 'false']);
  return textFile(`${NM_DIR}/${node.interface}.nmconnection`, renderUnit([
    { name: 'connection', entries: [['id', node.interface], ['type', 'ethernet'], ['autoconnect', 'true']] },
    { name: 'ethernet', entries: [['mac-address', node.mac]] },
    { name: 'ipv4', entries: ipv4 },
    // The profile is IPv4-only: leave IPv6 to the kernel, as the networkd unit does.
    { name: 'ipv6', entries: [['method', 'ignore']] },
  ]), 0o600);
}

export function networkFiles(os: OsPlan, node: NodePlan): NodeFile[] {
  switch (os.network) {
    case 'networkd':
      return [linkFile(node), networkdFile(node)];
    case 'networkmanager':
      return [linkFile(node), keyfile(node)];
  }
}
