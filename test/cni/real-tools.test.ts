/**
 * The compressed manifest as the real consumers see it: cloud-init's schema accepts the init
 * node's user-data, and cloud-init's own write_files code writes the file byte for byte as
 * kubeseed patched it; ignition-validate accepts the Flatcar config with `compression: gzip`;
 * PyYAML (YAML 1.1, the dialect of kubectl's go-yaml) reads the patched manifest as the yaml
 * library does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { patchedManifest } from '../../src/render/cni/files.js';
import { renderNodeOutputs } from '../../src/render/node.js';
import { planFromText } from '../builders/plan.js';
import { needTools, run } from '../helpers/tools.js';
import { ignitionFiles, switchedPlan, userDataFiles } from '../render/ignition/switch.js';
import { fixtureManifest, fixtureTable, withPlugin } from './fixture-table.js';

const PLUGINS = ['calico', 'flannel'] as const;
const net = (plugin: (typeof PLUGINS)[number]) => ({ table: fixtureTable(), cniManifest: fixtureManifest(plugin) });

describe.each(PLUGINS)('%s manifest delivered to the init node', (plugin) => {
  const plan = planFromText(withPlugin(readFileSync('profiles/ha.yaml', 'utf8'), plugin), undefined, net(plugin));
  const cp1 = plan.nodes.find((n) => n.name === 'cp1')!;
  const path = plan.cni.plugin === 'none' ? '' : plan.cni.manifest.path;
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-cni-real-'));
  const userData = join(dir, 'user-data');
  writeFileSync(userData, renderNodeOutputs(plan, cp1).find((o) => o.path.endsWith('/user-data'))!.content);

  it('passes cloud-init schema', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const r = run('cloud-init', ['schema', '--config-file', userData]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`Valid cloud-config: ${userData}`);
  });

  it("is written by cloud-init's own write_files exactly as kubeseed patched it", (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init', 'python3:python3');
    const target = join(dir, 'written');
    // cloud-init's YAML loader and its write_files handler, with the path moved into the test's directory.
    const py = [
      'import sys',
      'from cloudinit import util',
      'from cloudinit.config import cc_write_files',
      'cfg = util.load_yaml(open(sys.argv[1]).read())',
      'files = [dict(f, path=sys.argv[3]) for f in cfg["write_files"] if f["path"] == sys.argv[2]]',
      'assert len(files) == 1, files',
      'cc_write_files.write_files("write_files", files, "root:root")',
    ].join('\n');
    const r = run('/usr/bin/python3', ['-c', py, userData, path, target]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe(patchedManifest(plan)!.text);
    // The tests' own decoder agrees with cloud-init's.
    expect(userDataFiles(readFileSync(userData, 'utf8')).get(path)!.content.toString('utf8')).toBe(patchedManifest(plan)!.text);
  });

  it('PyYAML reads the patched manifest as the yaml library does (YAML 1.1)', (ctx) => {
    needTools(ctx, 'python3:python3-yaml');
    const manifest = join(dir, 'manifest.yaml');
    writeFileSync(manifest, patchedManifest(plan)!.text);
    const r = run('/usr/bin/python3', ['-c', 'import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))', manifest]);
    expect(r.stderr).toBe('');
    const ours = parseAllDocuments(patchedManifest(plan)!.text, { version: '1.1' }).map((d) => d.toJS()).filter((d) => d !== null);
    expect(JSON.parse(r.stdout)).toEqual(ours);
  });

  it('on Flatcar, passes ignition-validate and inflates to the same manifest', (ctx) => {
    needTools(ctx, 'ignition-validate:ignition');
    const profile = join(dir, 'profile.yaml');
    writeFileSync(profile, withPlugin(readFileSync('profiles/ha.yaml', 'utf8'), plugin));
    const flatcar = switchedPlan(profile, 'flatcar', undefined, net(plugin));
    const node = flatcar.nodes.find((n) => n.name === 'cp1')!;
    const json = renderNodeOutputs(flatcar, node)[0]!.content as string;
    const file = join(dir, 'ignition.json');
    writeFileSync(file, json);
    const r = run('ignition-validate', [file]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    const entry = (JSON.parse(json) as { storage: { files: { path: string; contents: { compression?: string } }[] } }).storage.files.find((f) => f.path === path)!;
    expect(entry.contents.compression).toBe('gzip');
    expect(ignitionFiles(json).get(path)!.content.toString('utf8')).toBe(patchedManifest(flatcar)!.text);
  });
});
