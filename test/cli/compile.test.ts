import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_PROFILES } from '../builders/plan.js';
import { cli, snapshot } from '../helpers/cli.js';
import { needTools, run } from '../helpers/tools.js';
import { BAD_CASES } from '../profile/bad-profiles.js';
import { switchedProfileText } from '../render/ignition/switch.js';
import { UsageError } from '../../src/cli/args.js';
import { sourceDateEpoch } from '../../src/cli/source-date-epoch.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'kubeseed-cli-'));

describe('kubeseed compile', () => {
  it('--iso: each seed ISO holds meta-data and network-config as the tree has them, a user-data without secrets, and the secrets apart under kubeseed/secrets/, 0600', async (ctx) => {
    needTools(ctx, 'xorriso:xorriso');
    const out = tmp();
    const r = await cli('compile', 'profiles/ha.yaml', '--out', out, '--iso');
    expect(r.code, r.err).toBe(0);
    const snap = snapshot(join(out, 'ha'));
    const manifest = JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8'));
    const state = JSON.parse(readFileSync(join(out, 'ha.state', 'state.json'), 'utf8'));
    const nodes = ['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3'];
    for (const node of nodes) {
      const iso = join(out, 'ha', 'nodes', node, 'seed.iso');
      const entry = manifest.files.find((f: { path: string }) => f.path === `nodes/${node}/seed.iso`);
      expect(`${entry.mode.slice(1)} ${entry.sha256}`).toBe(snap[`nodes/${node}/seed.iso`]);
      expect(entry.mode).toBe('0600');
      const dir = join(out, `extract-${node}`);
      const x = run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', dir]);
      expect(x.status, x.stderr).toBe(0);
      const onIso = snapshot(dir);
      for (const f of ['meta-data', 'network-config']) expect(onIso[f]).toBe(snap[`nodes/${node}/${f}`]);
      // The ISO's user-data plus its kubeseed/secrets/ files are exactly what the tree's
      // user-data carries, its staged copies (under /run/kubeseed/secrets) at their own paths.
      const isoUserData = readFileSync(join(dir, 'user-data'), 'utf8');
      expect(isoUserData).not.toContain(state.bootstrapToken.token);
      expect(isoUserData).not.toContain('PRIVATE KEY');
      expect(onIso['user-data']!.split(' ')[0]).toBe('644');
      const carried = (text: string) => new Map((parseYaml(text).write_files as { path: string; content: string; permissions: string }[])
        .map((w) => [w.path, `${w.permissions} ${w.content}`]));
      const secrets = Object.keys(onIso).filter((p) => p.startsWith('kubeseed/secrets/')).sort();
      expect(secrets.length).toBeGreaterThan(0);
      const fromIso = carried(isoUserData);
      for (const p of secrets) {
        expect(onIso[p]!.split(' ')[0], p).toBe('600');
        fromIso.set(p.slice('kubeseed/secrets'.length), `0600 ${readFileSync(join(dir, p), 'utf8')}`);
      }
      const fromTree = new Map([...carried(readFileSync(join(out, 'ha', 'nodes', node, 'user-data'), 'utf8'))]
        .map(([p, v]) => [p.replace(/^\/run\/kubeseed\/secrets\//, '/'), v]));
      expect(new Map([...fromIso].sort())).toEqual(new Map([...fromTree].sort()));
      expect(Object.keys(onIso).filter((p) => !p.startsWith('kubeseed/secrets/')).sort()).toEqual(['meta-data', 'network-config', 'user-data']);
    }
    rmSync(out, { recursive: true, force: true });
  });

  it.each(EXAMPLE_PROFILES)('%s: compiling twice gives byte-identical trees', async (profile) => {
    const out = tmp();
    const first = await cli('compile', profile, '--out', out);
    expect(first.code, first.err).toBe(0);
    const name = JSON.parse(readFileSync(join(out, readFileSync(profile, 'utf8').match(/name: (\S+)/)![1]!, 'manifest.json'), 'utf8')).cluster as string;
    const a = snapshot(join(out, name));
    const state = snapshot(join(out, `${name}.state`));
    const second = await cli('compile', profile, '--out', out);
    expect(second.code, second.err).toBe(0);
    expect(snapshot(join(out, name))).toEqual(a);
    expect(snapshot(join(out, `${name}.state`))).toEqual(state);
    rmSync(out, { recursive: true, force: true });
  });

  it('writes secrets 0600 and lists every file in manifest.json with its sha256 and mode', async () => {
    const out = tmp();
    expect((await cli('compile', 'profiles/ha.yaml', '--out', out)).code).toBe(0);
    const snap = snapshot(join(out, 'ha'));
    const manifest = JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8'));
    const listed = Object.fromEntries(manifest.files.map((f: { path: string; mode: string; sha256: string }) => [f.path, `${f.mode.slice(1)} ${f.sha256}`]));
    const { 'manifest.json': _m, ...rest } = snap;
    expect(listed).toEqual(rest);
    expect(snap['admin.conf']!.split(' ')[0]).toBe('600');
    expect(snap['nodes/cp1/user-data']!.split(' ')[0]).toBe('600');
    expect(Object.values(snapshot(join(out, 'ha.state'))).every((v) => v.startsWith('600 '))).toBe(true);
  });

  describe('bad profiles: exit 2, the diagnostic, and out/ left exactly as it was', () => {
    let out: string;
    let before: Record<string, string>;
    beforeAll(async () => {
      out = tmp();
      // A previous good compile of a cluster named like the bad profiles' ("t").
      const good = join(out, 'good.yaml');
      writeFileSync(good, (await import('../profile/bad-profiles.js')).BASE);
      expect((await cli('compile', good, '--out', out)).code).toBe(0);
      before = snapshot(out);
    });

    it.each(BAD_CASES)('$name', async ({ text, expected }) => {
      const file = join(out, 'bad.yaml');
      writeFileSync(file, text);
      before[`bad.yaml`] = snapshot(out)['bad.yaml']!;
      const r = await cli('compile', file, '--out', out);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.split('\n')[0]).toBe(`${file}:${expected}`);
      expect(snapshot(out)).toEqual(before);
    });
  });

  it('a deleted state file fails with exit 1 naming it, and nothing is regenerated', async () => {
    const out = tmp();
    expect((await cli('compile', 'profiles/lab.yaml', '--out', out)).code).toBe(0);
    const tree = snapshot(out);
    rmSync(join(out, 'lab.state', 'etcd', 'ca.key'));
    const r = await cli('compile', 'profiles/lab.yaml', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(out, 'lab.state', 'etcd', 'ca.key'));
    const { 'lab.state/etcd/ca.key': _gone, ...rest } = tree;
    expect(snapshot(out)).toEqual(rest);
  });

  describe('--platform ec2', () => {
    it('--gzip: every node over the limit is named with the way out (exit 2), and nothing is written', async () => {
      const out = tmp();
      const r = await cli('compile', 'profiles/ha.yaml', '--out', out, '--platform', 'ec2', '--gzip');
      expect(r.code).toBe(2);
      const errors = r.err.split('\n').filter((l) => l.startsWith('error: '));
      // No node fits (README, "VM templates and clouds"): each is named with the way out.
      expect(errors.map((l) => l.split(' ')[1])).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3'].map((n) => `nodes/${n}/user-data`));
      for (const l of errors) expect(l).toMatch(/^error: nodes\/(cp|w)\d\/user-data \(gzip\) is \d+ bytes, over EC2's 16384-byte user-data limit; serve user-data\.gz from a URL .*"#include"/);
      expect(readdirSync(out)).toEqual([]);
    });

    it('Flatcar: ignition.json is checked too; --gzip is refused for Ignition', async () => {
      const out = tmp();
      const file = join(out, 'flatcar.yaml');
      writeFileSync(file, switchedProfileText('profiles/lab.yaml', 'flatcar'));
      const r = await cli('compile', file, '--out', out, '--platform', 'ec2');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error: nodes\/lab1\/ignition\.json is \d+ bytes, over EC2's 16384-byte user-data limit; serve ignition\.json from a URL /m);
      const g = await cli('compile', file, '--out', out, '--platform', 'ec2', '--gzip');
      expect(g.code).toBe(2);
      expect(g.err.split('\n').at(-2)).toBe('kubeseed compile: --gzip writes user-data.gz, which cloud-init reads; Ignition nodes take ignition.json uncompressed');
    });
  });

  it('a mistyped command gets "did you mean", a far one does not', async () => {
    const r = await cli('compil', 'profiles/ha.yaml');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('kubeseed: unknown command "compil"; did you mean compile?');
    expect((await cli('bundel')).err.split('\n')[0]).toBe('kubeseed: unknown command "bundel"; did you mean bundle?');
    expect((await cli('nonsense')).err.split('\n')[0]).toBe('kubeseed: unknown command "nonsense"');
  });

  it('SOURCE_DATE_EPOCH: one reading for compile, explain and bundle; a malformed value is bad input', async () => {
    expect(sourceDateEpoch({})).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '' })).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    for (const bad of ['-1', '1.5', 'yesterday', '99999999999999999999']) expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: bad })).toThrow(UsageError);
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = 'yesterday';
    try {
      for (const argv of [['compile', 'profiles/lab.yaml', '--out', tmp()], ['explain', 'profiles/lab.yaml', '--out', tmp()], ['bundle', 'profiles/lab.yaml', '--from', tmp(), '--out', tmp()]]) {
        const r = await cli(...argv);
        expect(r.code, argv[0]).toBe(2);
        expect(r.err.split('\n').at(-2), argv[0]).toBe(`kubeseed ${argv[0]}: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, got "yesterday"`);
      }
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  });

  it('a usage error, or user-data over a platform limit, exits 2 and leaves no state directory behind', async () => {
    const out = tmp();
    const iso = await cli('compile', 'profiles/ha.yaml', '--out', out, '--format', 'ignition', '--iso');
    expect(iso.code).toBe(2);
    expect(iso.err).toBe('kubeseed compile: --iso makes NoCloud seeds for cloud-init; Ignition nodes take ignition.json\n');
    // ha's control-plane user-data is over EC2's 16,384 bytes.
    const big = await cli('compile', 'profiles/ha.yaml', '--out', out, '--platform', 'ec2');
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/^error: nodes\/cp1\/user-data is \d+ bytes, over EC2's 16384-byte user-data limit/m);
    expect(readdirSync(out)).toEqual([]);
    // The same compile that fits makes the state, once.
    const ok = await cli('compile', 'profiles/ha.yaml', '--out', out);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toContain(`state: created ${join(out, 'ha.state')}`);
    expect(readdirSync(out).sort()).toEqual(['ha', 'ha.state']);
    rmSync(out, { recursive: true, force: true });
  });

  it('usage errors exit 2', async () => {
    expect((await cli('compile')).code).toBe(2);
    expect((await cli('compile', 'profiles/ha.yaml', '--bogus')).code).toBe(2);
    expect((await cli('nonsense')).code).toBe(2);
    expect((await cli('compile', '--help')).code).toBe(0);
  });

  it('--help prints the command\'s usage on stdout, exit 0, for every command', async () => {
    for (const argv of [['validate', '--help'], ['compile', '-h'], ['explain', 'profiles/ha.yaml', '--help'], ['state', '--help'], ['state', 'show', '--help'], ['bundle', '--help']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out, argv.join(' ')).toMatch(new RegExp(`^usage: kubeseed ${argv[0]} `));
      expect(r.err).toBe('');
    }
  });

  it('a missing profile file is bad input naming it', async () => {
    const r = await cli('validate', 'profiles/nope.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toBe('profiles/nope.yaml:1:1 error (document): cannot read profile: no such file\n');
  });
});
