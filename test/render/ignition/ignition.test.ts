/**
 * Ignition output for every example profile switched to Flatcar and to Fedora CoreOS: checked
 * by the real ignition-validate, compared file by file with the cloud-init output of the same
 * plan, and audited for secrets placement.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkFiles } from '../../../src/render/ignition/network.js';
import { nodeFiles, renderNodeOutputs } from '../../../src/render/node.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { shellcheckFindings, writeNodeFiles } from '../../helpers/outputs.js';
import { requireTool, run } from '../../helpers/tools.js';
import { IGNITION_FAMILIES, decodeDataUrl, ignitionFiles, switchedPlan, userDataFiles } from './switch.js';

const CASES = EXAMPLE_PROFILES.flatMap((profile) => IGNITION_FAMILIES.map((family) => [profile, family] as const));

function outputsByPath(plan: ReturnType<typeof switchedPlan>, name: string): Map<string, { content: string; mode: number }> {
  const node = plan.nodes.find((n) => n.name === name)!;
  return new Map(renderNodeOutputs(plan, node).map((o) => [o.path, { content: String(o.content), mode: o.mode }]));
}

describe('ignition-validate itself', () => {
  it('rejects a config with a broken field, so a pass below means something', () => {
    if (!requireTool('ignition-validate', 'ignition')) return;
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-ign-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ignition: { version: '3.3.0' }, storage: { files: [{ path: 'relative/path', mode: '0644' }] } }));
    const r = run('ignition-validate', [bad]);
    expect(r.status).not.toBe(0);
  });
});

describe.each(CASES)('%s as %s', (profile, family) => {
  const plan = switchedPlan(profile, family);

  it('emits only nodes/<node>/ignition.json per node, 0600 when it carries a secret', () => {
    expect(plan.os.format).toBe('ignition');
    for (const node of plan.nodes) {
      const outs = renderNodeOutputs(plan, node);
      expect(outs.map((o) => o.path)).toEqual([`nodes/${node.name}/ignition.json`]);
      // Every role carries a secret now: the bootstrap token (workers, control plane) or a CA key (etcd).
      expect(nodeFiles(plan, node).some((f) => f.secret)).toBe(true);
      expect(outs[0]!.mode).toBe(0o600);
    }
  });

  it.each(plan.nodes.map((n) => n.name))('ignition.json of %s passes ignition-validate with no warnings', (name) => {
    if (!requireTool('ignition-validate', 'ignition')) return;
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-ign-'));
    const path = join(dir, 'ignition.json');
    writeFileSync(path, outputsByPath(plan, name).get(`nodes/${name}/ignition.json`)!.content);
    const r = run('ignition-validate', [path]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('carries the same files, contents and modes as the cloud-init output of the same plan', () => {
    const asCloudInit = switchedPlan(profile, family, 'cloud-init');
    // One plan: forcing the format changes the format and its origin, nothing else.
    expect({ ...asCloudInit, os: { ...asCloudInit.os, format: 'ignition' }, origins: { ...asCloudInit.origins, 'os.format': plan.origins['os.format'] } }).toEqual(plan);
    for (const node of plan.nodes) {
      // The hostname and the network files (network.test.ts, networkd.test.ts check those).
      const ignitionOnly = ['/etc/hostname', ...networkFiles(plan, node).map((f) => f.path)].sort();
      const ign = ignitionFiles(outputsByPath(plan, node.name).get(`nodes/${node.name}/ignition.json`)!.content);
      const ci = userDataFiles(outputsByPath(asCloudInit, node.name).get(`nodes/${node.name}/user-data`)!.content);
      expect(ci.size).toBeGreaterThan(4);
      expect([...ign.keys()].filter((p) => !ci.has(p))).toEqual(ignitionOnly);
      for (const p of ignitionOnly) ign.delete(p);
      expect(ign).toEqual(ci);
    }
  });

  it('workers carry no private key; control-plane keys arrive 0600', () => {
    for (const node of plan.nodes) {
      const json = outputsByPath(plan, node.name).get(`nodes/${node.name}/ignition.json`)!.content;
      const files = ignitionFiles(json);
      const withKeys = [...files].filter(([, f]) => f.content.toString('utf8').includes('PRIVATE KEY')).map(([p, f]) => [p, f.mode]);
      if (node.role === 'worker') {
        expect(withKeys).toEqual([]);
        expect(json.includes('PRIVATE KEY')).toBe(false);
      } else {
        expect(withKeys.length).toBeGreaterThan(0);
        for (const [, mode] of withKeys) expect(mode).toBe(0o600);
      }
    }
  });

  it('chains one oneshot unit per phase, in plan order, each requiring the one before', () => {
    for (const node of plan.nodes) {
      const config = JSON.parse(outputsByPath(plan, node.name).get(`nodes/${node.name}/ignition.json`)!.content);
      const units = config.systemd.units as { name: string; enabled: boolean; contents: string }[];
      expect(units.map((u) => u.name)).toEqual(node.phases.map((p) => `kubeseed-${p}.service`));
      units.forEach((u, i) => {
        expect(u.enabled).toBe(true);
        const lines = u.contents.split('\n');
        expect(lines).toContain(`ExecStart=${plan.os.sbinDir}/kubeseed-firstboot ${node.phases[i]}`);
        expect(lines).toContain('Type=oneshot');
        expect(lines).toContain('WantedBy=multi-user.target');
        if (i === 0) {
          expect(lines).toContain('After=network-online.target');
          expect(lines.some((l) => l.startsWith('Requires='))).toBe(false);
        } else {
          expect(lines).toContain(`After=network-online.target ${units[i - 1]!.name}`);
          expect(lines).toContain(`Requires=${units[i - 1]!.name}`);
        }
      });
    }
  });

  it('creates the binary directory and the access user with passwordless-sudo group', () => {
    const node = plan.nodes[0]!;
    const config = JSON.parse(outputsByPath(plan, node.name).get(`nodes/${node.name}/ignition.json`)!.content);
    expect(config.ignition).toEqual({ version: '3.3.0' });
    expect(config.storage.directories).toEqual([{ path: plan.os.binDir, mode: 0o755 }]);
    expect(config.passwd.users).toEqual([{ name: 'ops', sshAuthorizedKeys: plan.access.sshAuthorizedKeys, groups: ['sudo'], shell: '/bin/bash' }]);
    for (const f of config.storage.files) expect(f.overwrite).toBe(true);
    expect(decodeDataUrl(config.storage.files.find((f: { path: string }) => f.path === '/etc/hostname').contents.source).toString()).toBe(`${node.name}\n`);
  });

  it('every shell script at its Flatcar/FCOS path passes shellcheck with no warnings', () => {
    if (!requireTool('shellcheck', 'shellcheck')) return;
    const { scripts } = writeNodeFiles(plan);
    expect(scripts.length).toBeGreaterThan(0);
    expect(shellcheckFindings(scripts)).toBe('');
  });
});
