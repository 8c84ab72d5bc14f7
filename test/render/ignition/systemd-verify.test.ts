/**
 * The phase units, checked by systemd's own parser: `systemd-analyze verify` in a root that
 * holds every file the Ignition config writes (so ExecStart must name a file the config lays
 * down, executable) plus the host's stock units (network-online.target, multi-user.target).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderNodeOutputs } from '../../../src/render/node.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { needPrerequisite, needTools, run } from '../../helpers/tools.js';
import { IGNITION_FAMILIES, ignitionFiles, switchedPlan } from './switch.js';

const HOST_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'multi-user.target')));

function rootFor(json: string): { root: string; units: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'kubeseed-root-'));
  if (HOST_UNITS) cpSync(HOST_UNITS, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const [path, f] of ignitionFiles(json)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), f.content);
    chmodSync(join(root, path), f.mode);
  }
  const config = JSON.parse(json) as { systemd: { units: { name: string; contents: string }[] } };
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  for (const u of config.systemd.units) writeFileSync(join(root, 'etc/systemd/system', u.name), u.contents);
  return { root, units: config.systemd.units.map((u) => u.name) };
}

describe('systemd-analyze verify', () => {
  // systemd-analyze verify needs the stock units the phase units order against.
  beforeEach((ctx) => {
    needTools(ctx, 'systemd-analyze:systemd');
    needPrerequisite(ctx, HOST_UNITS !== undefined, 'a systemd unit directory with multi-user.target (/usr/lib/systemd/system or /lib/systemd/system)');
  });

  it('notices a unit it cannot parse, so a pass below means something', () => {
    const plan = switchedPlan('profiles/lab.yaml', 'flatcar');
    const json = String(renderNodeOutputs(plan, plan.nodes[0]!)[0]!.content);
    const { root, units } = rootFor(json);
    writeFileSync(join(root, 'etc/systemd/system', units[0]!), '[Service]\nTyp=oneshot\nExecStart=/nonexistent\n');
    const r = run('systemd-analyze', ['verify', `--root=${root}`, units[0]!]);
    expect(r.stdout + r.stderr).not.toBe('');
  });

  describe.each(EXAMPLE_PROFILES.flatMap((p) => IGNITION_FAMILIES.map((f) => [p, f] as const)))('%s as %s', (profile, family) => {
    const plan = switchedPlan(profile, family);
    it.each(plan.nodes.map((n) => n.name))('the phase units of %s verify clean', (name) => {
      const node = plan.nodes.find((n) => n.name === name)!;
      const { root, units } = rootFor(String(renderNodeOutputs(plan, node)[0]!.content));
      expect(units.length).toBe(node.phases.length);
      const r = run('systemd-analyze', ['verify', `--root=${root}`, ...units]);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  });
});
