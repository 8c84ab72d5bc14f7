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
import { needTools, run } from '../../helpers/tools.js';
import { IGNITION_FAMILIES, decodeDataUrl, ignitionFiles, switchedPlan, userDataFiles, type Received } from './switch.js';

const CASES = EXAMPLE_PROFILES.flatMap((profile) => IGNITION_FAMILIES.map((family) => [profile, family] as const));

function outputsByPath(plan: ReturnType<typeof switchedPlan>, name: string): Map<string, { content: string; mode: number }> {
  const node = plan.nodes.find((n) => n.name === name)!;
  return new Map(renderNodeOutputs(plan, node).map((o) => [o.path, { content: String(o.content), mode: o.mode }]));
}

describe('ignition-validate itself', () => {
  it('rejects a config with a broken field, so a pass below means something', (ctx) => {
    needTools(ctx, 'ignition-validate:ignition');
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

  it.for(plan.nodes.map((n) => n.name))('ignition.json of %s passes ignition-validate with no warnings', (name, ctx) => {
    needTools(ctx, 'ignition-validate:ignition');
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
    expect({ ...asCloudInit, os: { ...asCloudInit.os, format: 'ignition' }, secretStaging: plan.secretStaging, origins: { ...asCloudInit.origins, 'os.format': plan.origins['os.format'] } }).toEqual(plan);
    // Both stage the secret files for the secrets phase, each in its own place: cloud-init on the
    // /run tmpfs, Ignition on the root disk (the only file system it writes).
    expect([asCloudInit.secretStaging, plan.secretStaging]).toEqual(['/run/kubeseed/secrets', '/var/lib/kubeseed/staged-secrets']);
    // Compared as the node ends up after the secrets phase: staged files at their paths, and the
    // staging directory (which lib.sh names) written as one placeholder.
    const unstaged = (files: Map<string, Received>, staging: string) =>
      new Map([...files].map(([p, f]) => [
        p.startsWith(`${staging}/`) ? p.slice(staging.length) : p,
        { ...f, content: Buffer.from(f.content.toString('latin1').replaceAll(staging, '<staging>'), 'latin1') },
      ]));
    for (const node of plan.nodes) {
      // The hostname and the network files (network.test.ts, networkd.test.ts check those).
      const ignitionOnly = ['/etc/hostname', ...networkFiles(plan, node).map((f) => f.path)].sort();
      const ignStaged = ignitionFiles(outputsByPath(plan, node.name).get(`nodes/${node.name}/ignition.json`)!.content);
      const ciStaged = userDataFiles(outputsByPath(asCloudInit, node.name).get(`nodes/${node.name}/user-data`)!.content);
      expect([...ignStaged.keys()].filter((p) => p.startsWith(`${plan.secretStaging}/`)).map((p) => p.slice(plan.secretStaging.length))).toEqual(node.secretPaths);
      expect([...ciStaged.keys()].filter((p) => p.startsWith(`${asCloudInit.secretStaging}/`)).map((p) => p.slice(asCloudInit.secretStaging.length))).toEqual(node.secretPaths);
      const ign = unstaged(ignStaged, plan.secretStaging);
      const ci = unstaged(ciStaged, asCloudInit.secretStaging);
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
    expect(config.storage.directories).toEqual([
      { path: plan.os.binDir, mode: 0o755 },
      // The staged secret files' directory and kubeseed's state directory around it: root only.
      { path: '/var/lib/kubeseed', mode: 0o700 },
      { path: '/var/lib/kubeseed/staged-secrets', mode: 0o700 },
    ]);
    expect(config.passwd.users).toEqual([{ name: 'ops', sshAuthorizedKeys: plan.access.sshAuthorizedKeys, groups: ['sudo'], shell: '/bin/bash' }]);
    for (const f of config.storage.files) expect(f.overwrite).toBe(true);
    expect(decodeDataUrl(config.storage.files.find((f: { path: string }) => f.path === '/etc/hostname').contents.source).toString()).toBe(`${node.name}\n`);
  });

  it('every shell script at its Flatcar/FCOS path passes shellcheck with no warnings', (ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const { scripts } = writeNodeFiles(plan);
    expect(scripts.length).toBeGreaterThan(0);
    expect(shellcheckFindings(scripts)).toBe('');
  });
});
