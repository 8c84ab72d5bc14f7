/**
 * Network config version 2: the node's NICs matched by MAC (and renamed), its bonds and VLANs,
 * and the static address, default route and DNS on the interface the plan names.
 *
 * cloud-init turns this into whatever its chosen renderer reads: netplan (passed through),
 * systemd-networkd, ifupdown's /etc/network/interfaces (eni), RHEL ifcfg files (sysconfig) or
 * NetworkManager keyfiles. Each writes it differently, and the default route is where they part:
 *   - `routes: [{to: 0.0.0.0/0, via: GW}]` becomes, under eni, `post-up route add default gw GW
 *     || true`: `route` is net-tools, which minimal Debian installs lack, and `|| true` hides the
 *     failure, so the node boots without a default route (cloud-init 22.4 to today).
 *   - `gateway4: GW` becomes the subnet's gateway: eni `gateway GW` (ifupdown itself runs `ip
 *     route add default via GW`; ifupdown depends on iproute2), networkd `[Route] Gateway=`,
 *     sysconfig `GATEWAY=` with `DEFROUTE=yes`, NetworkManager `gateway=`, and netplan reads it
 *     natively. Netplan 0.103+ calls `gateway4` deprecated (a warning, still honoured); it is the
 *     one form every renderer turns into a route a minimal install can set.
 * The preflight phase checks for the route anyway and adds it if a renderer still left it out.
 */
import type { InterfacePlan, NodePlan } from '../../plan/types.js';
import { toYaml } from '../serialize.js';

type Mapping = Record<string, unknown>;

/** Address, default route and DNS: on the interface that carries the node's address only. */
function addressing(node: NodePlan): Mapping {
  const out: Mapping = { addresses: [`${node.ip}/${node.prefix}`] };
  if (node.gateway) out.gateway4 = node.gateway;
  if (node.dns.length > 0 || node.searchDomains.length > 0) {
    out.nameservers = {
      ...(node.dns.length ? { addresses: [...node.dns] } : {}),
      ...(node.searchDomains.length ? { search: [...node.searchDomains] } : {}),
    };
  }
  return out;
}

/** netplan's names for the bond settings (cloud-init maps them to every other renderer's). */
function bondParameters(b: Extract<InterfacePlan, { kind: 'bond' }>): Mapping {
  return {
    mode: b.mode,
    'mii-monitor-interval': b.miimon,
    ...(b.lacpRate ? { 'lacp-rate': b.lacpRate } : {}),
    ...(b.transmitHashPolicy ? { 'transmit-hash-policy': b.transmitHashPolicy } : {}),
  };
}

export function networkConfigObject(node: NodePlan): Record<string, unknown> {
  const ethernets: Mapping = {};
  const bonds: Mapping = {};
  const vlans: Mapping = {};
  const macs = new Map(node.nics.map((n) => [n.name, n.mac]));
  for (const x of node.interfaces) {
    const mtu = x.mtu === undefined ? {} : { mtu: x.mtu };
    const addr = x.name === node.interface ? addressing(node) : {};
    switch (x.kind) {
      case 'ethernet': {
        const mac = macs.get(x.name);
        if (mac === undefined) throw new Error(`unreachable: NIC ${x.name} of ${node.name} has no MAC in the plan`);
        ethernets[x.name] = { match: { macaddress: mac }, 'set-name': x.name, ...mtu, ...addr };
        break;
      }
      case 'bond':
        bonds[x.name] = { interfaces: [...x.members], ...mtu, parameters: bondParameters(x), ...addr };
        break;
      case 'vlan':
        vlans[x.name] = { id: x.id, link: x.link, ...mtu, ...addr };
        break;
    }
  }
  return {
    version: 2,
    ethernets,
    ...(Object.keys(bonds).length ? { bonds } : {}),
    ...(Object.keys(vlans).length ? { vlans } : {}),
  };
}

export function renderNetworkConfig(node: NodePlan): string {
  return toYaml(networkConfigObject(node));
}
