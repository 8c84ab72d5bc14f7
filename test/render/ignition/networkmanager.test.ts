/**
 * Fedora CoreOS's NetworkManager keyfiles loaded by the real NetworkManager daemon (keyfile
 * plugin, its own D-Bus) in private network and mount namespaces, with a veth per NIC carrying
 * the node's MAC (needs root): every connection as NetworkManager reads it (type, MAC, MTU, bond
 * port, bond options, VLAN id and parent, IPv4), and on a plain NIC the address and default
 * route it really sets. Bonds and VLANs need the kernel's bonding and 8021q to come up; where the
 * kernel lacks them that part is the VM test's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InterfacePlan, NodePlan } from '../../../src/plan/types.js';
import { networkFiles } from '../../../src/render/ignition/network.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { needRoot, needTools, run, type Skippable } from '../../helpers/tools.js';
import { switchedPlan } from './switch.js';

const SCRIPT = fileURLToPath(new URL('./networkmanager-netns.sh', import.meta.url));

function canRun(ctx: Skippable): void {
  needTools(ctx, 'unshare:util-linux', 'NetworkManager:network-manager', 'nmcli:network-manager', 'dbus-daemon:dbus', 'ip:iproute2');
  needRoot(ctx, 'the NetworkManager test');
}

interface Seen {
  conns: Map<string, Map<string, string>>;
  addrs: string[];
  routes: string[];
}

function load(plan: ReturnType<typeof switchedPlan>, node: NodePlan): Seen {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-nm-'));
  for (const f of networkFiles(plan, node).filter((x) => x.path.endsWith('.nmconnection'))) writeFileSync(join(dir, basename(f.path)), f.content);
  const wait = node.interfaces.length === 1 ? '1' : '0';
  const r = run('timeout', ['60', 'env', `WAIT_ADDRESS=${wait}`, 'unshare', '-n', '-m', '--propagation', 'private', 'bash', SCRIPT, dir, ...node.nics.map((n) => n.mac)]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const seen: Seen = { conns: new Map(), addrs: [], routes: [] };
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    if (line.startsWith('conn=')) seen.conns.set(line.slice(5), new Map());
    else if (line.startsWith('addr=')) seen.addrs.push(line.slice(5));
    else if (line.startsWith('route=')) seen.routes.push(line.slice(6));
    else {
      const bar = line.indexOf('|');
      const rest = line.slice(bar + 1);
      seen.conns.get(line.slice(0, bar))!.set(rest.slice(0, rest.indexOf(':')), rest.slice(rest.indexOf(':') + 1));
    }
  }
  return seen;
}

/** What NetworkManager must report for each interface's connection (nmcli's terse values). */
function wanted(node: NodePlan, x: InterfacePlan): Record<string, string> {
  const primary = x.name === node.interface;
  const ipv4: Record<string, string> = primary
    ? {
      'ipv4.method': 'manual',
      'ipv4.addresses': `${node.ip}/${node.prefix}`,
      'ipv4.gateway': node.gateway ?? '--',
      'ipv4.dns': node.dns.join(','),
      'ipv4.dns-search': node.searchDomains.join(','),
      'ipv4.may-fail': 'no',
    }
    : { 'ipv4.method': 'disabled' };
  const mtu = { '802-3-ethernet.mtu': x.mtu === undefined ? 'auto' : String(x.mtu) };
  switch (x.kind) {
    case 'ethernet':
      return {
        'connection.type': '802-3-ethernet',
        '802-3-ethernet.mac-address': node.nics.find((n) => n.name === x.name)!.mac.toUpperCase(),
        ...mtu,
        'connection.master': x.bond ?? '',
        'connection.slave-type': x.bond ? 'bond' : '',
        ...(x.bond ? {} : ipv4),
      };
    case 'bond': {
      return { 'connection.type': 'bond', 'connection.interface-name': x.name, ...mtu, ...ipv4 };
    }
    case 'vlan':
      return { 'connection.type': 'vlan', 'connection.interface-name': x.name, 'vlan.id': String(x.id), 'vlan.parent': x.link, ...mtu, ...ipv4 };
  }
}

function bondOptions(x: Extract<InterfacePlan, { kind: 'bond' }>): Record<string, string> {
  return {
    mode: x.mode,
    miimon: String(x.miimon),
    ...(x.lacpRate ? { lacp_rate: x.lacpRate } : {}),
    ...(x.transmitHashPolicy ? { xmit_hash_policy: x.transmitHashPolicy } : {}),
  };
}

describe.each(EXAMPLE_PROFILES)('%s as fcos', (profile) => {
  const plan = switchedPlan(profile, 'fcos');
  it.for(plan.nodes.map((n) => n.name))('NetworkManager loads every connection of %s as planned, and sets up a plain NIC', (name, ctx) => {
    canRun(ctx);
    const node = plan.nodes.find((n) => n.name === name)!;
    const seen = load(plan, node);
    expect([...seen.conns.keys()]).toEqual(node.interfaces.map((x) => x.name).sort());
    for (const x of node.interfaces) {
      const props = seen.conns.get(x.name)!;
      const want = wanted(node, x);
      expect(Object.fromEntries(Object.keys(want).map((k) => [k, props.get(k)])), x.name).toEqual(want);
      if (x.kind === 'bond') {
        const opts = Object.fromEntries(props.get('bond.options')!.split(',').map((o) => o.split('=') as [string, string]));
        expect(opts, x.name).toEqual(bondOptions(x));
      }
    }
    // A plain NIC comes up here: NetworkManager puts the address and the default route on it.
    if (node.interfaces.length === 1) {
      expect(seen.addrs).toEqual([`n0 ${node.ip}/${node.prefix}`]);
      expect(seen.routes.map((r) => r.split(' ').slice(0, 5).join(' '))).toEqual(node.gateway ? [`default via ${node.gateway} dev n0`] : []);
    }
  });
});
