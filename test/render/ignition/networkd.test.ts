/**
 * Flatcar's network files applied by the real systemd-networkd and udev's net_setup_link to a
 * veth carrying the node's MAC, in private network and mount namespaces (needs root).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { networkFiles } from '../../../src/render/ignition/network.js';
import type { ClusterPlan, NodePlan } from '../../../src/plan/types.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { needRoot, needTools, run, type Skippable } from '../../helpers/tools.js';
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

describe.each(EXAMPLE_PROFILES)('%s as flatcar', (profile) => {
  const plan = switchedPlan(profile, 'flatcar');
  it.for(plan.nodes.map((n) => n.name))('networkd gives %s its address, gateway, DNS and name', (name, ctx) => {
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
