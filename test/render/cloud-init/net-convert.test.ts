/**
 * Every node's network-config of every example profile, converted by the real cloud-init
 * (`cloud-init devel net-convert`) into each renderer it may choose on our OS families, and the
 * result parsed (rendered-network.ts): the node's address on its interface, the default route
 * through the gateway set by something a minimal install has, DNS, and the NICs, bonds and
 * VLANs with their settings. Where cloud-init's renderer drops part of the configuration, the
 * gap is named below and asserted as it is, so a cloud-init that closes it fails this test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InterfacePlan, NodePlan } from '../../../src/plan/types.js';
import { renderNetworkConfig } from '../../../src/render/cloud-init/network-config.js';
import { EXAMPLE_PROFILES, planFromFile } from '../../builders/plan.js';
import { needTools, run } from '../../helpers/tools.js';
import { READERS, type Device, type RenderedNetwork, type Renderer } from './rendered-network.js';

/** The distribution each renderer is cloud-init's choice on (-D only tunes the renderer). */
const DISTRO: Record<Renderer, string> = {
  netplan: 'ubuntu',
  networkd: 'debian',
  eni: 'debian',
  sysconfig: 'rocky',
  'network-manager': 'rocky',
};

/**
 * What cloud-init 22.4 (Debian 12's) leaves out, per renderer. The preflight phase stops a node
 * whose interfaces or MTUs are not as planned, naming what is missing.
 */
const GAPS: Record<Renderer, readonly string[]> = {
  netplan: [],
  // cloud-init's networkd renderer writes .network files only, never a .netdev (to this day).
  networkd: ['no bonds or VLANs: no .netdev is written; the NICs are not enslaved and nothing carries a bond\'s or VLAN\'s configuration'],
  // An interface without an address, outside a bond, gets no `auto` line: a NIC's stanza (its
  // MTU) is never applied (ifupdown brings the NIC up when it creates a VLAN on it), and a VLAN
  // is never created (the preflight phase creates it at first boot).
  eni: ['a NIC that only carries VLANs is not `auto`: its MTU is not applied', 'a VLAN without an address is not `auto`: not created'],
  sysconfig: [],
  // network_manager.py maps miimon from a key network_state never sets, has no lacp_rate, and
  // writes an MTU only for Ethernet connections.
  'network-manager': ['bonds lose miimon and lacpRate (NetworkManager then uses miimon 100, LACP slow)', 'bonds and VLANs lose their MTU'],
};

const RENDERERS = Object.keys(READERS) as Renderer[];

/**
 * How each renderer must set the default route: by its own daemon or ifupdown's `gateway` (which
 * ifupdown carries out with iproute2's `ip`, a dependency of ifupdown), which a minimal install
 * has, never by a hook running net-tools' `route`.
 */
const ROUTE_BY: Record<Renderer, string> = {
  netplan: 'netplan gateway4',
  networkd: 'networkd [Route] Gateway=',
  eni: 'ifupdown gateway (ip route add default via)',
  sysconfig: 'sysconfig GATEWAY= DEFROUTE=yes',
  'network-manager': 'NetworkManager gateway=',
};

function expectedDevice(node: NodePlan, x: InterfacePlan): Device {
  const mtu = x.mtu === undefined ? {} : { mtu: x.mtu };
  switch (x.kind) {
    case 'ethernet':
      return { kind: 'ethernet', mac: node.nics.find((n) => n.name === x.name)!.mac, ...mtu, ...(x.bond ? { master: x.bond } : {}) };
    case 'bond':
      return {
        kind: 'bond', mode: x.mode, miimon: x.miimon, ...mtu,
        ...(x.lacpRate ? { lacpRate: x.lacpRate } : {}), ...(x.transmitHashPolicy ? { hashPolicy: x.transmitHashPolicy } : {}),
      };
    case 'vlan':
      return { kind: 'vlan', vlanId: x.id, link: x.link, ...mtu };
  }
}

interface Expected {
  devices: Record<string, Device>;
  addresses: Record<string, string[]>;
  defaultRoutes: { dev: string; via: string; how: string }[];
  nameservers: string[];
  search: string[];
  unbacked: string[];
}

/** The plan's network, less what the renderer's gaps drop. */
function expected(node: NodePlan, renderer: Renderer): Expected {
  const devices: Record<string, Device> = {};
  for (const x of node.interfaces) devices[x.name] = expectedDevice(node, x);
  let carrier = node.interface;
  const unbacked: string[] = [];
  if (renderer === 'networkd') {
    for (const x of node.interfaces) {
      if (x.kind === 'ethernet') delete devices[x.name]!.master;
      else {
        delete devices[x.name];
        unbacked.push(x.name);
      }
    }
    if (!devices[carrier]) carrier = '';
  }
  if (renderer === 'eni') {
    for (const x of node.interfaces) {
      const notAuto = x.name !== node.interface && (x.kind === 'vlan' || (x.kind === 'ethernet' && !x.bond));
      if (notAuto && x.kind === 'vlan') delete devices[x.name];
      else if (notAuto) delete devices[x.name]!.mtu;
    }
  }
  if (renderer === 'network-manager') {
    for (const x of node.interfaces) {
      const d = devices[x.name]!;
      if (x.kind === 'bond') {
        delete d.miimon;
        delete d.lacpRate;
      }
      if (x.kind !== 'ethernet') delete d.mtu;
    }
  }
  return {
    devices,
    addresses: carrier ? { [carrier]: [`${node.ip}/${node.prefix}`] } : {},
    defaultRoutes: carrier && node.gateway ? [{ dev: carrier, via: node.gateway, how: ROUTE_BY[renderer] }] : [],
    nameservers: carrier ? [...node.dns] : [],
    search: carrier ? [...node.searchDomains] : [],
    unbacked: unbacked.sort(),
  };
}

const work = mkdtempSync(join(tmpdir(), 'kubeseed-net-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let seq = 0;

function convert(node: NodePlan, renderer: Renderer): RenderedNetwork {
  const dir = join(work, String(seq++));
  const input = `${dir}.yaml`;
  writeFileSync(input, renderNetworkConfig(node));
  const r = run('cloud-init', ['devel', 'net-convert', '--network-data', input, '--kind', 'yaml', '--distro', DISTRO[renderer], '--output-kind', renderer, '--directory', dir]);
  expect(r.status, r.stderr).toBe(0);
  return READERS[renderer](dir);
}

// And the e2e network cluster the VM test boots (a bond carrying the address, a VLAN without one).
describe.each([...EXAMPLE_PROFILES, 'test/e2e/profile-net.yaml'])('%s', (profile) => {
  const plan = planFromFile(profile);
  describe.each(RENDERERS.map((r) => [r, GAPS[r].join('; ') || 'none'] as const))('under cloud-init\'s %s renderer (gaps: %s)', (renderer) => {
    it.for(plan.nodes.map((n) => n.name))('%s: address, default route, DNS and devices as planned', (name, ctx) => {
      needTools(ctx, 'cloud-init:cloud-init');
      const node = plan.nodes.find((n) => n.name === name)!;
      const got = convert(node, renderer);
      const want = expected(node, renderer);
      expect({ ...got, hookCommands: undefined, unbacked: got.unbacked.sort() }).toEqual({ ...want, hookCommands: undefined });
      // Any command an ifupdown hook runs is iproute2's, never net-tools' route or ifconfig.
      for (const c of got.hookCommands) expect(c.split(/\s+/)[0]).toBe('ip');
    });
  });
});
