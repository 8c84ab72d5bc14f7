/**
 * The preflight phase's network checks, run for real in a throw-away root (throwaway-root.ts):
 * real bash, real iproute2 in a private network namespace with veth links carrying the node's
 * address and route; the kernel's bonding and VLAN views (/sys/class/net/<bond>/bonding,
 * bonding_slave/perm_hwaddr, /proc/net/vlan) are files, as that root fakes sysfs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFiles } from '../../src/render/node.js';
import type { NodePlan } from '../../src/plan/types.js';
import { planFromFile } from '../builders/plan.js';
import { needRoot, needTools } from '../helpers/tools.js';
import { netOf, removeThrowawayRoots, ThrowawayRoot, type FakeMachine, type FakeNet } from './throwaway-root.js';

afterAll(removeThrowawayRoots);

const PREFLIGHT = 'KS_PHASE=preflight bash /usr/local/lib/kubeseed/phases/preflight.sh';

type Ctx = Parameters<typeof needRoot>[0];
function canRun(ctx: Ctx): void {
  needTools(ctx, 'unshare:util-linux', 'chroot:coreutils', 'ss:iproute2', 'ip:iproute2');
  needRoot(ctx, 'the throw-away root test');
}

function machine(macs: Record<string, string>, net: FakeNet, files: Record<string, string> = {}): FakeMachine {
  return {
    macs: { lo: '00:00:00:00:00:00', ...macs }, productUuid: '4c4c4544-0000-0000-0000-000000000001', packageManager: 'apt',
    installed: [], files, selinux: '', net,
  };
}

describe('the default route (lab1: eth0, gateway 192.168.50.1)', () => {
  const plan = planFromFile('profiles/lab.yaml');
  const node = plan.nodes[0]!;
  const files = nodeFiles(plan, node);
  const macs = { eth0: node.mac };

  it('is added through the profile\'s gateway when the renderer set none, and left alone on the next run', (ctx) => {
    canRun(ctx);
    const net: FakeNet = { links: [{ name: 'eth0', address: '192.168.50.10/24' }] };
    const root = new ThrowawayRoot(files, machine(macs, net));
    const twice = `${PREFLIGHT} 2>&1 && ip -4 route show default && ${PREFLIGHT} 2>&1 && ip -4 route show default`;
    const r = root.run([twice]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('default'))).toEqual(['default via 192.168.50.1 dev eth0 ', 'default via 192.168.50.1 dev eth0 ']);
    expect(lines.filter((l) => / \[preflight\] (no default route|default route via)/.test(l)).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      '[preflight] no default route (the network renderer set none): added default via 192.168.50.1 dev eth0',
      '[preflight] default route via 192.168.50.1 dev eth0 present',
    ]);
  });

  it('a default route through another gateway stops the phase', (ctx) => {
    canRun(ctx);
    const net: FakeNet = { links: [{ name: 'eth0', address: '192.168.50.10/24' }], defaultVia: { gateway: '192.168.50.254', dev: 'eth0' } };
    const r = new ThrowawayRoot(files, machine(macs, net)).run([PREFLIGHT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the default route is 'default via 192\.168\.50\.254 dev eth0 ', not via 192\.168\.50\.1 dev eth0 as the profile says\n$/);
  });

  it('the address on another interface than the profile names stops the phase', (ctx) => {
    canRun(ctx);
    const net: FakeNet = { links: [{ name: 'eth0' }, { name: 'ens3', address: '192.168.50.10/24' }] };
    const r = new ThrowawayRoot(files, machine({ ...macs, ens3: '52:54:00:aa:bb:cc' }, net)).run([PREFLIGHT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the network is not as the profile says: address 192\.168\.50\.10\/24 is not on eth0 \(it is on ens3\) \(cloud-init/);
  });
});

/** The kernel's views of w1's bond and VLAN, as sysfs and /proc files, plus the veth for its address. */
function bondedW1(node: NodePlan, opts: { mode?: string; vlanId?: number; mtu?: number } = {}): { macs: Record<string, string>; files: Record<string, string>; net: FakeNet } {
  const [m0, m1] = node.nics.map((n) => n.mac) as [string, string];
  return {
    // Enslaved members both carry the bond's MAC (the first member's); their own is perm_hwaddr.
    macs: { bond0p0: m0, bond0p1: m0, bond0: m0, 'bond0.100': m0 },
    files: {
      '/sys/class/net/bond0p0/bonding_slave/perm_hwaddr': `${m0}\n`,
      '/sys/class/net/bond0p1/bonding_slave/perm_hwaddr': `${m1}\n`,
      '/sys/class/net/bond0/bonding/mode': `${opts.mode ?? 'active-backup 1'}\n`,
      '/proc/net/vlan/bond0.100': `bond0.100  VID: ${opts.vlanId ?? 100}\t REORDER_HDR: 1  dev->priv_flags: 1001\n\n      total frames received            0\nDevice: bond0\nINGRESS priority mappings: 0:0  1:0\n`,
      ...Object.fromEntries(['bond0p0', 'bond0p1', 'bond0', 'bond0.100'].map((d) => [`/sys/class/net/${d}/mtu`, `${opts.mtu ?? 9000}\n`])),
    },
    net: netOf(node),
  };
}

const MASTERS = (root: ThrowawayRoot, ...members: string[]): string =>
  members.map((m) => `ln -s ../bond0 ${root.root}/sys/class/net/${m}/master`).join(' && ');

describe('a bonded node (metal w1: bond0 of two NICs, active-backup, VLAN 100, MTU 9000)', () => {
  const plan = planFromFile('profiles/baremetal-bond.yaml');
  const node = plan.nodes.find((n) => n.name === 'w1')!;
  const files = nodeFiles(plan, node);

  it('passes when both NICs are in the bond, the bond and VLAN are as planned and the address is on the VLAN', (ctx) => {
    canRun(ctx);
    const w = bondedW1(node);
    const root = new ThrowawayRoot(files, machine(w.macs, w.net, w.files));
    const r = root.run([PREFLIGHT], MASTERS(root, 'bond0p0', 'bond0p1'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[preflight\] default route via 10\.30\.100\.1 dev bond0\.100 present\n/);
    expect(r.stderr).toMatch(/\[preflight\] preflight ok: MAC b8:ca:3a:30:01:21 present, 10\.30\.100\.21\/24 on bond0\.100, default route present,/);
  });

  it('names every difference at once: a missing NIC, a NIC outside the bond, the wrong mode, VLAN id and MTU', (ctx) => {
    canRun(ctx);
    const w = bondedW1(node, { mode: 'balance-rr 0', vlanId: 200, mtu: 1500 });
    const { bond0p1: _gone, ...macs } = w.macs;
    const files2 = Object.fromEntries(Object.entries(w.files).filter(([p]) => !p.includes('bond0p1')));
    const root = new ThrowawayRoot(files, machine(macs, w.net, files2));
    const r = root.run([PREFLIGHT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp([
      'FATAL: the network is not as the profile says: ',
      'NIC bond0p0 \\(MAC b8:ca:3a:30:01:21\\) is not a member of bond bond0 \\(its master: none\\); ',
      'NIC bond0p1 \\(MAC b8:ca:3a:30:02:21\\) is missing; ',
      'bond bond0 runs mode balance-rr, not active-backup; ',
      'VLAN bond0\\.100 has id 200 on bond0, not id 100 on bond0; ',
      'bond0p0 has MTU 1500, not 9000; bond0 has MTU 1500, not 9000; bond0\\.100 has MTU 1500, not 9000 ',
      '\\(cloud-init\'s networkd renderer creates no bonds or VLANs; ifupdown needs the ifenslave package for bonds\\)\\n$',
    ].join('')));
  });

  it('a machine without the bond (a renderer that does not make bonds) stops with the reason', (ctx) => {
    canRun(ctx);
    const [m0, m1] = node.nics.map((n) => n.mac) as [string, string];
    const net: FakeNet = { links: [{ name: 'bond0p0' }, { name: 'bond0p1' }] };
    const root = new ThrowawayRoot(files, machine({ bond0p0: m0, bond0p1: m1 }, net));
    const r = root.run([PREFLIGHT]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FATAL: the network is not as the profile says: NIC bond0p0 \(MAC b8:ca:3a:30:01:21\) is not a member of bond bond0 \(its master: none\); NIC bond0p1 \(MAC b8:ca:3a:30:02:21\) is not a member of bond bond0 \(its master: none\); bond bond0 is missing; VLAN bond0\.100 is missing; address 10\.30\.100\.21\/24 is not on bond0\.100 \(cloud-init/);
  });
});
