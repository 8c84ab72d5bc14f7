/**
 * A node's interfaces: the plain NIC of `mac`, bonds of NICs picked by MAC, VLANs on either,
 * their MTUs, and the interface that carries the node's address. Decided here once; every
 * renderer (network-config, networkd units, NetworkManager keyfiles, the preflight checks)
 * writes the same set. Validation (profile/validate.ts) has rejected what this cannot build.
 */
import type { Profile, ProfileNode } from '../profile/schema/v1alpha1.js';
import type { InterfacePlan, NicPlan, Origin } from './types.js';

/** The kernel's MTU for an Ethernet device the configuration gives none. */
export const DEFAULT_MTU = 1500;

/** The name of the interface a node's plain NIC gets when the profile names none. */
export const DEFAULT_INTERFACE = 'eth0';

/**
 * A bond member's name on the node. Members are given by MAC, and every cloud-init renderer but
 * netplan names an interface after its network-config key (cloud-init renames the NIC to it by
 * MAC), so each member needs a name; this one is stable and says which bond it belongs to.
 */
export function memberName(bond: string, index: number): string {
  return `${bond}p${index}`;
}

/** ifupdown creates a VLAN from a name `<link>.<id>` by itself, so the name is always that. */
export function vlanName(link: string, id: number): string {
  return `${link}.${id}`;
}

export interface NodeNetwork {
  readonly mac: string;
  readonly interface: string;
  readonly mtu: number;
  readonly interfaces: readonly InterfacePlan[];
  readonly nics: readonly NicPlan[];
  readonly origins: Readonly<Record<string, Origin>>;
}

export function nodeNetwork(
  node: ProfileNode,
  i: number,
  network: Profile['spec']['network'],
  origin: (path: string) => Origin,
): NodeNetwork {
  const nodeMtu = node.mtu ?? network.mtu;
  const withMtu = (mtu: number | undefined) => (mtu === undefined ? {} : { mtu });
  const ethernets: InterfacePlan[] = [];
  const nics: NicPlan[] = [];
  const bonds: InterfacePlan[] = [];
  const vlans: InterfacePlan[] = [];
  if (node.mac !== undefined) {
    const name = node.interface ?? DEFAULT_INTERFACE;
    ethernets.push({ kind: 'ethernet', name, ...withMtu(nodeMtu) });
    nics.push({ name, mac: node.mac });
  }
  for (const b of node.bonds ?? []) {
    const members = b.members.map((_, k) => memberName(b.name, k));
    b.members.forEach((mac, k) => {
      ethernets.push({ kind: 'ethernet', name: members[k]!, ...withMtu(nodeMtu), bond: b.name });
      nics.push({ name: members[k]!, mac });
    });
    const mode = b.mode ?? network.bond.mode;
    const lacpRate = b.lacpRate ?? (mode === '802.3ad' ? network.bond.lacpRate : undefined);
    const hash = b.transmitHashPolicy ?? (mode === 'active-backup' ? undefined : network.bond.transmitHashPolicy);
    bonds.push({
      kind: 'bond',
      name: b.name,
      ...withMtu(nodeMtu),
      members,
      mode,
      miimon: b.miimon ?? network.bond.miimon,
      ...(lacpRate ? { lacpRate } : {}),
      ...(hash ? { transmitHashPolicy: hash } : {}),
    });
  }
  for (const v of node.vlans ?? []) {
    vlans.push({ kind: 'vlan', name: vlanName(v.link, v.id), ...withMtu(v.mtu ?? nodeMtu), id: v.id, link: v.link });
  }
  const interfaces = [...ethernets, ...bonds, ...vlans];
  // Without bonds and VLANs the plain NIC carries the address, as it always has.
  const primary = node.addressOn ?? node.interface ?? DEFAULT_INTERFACE;
  const carrier = interfaces.find((x) => x.name === primary);
  if (!carrier) throw new Error(`unreachable: validation rejects spec.nodes[${i}].addressOn ${primary}`);
  const mtuFrom = node.vlans?.some((v) => vlanName(v.link, v.id) === primary && v.mtu !== undefined)
    ? `spec.nodes[${i}].vlans`
    : node.mtu !== undefined ? `spec.nodes[${i}].mtu` : 'spec.network.mtu';
  return {
    mac: nics[0]!.mac,
    interface: primary,
    mtu: carrier.mtu ?? DEFAULT_MTU,
    interfaces,
    nics,
    origins: {
      interface: origin(node.addressOn !== undefined ? `spec.nodes[${i}].addressOn` : `spec.nodes[${i}].interface`),
      mtu: origin(mtuFrom),
    },
  };
}
