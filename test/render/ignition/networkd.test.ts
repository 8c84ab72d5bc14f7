/**
 * Flatcar's network files applied by the real systemd-networkd and udev's net_setup_link to a
 * veth carrying the node's MAC, in private network and mount namespaces (needs root). Nodes with
 * bonds and VLANs: networkd reads every unit without a complaint and loads each .netdev, here;
 * and makes the bonds and VLANs with their settings in a VM on Debian's kernel (this sandbox's
 * kernel has no bonding or 8021q), one boot for every such node. (A veth has no permanent MAC,
 * so the bond members' PermanentMACAddress= matches are for the e2e VM test.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { networkFiles } from '../../../src/render/ignition/network.js';
import type { ClusterPlan, NodePlan } from '../../../src/plan/types.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { needPrerequisite, needRoot, needTools, run, type Skippable } from '../../helpers/tools.js';
import { switchedPlan } from './switch.js';

const SCRIPT = fileURLToPath(new URL('./networkd-netns.sh', import.meta.url));

function needAll(ctx: Skippable): void {
  needTools(ctx, 'unshare:util-linux', 'udevadm:udev', '/lib/systemd/systemd-networkd:systemd');
  needRoot(ctx, 'the networkd test');
}

function applied(plan: ClusterPlan, node: NodePlan, mac: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-networkd-'));
  for (const f of networkFiles(plan, node)) writeFileSync(join(dir, basename(f.path)), f.content);
  const r = run('timeout', ['30', 'unshare', '-n', '-m', '--propagation', 'private', 'bash', SCRIPT, dir, mac]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Nodes with one plain NIC; bonds and VLANs are below. */
const plain = (n: NodePlan): boolean => n.interfaces.length === 1;

/** Example profiles that have nodes of each kind, so no describe below is empty. */
const WITH_PLAIN = EXAMPLE_PROFILES.filter((p) => switchedPlan(p, 'flatcar').nodes.some(plain));
const WITH_BONDS = EXAMPLE_PROFILES.filter((p) => !switchedPlan(p, 'flatcar').nodes.every(plain));

describe.each(WITH_PLAIN)('%s as flatcar', (profile) => {
  const plan = switchedPlan(profile, 'flatcar');
  it.for(plan.nodes.filter(plain).map((n) => n.name))('networkd gives %s its address, gateway, DNS and name', (name, ctx) => {
    needAll(ctx);
    const node = plan.nodes.find((n) => n.name === name)!;
    expect(applied(plan, node, node.mac)).toEqual({
      link_file: `/etc/systemd/network/10-${node.interface}.link`,
      name: node.interface,
      address: `${node.ip}/${node.prefix}`,
      gateway: node.gateway,
      dns: node.dns.join(' '),
      domains: node.searchDomains.join(' '),
    });
  });
});

it('a NIC with another MAC gets none of it', (ctx) => {
  needAll(ctx);
  const plan = switchedPlan('profiles/lab.yaml', 'flatcar');
  const got = applied(plan, plan.nodes[0]!, '52:54:00:ff:ff:ff');
  expect(got.link_file).not.toBe('/etc/systemd/network/10-eth0.link');
  expect([got.address, got.gateway, got.dns, got.domains]).toEqual(['', '', '', '']);
});

// ---- bonds and VLANs ------------------------------------------------------------------------

const NETDEV_SCRIPT = fileURLToPath(new URL('./networkd-netdev-netns.sh', import.meta.url));

function needNetns(ctx: Skippable): void {
  needTools(ctx, 'unshare:util-linux', 'udevadm:udev', '/lib/systemd/systemd-networkd:systemd', 'ip:iproute2');
  needRoot(ctx, 'the networkd test');
}

interface Loaded {
  warnings: string[];
  loaded: string[];
  created: string[];
  links: string[];
}

type Unit = { path: string; content: string | Uint8Array };

function writeUnits(dir: string, files: readonly Unit[]): string {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, basename(f.path)), f.content);
  return dir;
}

function loadUnits(files: readonly Unit[], macs: readonly string[]): Loaded {
  const dir = writeUnits(mkdtempSync(join(tmpdir(), 'kubeseed-networkd-')), files);
  const r = run('timeout', ['30', 'unshare', '-n', '-m', '--propagation', 'private', 'bash', NETDEV_SCRIPT, dir, ...macs]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return parseLoaded(r.stdout);
}

function parseLoaded(stdout: string): Loaded {
  const out: Loaded = { warnings: [], loaded: [], created: [], links: [] };
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [k, v] = [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)];
    if (k === 'warning') out.warnings.push(v);
    else if (k === 'loaded') out.loaded.push(v);
    else if (k === 'created') out.created.push(v);
    else if (k === 'link') out.links.push(v);
  }
  return out;
}

// ---- the same units in a VM on Debian's kernel, which has bonding and 8021q ----------------------

const KERNEL_DIR = resolve(process.env.KUBESEED_VM_KERNEL ?? '.cache/kernel/kernel');
const GUEST = fileURLToPath(new URL('./networkd-vm-guest.sh', import.meta.url));
const vmKey = (profile: string, node: string): string => `${basename(profile, '.yaml')}.${node}`;

function needVm(ctx: Skippable): void {
  needTools(ctx, 'qemu-system-x86_64:qemu-system-x86', 'cpio:cpio', 'modprobe:kmod', 'unshare:util-linux',
    'udevadm:udev', '/lib/systemd/systemd-networkd:systemd', 'ip:iproute2');
  needRoot(ctx, 'the networkd VM test');
  needPrerequisite(ctx, existsSync(join(KERNEL_DIR, 'done')), `a kernel in ${KERNEL_DIR} (run test/vm/prepare-kernel.sh)`);
}

interface VmNode { stdout: string; stderr: string; status: string }
interface VmRun { status: number | null; stderr: string; console: string; nodes: Map<string, VmNode> }

/**
 * One boot for every bonded node of every example profile: what networkd made of each, by key.
 * Kept once booted, a failed boot too, so that each node's test reports it without booting again.
 */
let vmRun: VmRun | undefined;
function inVm(): VmRun {
  if (vmRun) return vmRun;
  const work = mkdtempSync(join(tmpdir(), 'kubeseed-networkd-vm-'));
  const input = join(work, 'input');
  for (const profile of WITH_BONDS) {
    const plan = switchedPlan(profile, 'flatcar');
    for (const node of plan.nodes.filter((n) => !plain(n))) {
      const dir = join(input, 'srv/nodes', vmKey(profile, node.name));
      writeUnits(join(dir, 'units'), networkFiles(plan, node));
      writeFileSync(join(dir, 'macs'), `${node.nics.map((n) => n.mac).join(' ')}\n`);
    }
  }
  writeFileSync(join(input, 'srv/networkd-netdev-netns.sh'), readFileSync(NETDEV_SCRIPT));
  const consoleLog = join(work, 'console.log');
  const r = run('bash', ['test/vm/kernel-vm.sh', KERNEL_DIR, GUEST, input, consoleLog]);
  const out = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
  const nodes = new Map<string, VmNode>();
  for (const line of out.split(/\r?\n/)) {
    const m = /^NODE (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const [, key, rest] = m as unknown as [string, string, string];
    const n = nodes.get(key) ?? { stdout: '', stderr: '', status: '' };
    if (rest.startsWith('stderr=')) n.stderr += `${rest.slice(7)}\n`;
    else if (rest.startsWith('status=')) n.status = rest.slice(7);
    else n.stdout += `${rest}\n`;
    nodes.set(key, n);
  }
  vmRun = { status: r.status, stderr: r.stderr, console: out, nodes };
  return vmRun;
}

describe.each(WITH_BONDS)('%s as flatcar: bonds and VLANs', (profile) => {
  const plan = switchedPlan(profile, 'flatcar');
  const nodes = plan.nodes.filter((n) => !plain(n));

  it.for(nodes.map((n) => n.name))('networkd reads every unit of %s without a complaint and loads its bonds and VLANs', (name, ctx) => {
    needNetns(ctx);
    const node = plan.nodes.find((n) => n.name === name)!;
    const got = loadUnits(networkFiles(plan, node), node.nics.map((n) => n.mac));
    expect(got.warnings).toEqual([]);
    expect(got.loaded).toEqual(node.interfaces.filter((x) => x.kind !== 'ethernet').map((x) => `${x.name} ${x.kind}`).sort());
  });

  it.for(nodes.map((n) => n.name))('networkd makes %s\'s bonds and VLANs with their settings (VM, Debian\'s kernel)', { timeout: 900_000 }, (name, ctx) => {
    needVm(ctx);
    const node = plan.nodes.find((n) => n.name === name)!;
    const vm = inVm();
    expect(vm.status, `${vm.stderr}\n${vm.console}`).toBe(0);
    expect(vm.console).not.toContain('MODPROBE FAILED');
    const r = vm.nodes.get(vmKey(profile, name));
    expect(r, `no output for ${vmKey(profile, name)} from the VM`).toBeDefined();
    expect(r!.stderr).toBe('');
    expect(r!.status).toBe('0');
    const got = parseLoaded(r!.stdout);
    expect(got.warnings).toEqual([]);
    const want = node.interfaces.filter((x) => x.kind !== 'ethernet');
    expect(got.created.sort()).toEqual(want.map((x) => x.name).sort());
    for (const x of want) {
      const link = got.links.find((l) => new RegExp(`^\\d+: ${x.name.replace('.', '\\.')}[@:]`).test(l));
      if (x.kind === 'bond') expect(link).toMatch(new RegExp(` bond mode ${x.mode} .*miimon ${x.miimon} `));
      if (x.kind === 'vlan') expect(link).toMatch(new RegExp(`^\\d+: ${x.name.replace('.', '\\.')}@${x.link}: .* vlan protocol 802\\.1Q id ${x.id} `));
    }
  });
});

it('networkd\'s complaints about a unit reach the test (so none above means none)', (ctx) => {
  needNetns(ctx);
  const plan = switchedPlan('profiles/baremetal-bond.yaml', 'flatcar');
  const node = plan.nodes.find((n) => n.name === 'w1')!;
  const files = networkFiles(plan, node).map((f) => (f.path.endsWith('.netdev') && String(f.content).includes('Kind=bond')
    ? { ...f, content: String(f.content).replace('Mode=active-backup', 'Mode=bogus') }
    : f));
  expect(loadUnits(files, []).warnings).toEqual(['/etc/systemd/network/20-bond0.netdev:6: Failed to parse bond mode, ignoring: bogus']);
});
