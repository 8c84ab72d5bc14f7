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

  it('network-config and meta-data carry each node\'s MAC, address and hostname', () => {
    for (const node of plan.nodes) {
      const net = parse(readFileSync(join(out, 'nodes', node.name, 'network-config'), 'utf8'), { version: '1.1' });
      const eth = net.ethernets.eth0;
      expect(net.version).toBe(2);
      expect(eth.match.macaddress).toBe(node.mac);
      expect(eth.addresses).toEqual([`${node.ip}/${node.prefix}`]);
      const meta = parse(readFileSync(join(out, 'nodes', node.name, 'meta-data'), 'utf8'), { version: '1.1' });
      expect(meta).toEqual({ 'instance-id': `kubeseed-${plan.name}-${node.name}`, 'local-hostname': node.name });
    }
  });

  it('network-config converts with cloud-init\'s own parser', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const node = plan.nodes[0]!;
    const r = run('cloud-init', ['devel', 'net-convert', '--network-data', join(out, 'nodes', node.name, 'network-config'),
      '--kind', 'yaml', '--output-kind', 'networkd', '--distro', 'debian', '--directory', join(out, 'netconv'), '--mac', `eth0,${node.mac}`]);
    expect(r.status, r.stderr).toBe(0);
    const unit = readFileSync(join(out, 'netconv', 'etc/systemd/network/10-cloud-init-eth0.network'), 'utf8');
    expect(unit).toContain(`Address=${node.ip}/${node.prefix}`);
  });

  it('every shell script passes shellcheck with no warnings', (ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const { scripts } = writeNodeFiles(plan);
    expect(scripts.length).toBeGreaterThan(0);
    expect(shellcheckFindings(scripts)).toBe('');
  });
});
