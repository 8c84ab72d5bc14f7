/**
 * The network of an Ignition-booted node, as files for the daemon the plan names:
 * systemd-networkd units on Flatcar, NetworkManager keyfiles on Fedora CoreOS. Ignition writes
 * them before either daemon starts, so nothing has to be reloaded. Both get the plan's interface
 * set: NICs, bonds of NICs, VLANs, MTUs, and the address on the interface the plan names.
 *
 * A NIC is bound by MAC, never by name, so it comes up even where the rename below does not
 * take. The .link file gives the NIC its name from the plan, as `set-name` does in the cloud-init
 * network-config; udev reads it on both families. A bond member is matched by its *permanent*
 * MAC: once enslaved, every member of an active-backup or 802.3ad bond carries the bond's MAC,
 * which is the first member's, so a match on the current MAC would pick the wrong NIC after a
 * udev re-trigger or a networkd restart. (The plain NIC keeps the MACAddress match it always had.)
 */
import { createHash } from 'node:crypto';
import type { ClusterPlan, InterfacePlan, NodePlan } from '../../plan/types.js';
import { textFile, type NodeFile } from '../files.js';
import { renderUnit, type UnitSection } from './units.js';

const NETWORKD_DIR = '/etc/systemd/network';
const NM_DIR = '/etc/NetworkManager/system-connections';

type Entries = [string, string][];
type Bond = Extract<InterfacePlan, { kind: 'bond' }>;

function macOf(node: NodePlan, name: string): string {
  const nic = node.nics.find((n) => n.name === name);
  if (!nic) throw new Error(`unreachable: NIC ${name} of ${node.name} has no MAC in the plan`);
  return nic.mac;
}

function macMatch(node: NodePlan, x: InterfacePlan): [string, string] {
  return [x.kind === 'ethernet' && x.bond ? 'PermanentMACAddress' : 'MACAddress', macOf(node, x.name)];
}

function linkFile(node: NodePlan, x: InterfacePlan): NodeFile {
  return textFile(`${NETWORKD_DIR}/10-${x.name}.link`, renderUnit([
    { name: 'Match', entries: [macMatch(node, x)] },
    { name: 'Link', entries: [['Name', x.name]] },
  ]));
}

/** networkd's file prefix per kind: links come before what rides on them. */
const NETWORKD_ORDER = { ethernet: '10', bond: '20', vlan: '30' } as const;

function networkdAddressing(node: NodePlan): Entries {
  const net: Entries = [['Address', `${node.ip}/${node.prefix}`]];
  if (node.gateway) net.push(['Gateway', node.gateway]);
  for (const dns of node.dns) net.push(['DNS', dns]);
  if (node.searchDomains.length) net.push(['Domains', node.searchDomains.join(' ')]);
  return net;
}

function networkdNetwork(node: NodePlan, x: InterfacePlan): NodeFile {
  const primary = x.name === node.interface;
  const link: Entries = [];
  if (x.mtu !== undefined) link.push(['MTUBytes', String(x.mtu)]);
  // network-online.target (the first-boot units wait for it) waits for the address; a second
  // bond member may have no cable, and must not hold first boot up until the wait times out.
  if (!primary) link.push(['RequiredForOnline', 'no']);
  const net: Entries = primary ? networkdAddressing(node) : [];
  if (x.kind === 'ethernet' && x.bond) net.push(['Bond', x.bond]);
  for (const v of node.interfaces) if (v.kind === 'vlan' && v.link === x.name) net.push(['VLAN', v.name]);
  // Nothing else to say: no DHCP (Flatcar's catch-all zz-default.network would otherwise ask).
  if (net.length === 0) net.push(['DHCP', 'no']);
  const sections: UnitSection[] = [
    { name: 'Match', entries: [x.kind === 'ethernet' ? macMatch(node, x) : ['Name', x.name]] },
    ...(link.length ? [{ name: 'Link', entries: link }] : []),
    { name: 'Network', entries: net },
  ];
  return textFile(`${NETWORKD_DIR}/${NETWORKD_ORDER[x.kind]}-${x.name}.network`, renderUnit(sections));
}

/** networkd takes MIIMonitorSec as a time span; the plan holds milliseconds. */
function networkdBond(b: Bond): Entries {
  return [
    ['Mode', b.mode],
    ['MIIMonitorSec', `${b.miimon}ms`],
    ...(b.lacpRate ? [['LACPTransmitRate', b.lacpRate] as [string, string]] : []),
    ...(b.transmitHashPolicy ? [['TransmitHashPolicy', b.transmitHashPolicy] as [string, string]] : []),
  ];
}

function netdevFile(x: Exclude<InterfacePlan, { kind: 'ethernet' }>): NodeFile {
  const sections: UnitSection[] = x.kind === 'bond'
    ? [{ name: 'NetDev', entries: [['Name', x.name], ['Kind', 'bond']] }, { name: 'Bond', entries: networkdBond(x) }]
    : [{ name: 'NetDev', entries: [['Name', x.name], ['Kind', 'vlan']] }, { name: 'VLAN', entries: [['Id', String(x.id)]] }];
  return textFile(`${NETWORKD_DIR}/${NETWORKD_ORDER[x.kind]}-${x.name}.netdev`, renderUnit(sections));
}

function networkdFiles(node: NodePlan): NodeFile[] {
  return node.interfaces.flatMap((x) => [
    ...(x.kind === 'ethernet' ? [linkFile(node, x)] : [netdevFile(x)]),
    networkdNetwork(node, x),
  ]);
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

const NM_TYPE = { ethernet: 'ethernet', bond: 'bond', vlan: 'vlan' } as const;

function nmIpv4(node: NodePlan, primary: boolean): Entries {
  if (!primary) return [['method', 'disabled']];
  // address1=ADDRESS/PREFIX[,GATEWAY]
  const ipv4: Entries = [['address1', node.gateway ? `${node.ip}/${node.prefix},${node.gateway}` : `${node.ip}/${node.prefix}`]];
  if (node.dns.length) ipv4.push(['dns', `${node.dns.join(';')};`]);
  if (node.searchDomains.length) ipv4.push(['dns-search', `${node.searchDomains.join(';')};`]);
  // network-online.target (which the first-boot units wait for) then means this address is up.
  ipv4.push(['may-fail', 'false'], ['method', 'manual']);
  return ipv4;
}

/** NetworkManager's bond option names are the kernel's (sysfs) names. */
function nmBond(b: Bond): Entries {
  const opts: Entries = [['miimon', String(b.miimon)], ['mode', b.mode]];
  if (b.lacpRate) opts.push(['lacp_rate', b.lacpRate]);
  if (b.transmitHashPolicy) opts.push(['xmit_hash_policy', b.transmitHashPolicy]);
  // In the order NetworkManager writes them: by name.
  return opts.sort(([a], [b2]) => (a < b2 ? -1 : 1));
}

/**
 * NetworkManager ignores keyfiles that are not root-owned 0600. Keys are in the order
 * NetworkManager itself writes them, so its own reader gives each file back unchanged; the
 * uuid is derived from cluster, node and interface, so recompiling does not change it.
 */
function keyfile(plan: ClusterPlan, node: NodePlan, x: InterfacePlan): NodeFile {
  const primary = x.name === node.interface;
  const member = x.kind === 'ethernet' ? x.bond : undefined;
  const connection: Entries = [['id', x.name], ['uuid', nameUuid(URL_NAMESPACE, `kubeseed:${plan.name}/${node.name}/${x.name}`)], ['type', NM_TYPE[x.kind]]];
  // NICs are bound by MAC below; bonds and VLANs are created under their own names.
  if (x.kind !== 'ethernet') connection.push(['interface-name', x.name]);
  if (member) connection.push(['master', member], ['slave-type', 'bond']);
  const ethernet: Entries = [];
  // Upper case, as NetworkManager writes MACs (it reads either).
  if (x.kind === 'ethernet') ethernet.push(['mac-address', macOf(node, x.name).toUpperCase()]);
  if (x.mtu !== undefined) ethernet.push(['mtu', String(x.mtu)]);
  const sections: UnitSection[] = [
    { name: 'connection', entries: connection },
    ...(ethernet.length ? [{ name: 'ethernet', entries: ethernet }] : []),
    ...(x.kind === 'bond' ? [{ name: 'bond', entries: nmBond(x) }] : []),
    // flags=1 (reorder headers) is NetworkManager's default, which it writes out.
    ...(x.kind === 'vlan' ? [{ name: 'vlan', entries: [['flags', '1'], ['id', String(x.id)], ['parent', x.link]] as Entries }] : []),
    // A bond member has no addresses of its own (NetworkManager refuses IP settings on one),
    // and an empty [bond-port] section, which NetworkManager adds to every port it reads.
    ...(member ? [{ name: 'bond-port', entries: [] }] : [
      { name: 'ipv4', entries: nmIpv4(node, primary) },
      // The profile is IPv4-only: leave IPv6 to the kernel, as the networkd unit does.
      { name: 'ipv6', entries: [['method', 'ignore']] as Entries },
    ]),
  ];
  return textFile(`${NM_DIR}/${x.name}.nmconnection`, renderUnit(sections), 0o600);
}

function networkManagerFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  return node.interfaces.flatMap((x) => [...(x.kind === 'ethernet' ? [linkFile(node, x)] : []), keyfile(plan, node, x)]);
}

export function networkFiles(plan: ClusterPlan, node: NodePlan): NodeFile[] {
  switch (plan.os.network) {
    case 'networkd':
      return networkdFiles(node);
    case 'networkmanager':
      return networkManagerFiles(plan, node);
  }
}
