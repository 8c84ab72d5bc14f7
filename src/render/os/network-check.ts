/**
 * What the preflight phase checks of the node's network, after cloud-init (or Ignition) has
 * configured it: each NIC by its permanent MAC, each bond member in its bond, each bond's mode,
 * each VLAN's id and link, the MTUs the profile sets, the address on the interface the plan names,
 * and the default route through the profile's gateway (added when the renderer left it out).
 * Names and settings come from the node's shape; the MACs, address and gateway from node.env.
 */
import type { NodeShape } from '../../plan/types.js';

export interface NetworkCheck {
  /** The interface that must carry the node's address and the default route. */
  readonly netIface: string;
  /** `NIC=BOND` for every bond member. */
  readonly netMembers: readonly string[];
  readonly netBonds: readonly string[];
  /** The kernel's name of each bond's mode, as /sys/class/net/<bond>/bonding/mode starts. */
  readonly netBondModes: readonly string[];
  readonly netVlans: readonly string[];
  readonly netVlanIds: readonly string[];
  readonly netVlanLinks: readonly string[];
  /** Interfaces whose MTU the profile sets, and those MTUs. */
  readonly netMtuIfaces: readonly string[];
  readonly netMtus: readonly string[];
}

export function networkCheck(node: NodeShape): NetworkCheck {
  const bonds = node.interfaces.flatMap((x) => (x.kind === 'bond' ? [x] : []));
  const vlans = node.interfaces.flatMap((x) => (x.kind === 'vlan' ? [x] : []));
  const withMtu = node.interfaces.flatMap((x) => (x.mtu === undefined ? [] : [{ name: x.name, mtu: x.mtu }]));
  return {
    netIface: node.interface,
    netMembers: bonds.flatMap((b) => b.members.map((m) => `${m}=${b.name}`)),
    netBonds: bonds.map((b) => b.name),
    netBondModes: bonds.map((b) => b.mode),
    netVlans: vlans.map((v) => v.name),
    netVlanIds: vlans.map((v) => String(v.id)),
    netVlanLinks: vlans.map((v) => v.link),
    netMtuIfaces: withMtu.map((x) => x.name),
    netMtus: withMtu.map((x) => String(x.mtu)),
  };
}
