/**
 * The pod network's firewall rules, opened by the os phase in a throw-away root (see
 * throwaway-root.ts; ufw and firewall-cmd are stubs that keep the rules they were given): per
 * plugin, with ufw (Ubuntu) and firewalld (Rocky), on a control-plane node and a worker, and a
 * second run that adds nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';
import { FAMILY_CASES } from '../golden/families.js';
import { withPlugin } from '../cni/fixture-table.js';
import { nodeFiles } from '../../src/render/node.js';
import { needRoot, needTools } from '../helpers/tools.js';
import { removeThrowawayRoots, ThrowawayRoot, netOf, type FakeMachine } from './throwaway-root.js';

afterAll(removeThrowawayRoots);

const PHASES = ['KS_PHASE=preflight bash /usr/local/lib/kubeseed/phases/preflight.sh', 'KS_PHASE=os bash /usr/local/lib/kubeseed/phases/os.sh'];

const ALTERNATIVES_SETUP = ['iptables', 'ip6tables', 'arptables', 'ebtables'].flatMap((t) => [
  `printf '#!/bin/sh\\n' >/usr/sbin/${t}-legacy && printf '#!/bin/sh\\n' >/usr/sbin/${t}-nft && chmod 755 /usr/sbin/${t}-legacy /usr/sbin/${t}-nft`,
  `update-alternatives --quiet --install /usr/sbin/${t} ${t} /usr/sbin/${t}-nft 20 && update-alternatives --quiet --install /usr/sbin/${t} ${t} /usr/sbin/${t}-legacy 10`,
]);

const ROLE_PORTS = {
  cp1: ['6443/tcp', '2379-2380/tcp', '10250/tcp', '10257/tcp', '10259/tcp'],
  w1: ['10250/tcp', '30000-32767/tcp'],
} as const;

/** What each plugin needs between nodes (the version table's rows, written out here). */
const PLUGINS = {
  calico: { ports: ['179/tcp', '4789/udp', '5473/tcp'], protocols: ['4'] },
  flannel: { ports: ['8472/udp'], protocols: [] },
} as const;

interface Family {
  readonly id: 'ubuntu-22.04' | 'rocky-9';
  readonly tool: 'ufw' | 'firewalld';
  readonly machine: (mac: string, uuid: string) => FakeMachine;
  readonly setup: readonly string[];
}

const FAMILIES: readonly Family[] = [
  {
    id: 'ubuntu-22.04',
    tool: 'ufw',
    machine: (mac, uuid) => ({
      macs: { eth0: mac }, productUuid: uuid, packageManager: 'apt', installed: ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'socat', 'chrony'],
      files: { '/etc/chrony/chrony.conf': 'pool 2.debian.pool.ntp.org iburst\n', '/etc/chrony/sources.d/.keep': '' }, selinux: '',
    }),
    setup: ALTERNATIVES_SETUP,
  },
  {
    id: 'rocky-9',
    tool: 'firewalld',
    machine: (mac, uuid) => ({
      macs: { eth0: mac }, productUuid: uuid, packageManager: 'dnf', installed: ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'socat', 'chrony'],
      files: { '/etc/chrony.conf': 'pool 2.rocky.pool.ntp.org iburst\n', '/etc/selinux/config': 'SELINUX=permissive\n' }, selinux: 'Permissive',
    }),
    setup: [],
  },
];

// Each tool with each plugin, on both roles between them (a root run takes ~20 s on 2 busy cores).
const CASES = FAMILIES.flatMap((f, i) => (['calico', 'flannel'] as const).map((plugin, j) => ({ ...f, plugin, node: (i + j) % 2 === 0 ? 'cp1' as const : 'w1' as const })));

describe.each(CASES)('$tool opens $plugin\'s ports on $node ($id)', ({ id, tool, machine, setup, plugin, node: name }) => {
  it('every port of the role and the plugin, IP-in-IP where the tool can express it; a second run adds nothing', (ctx) => {
    needTools(ctx, 'unshare:util-linux', 'chroot:coreutils', 'ss:iproute2');
    needRoot(ctx, 'the throw-away root test');
    const plan = planFromText(withPlugin(FAMILY_CASES.find((c) => c.id === id)!.text, plugin));
    const node = plan.nodes.find((n) => n.name === name)!;
    const root = new ThrowawayRoot(nodeFiles(plan, node), { ...machine(node.mac, node.productUuid ?? '4c4c4544-0000-0000-0000-000000000001'), net: netOf(node) });
    const first = root.run([...setup, ...PHASES]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const ports = [...ROLE_PORTS[name], ...PLUGINS[plugin].ports];
    const protocols = PLUGINS[plugin].protocols;
    const log = root.read('/var/log/kubeseed/firstboot.log');
    if (tool === 'ufw') {
      expect(root.read('/fake/state/ufw')).toBe(ports.map((p) => `${p.replace('-', ':')}\n`).join(''));
      const warned = log.split('\n').filter((l) => l.includes('ufw rules cannot allow'));
      expect(warned).toHaveLength(protocols.length > 0 ? 1 : 0);
      if (protocols.length > 0) {
        expect(warned[0]).toMatch(/\[os\] WARNING: calico's IP-in-IP needs IP protocol 4 between nodes, which ufw rules cannot allow: add "-A ufw-before-input -p 4 -j ACCEPT" to \/etc\/ufw\/before\.rules and run ufw reload, or pods on different nodes cannot reach each other$/);
      }
    } else {
      expect(root.read('/fake/state/firewalld')).toBe(ports.map((p) => `${p}\n`).join(''));
      expect(existsSync(join(root.root, 'fake/state/firewalld-protocols')) ? root.read('/fake/state/firewalld-protocols') : '').toBe(protocols.map((p) => `${p}\n`).join(''));
      expect(root.calls().filter((c) => c === 'firewall-cmd --reload')).toHaveLength(1);
      expect(log).toContain(`firewalld allows ${ports.join(' ')}${protocols.length ? ` and IP protocol ${protocols.join(' ')}` : ''}\n`);
    }
    const before = root.calls().length;
    const second = root.run(PHASES);
    expect(second.status, second.stdout + second.stderr).toBe(0);
    const acting = root.calls().slice(before).filter((c) => /^(ufw allow|firewall-cmd --permanent --add-|firewall-cmd --reload)/.test(c));
    // ufw allow is itself idempotent (it skips a rule it has); firewalld is only asked.
    expect(acting).toEqual(tool === 'ufw' ? ports.map((p) => `ufw allow ${p.replace('-', ':')}`) : []);
  });
});
