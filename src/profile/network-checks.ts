/**
 * Whole-profile checks of node networking the schema cannot make: every NIC's MAC unique across
 * the cluster (plain NICs and bond members alike), interface names unique and short enough for
 * the kernel, VLANs on links that exist, MTUs that fit, bond options that fit the bond's mode,
 * and an interface named to carry the node's address. Pure: diagnostics with profile paths.
 */
import { DEFAULT_INTERFACE, DEFAULT_MTU, memberName, vlanName } from '../plan/network.js';
import { error, formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';
import type { Profile, ProfileNode } from './schema/v1alpha1.js';

/** IFNAMSIZ is 16 with the terminating NUL: the kernel refuses longer interface names. */
const IFNAME_MAX = 15;

function uniqueMacs(profile: Profile): Diagnostic[] {
  const first = new Map<string, string>();
  const out: Diagnostic[] = [];
  const see = (path: PathSegment[], mac: string): void => {
    const seen = first.get(mac);
    if (seen === undefined) first.set(mac, formatPath(path));
    else out.push(error('duplicate-mac', path, `duplicate of ${seen}`));
  };
  profile.spec.nodes.forEach((node, i) => {
    if (node.mac !== undefined) see(['spec', 'nodes', i, 'mac'], node.mac);
    node.bonds?.forEach((b, j) => b.members.forEach((m, k) => see(['spec', 'nodes', i, 'bonds', j, 'members', k], m)));
  });
  return out;
}

function tooLong(path: PathSegment[], name: string): Diagnostic[] {
  return name.length > IFNAME_MAX
    ? [error('interface-name-too-long', path, `interface name ${name} has ${name.length} characters; the kernel allows at most ${IFNAME_MAX}`)]
    : [];
}

function nodeChecks(node: ProfileNode, i: number, network: Profile['spec']['network']): Diagnostic[] {
  const at = (...p: PathSegment[]): PathSegment[] => ['spec', 'nodes', i, ...p];
  const out: Diagnostic[] = [];
  const bonds = node.bonds ?? [];
  const vlans = node.vlans ?? [];
  const nodeMtu = node.mtu ?? network.mtu ?? DEFAULT_MTU;
  /** Interface name → what defines it, for duplicates and VLAN links. */
  const defined = new Map<string, { path: string; kind: 'nic' | 'member' | 'bond' | 'vlan'; mtu: number }>();
  const define = (path: PathSegment[], name: string, kind: 'nic' | 'member' | 'bond' | 'vlan', mtu: number): void => {
    const prev = defined.get(name);
    if (prev) out.push(error('duplicate-interface', path, `interface ${name} is already defined by ${prev.path}`));
    else defined.set(name, { path: formatPath(path), kind, mtu });
  };

  if (node.mac === undefined && bonds.length === 0) out.push(error('nic-missing', at('mac'), 'required (the MAC of the node\'s NIC) unless the node has bonds'));
  if (node.mac === undefined && node.interface !== undefined) out.push(error('interface-without-nic', at('interface'), 'names the NIC of mac, and this node has no mac'));
  if (node.mac !== undefined) {
    const name = node.interface ?? DEFAULT_INTERFACE;
    out.push(...tooLong(at('interface'), name));
    define(at('interface'), name, 'nic', nodeMtu);
  }
  bonds.forEach((b, j) => {
    // The longest member name is the one with the highest index.
    out.push(...tooLong(at('bonds', j, 'name'), memberName(b.name, b.members.length - 1)));
    define(at('bonds', j, 'name'), b.name, 'bond', nodeMtu);
    b.members.forEach((_, k) => define(at('bonds', j, 'members', k), memberName(b.name, k), 'member', nodeMtu));
    const mode = b.mode ?? network.bond.mode;
    if (b.lacpRate !== undefined && mode !== '802.3ad') {
      out.push(error('bond-option-mode', at('bonds', j, 'lacpRate'), `only 802.3ad bonds negotiate LACP; this bond's mode is ${mode}`));
    }
    if (b.transmitHashPolicy !== undefined && mode === 'active-backup') {
      out.push(error('bond-option-mode', at('bonds', j, 'transmitHashPolicy'), 'an active-backup bond sends on one NIC at a time and hashes nothing'));
    }
  });
  vlans.forEach((v, j) => {
    const link = defined.get(v.link);
    if (!link || (link.kind !== 'nic' && link.kind !== 'bond')) {
      const links = [...defined].filter(([, d]) => d.kind === 'nic' || d.kind === 'bond').map(([n]) => n);
      out.push(error('vlan-link-missing', at('vlans', j, 'link'),
        `no NIC or bond named ${v.link} on this node${link ? ` (${v.link} is a bond member; put the VLAN on its bond)` : ''} (links: ${links.join(', ') || 'none'})`));
    }
    const name = vlanName(v.link, v.id);
    out.push(...tooLong(at('vlans', j, 'id'), name));
    const linkMtu = link?.mtu ?? nodeMtu;
    if (v.mtu !== undefined && v.mtu > linkMtu) {
      out.push(error('vlan-mtu', at('vlans', j, 'mtu'), `${v.mtu} is larger than the MTU of its link ${v.link} (${linkMtu})`));
    }
    // Defined even on a missing link, so addressOn naming it is not reported twice.
    define(at('vlans', j, 'id'), name, 'vlan', v.mtu ?? linkMtu);
  });

  const carriers = [...defined].filter(([, d]) => d.kind !== 'member').map(([n]) => n);
  if (node.addressOn === undefined) {
    if (bonds.length > 0 || vlans.length > 0) {
      out.push(error('address-interface-missing', at('addressOn'), `required when the node has bonds or VLANs: the interface that carries ip and the default route (one of ${carriers.join(', ')})`));
    }
  } else if (!carriers.includes(node.addressOn)) {
    const member = defined.get(node.addressOn)?.kind === 'member';
    out.push(error('address-interface-unknown', at('addressOn'), `${node.addressOn} is ${member ? 'a bond member' : 'not an interface of this node'} (one of ${carriers.join(', ') || 'none'})`));
  }
  return out;
}

export function networkChecks(profile: Profile): Diagnostic[] {
  return [
    ...uniqueMacs(profile),
    ...profile.spec.nodes.flatMap((node, i) => nodeChecks(node, i, profile.spec.network)),
  ];
}
