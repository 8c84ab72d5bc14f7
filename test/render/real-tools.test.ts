/** Every output of every example profile, checked by the real consumers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_PROFILES, planFromFile } from '../builders/plan.js';
import { shellcheckFindings, writeNodeFiles, writeOutputs } from '../helpers/outputs.js';
import { needTools, run } from '../helpers/tools.js';

describe.each(EXAMPLE_PROFILES)('%s', (profile) => {
  const plan = planFromFile(profile);
  const out = writeOutputs(plan);

  it.for(plan.nodes.map((n) => n.name))('user-data of %s passes cloud-init schema', (name, ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const r = run('cloud-init', ['schema', '--config-file', join(out, 'nodes', name, 'user-data')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`Valid cloud-config: ${join(out, 'nodes', name, 'user-data')}`);
    expect(r.status).toBe(0);
  });

  // What cloud-init's renderers make of network-config: test/render/cloud-init/net-convert.test.ts.
  it('network-config and meta-data carry each node\'s MACs, address and hostname', () => {
    for (const node of plan.nodes) {
      const net = parse(readFileSync(join(out, 'nodes', node.name, 'network-config'), 'utf8'), { version: '1.1' });
      expect(net.version).toBe(2);
      expect(Object.entries(net.ethernets).map(([name, eth]) => ({ name, mac: (eth as { match: { macaddress: string } }).match.macaddress })))
        .toEqual(node.nics.map((n) => ({ name: n.name, mac: n.mac })));
      const carrier = net.ethernets[node.interface] ?? net.bonds?.[node.interface] ?? net.vlans?.[node.interface];
      expect(carrier.addresses).toEqual([`${node.ip}/${node.prefix}`]);
      const meta = parse(readFileSync(join(out, 'nodes', node.name, 'meta-data'), 'utf8'), { version: '1.1' });
      expect(meta).toEqual({ 'instance-id': `kubeseed-${plan.name}-${node.name}`, 'local-hostname': node.name });
    }
  });

  it('every shell script passes shellcheck with no warnings', (ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const { scripts } = writeNodeFiles(plan);
    expect(scripts.length).toBeGreaterThan(0);
    expect(shellcheckFindings(scripts)).toBe('');
  });
});
