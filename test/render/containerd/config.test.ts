/**
 * containerd config.toml and hosts.toml, checked by containerd itself where it can be: every
 * version-2 file loads in the real `containerd --config FILE config dump` (Debian 12's 1.6), and
 * the dump, parsed back, holds exactly our values. Debian's containerd 1.6 ignores a
 * `version = 3` file, so v3 is checked against containerd 2.x's documented layout instead.
 */
import TOML from '@iarna/toml';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_PROFILES, planFromFile, planFromText } from '../../builders/plan.js';
import { FAMILY_CASES } from '../../golden/families.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { containerdConfigText, containerdFiles } from '../../../src/render/containerd/files.js';
import { needTools, run } from '../../helpers/tools.js';

type Table = Record<string, unknown>;

/** obj[k1][k2]... or undefined, for asserting exact key paths. */
function at(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as Table))) return undefined;
    cur = (cur as Table)[k];
  }
  return cur;
}

const PLANS: readonly { name: string; plan: ClusterPlan }[] = [
  ...EXAMPLE_PROFILES.map((p) => ({ name: p, plan: planFromFile(p) })),
  ...FAMILY_CASES.map((c) => ({ name: c.id, plan: planFromText(c.text) })),
];
const V2 = PLANS.filter((p) => p.plan.containerd.configVersion === 2);
const V3 = PLANS.filter((p) => p.plan.containerd.configVersion === 3);

describe('config version follows the containerd version', () => {
  // The containerd versions the version table supports; 1.x → 2, 2.x → 3.
  it.each([['1.7.30', 2], ['2.0.7', 3]] as const)('containerd %s → version %i', (version, expected) => {
    const plan = planFromText(FAMILY_CASES[0]!.text.replace(/version: 1\.7\.30/, `version: ${version}`));
    expect(plan.containerd.configVersion).toBe(expected);
    expect((TOML.parse(containerdConfigText(plan)) as Table).version).toBe(expected);
  });
  it('both forms are exercised here', () => {
    expect(V2.length).toBeGreaterThan(0);
    expect(V3.length).toBeGreaterThan(0);
  });
});

describe.each(V2)('config.toml v2 of $name in the real containerd', ({ plan }) => {
  it('loads, and the dump shows SystemdCgroup, the sandbox image and config_path', (ctx) => {
    needTools(ctx, 'containerd:containerd');
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-containerd-'));
    const file = join(dir, 'config.toml');
    writeFileSync(file, containerdConfigText(plan));
    const r = run('containerd', ['--config', file, 'config', 'dump']);
    expect(r.status, r.stderr).toBe(0);
    const dump = TOML.parse(r.stdout) as Table;
    const cri = ['plugins', 'io.containerd.grpc.v1.cri'];
    expect(dump.version).toBe(2);
    expect(at(dump, ...cri, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup')).toBe(true);
    expect(at(dump, ...cri, 'containerd', 'runtimes', 'runc', 'runtime_type')).toBe('io.containerd.runc.v2');
    expect(at(dump, ...cri, 'containerd', 'default_runtime_name')).toBe('runc');
    expect(at(dump, ...cri, 'sandbox_image')).toBe(plan.containerd.sandboxImage);
    expect(at(dump, ...cri, 'registry', 'config_path')).toBe('/etc/containerd/certs.d');
    expect(at(dump, 'grpc', 'address')).toBe('/run/containerd/containerd.sock');
  });

  it('a config that loses SystemdCgroup is caught by the same check', (ctx) => {
    needTools(ctx, 'containerd:containerd');
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-containerd-'));
    const file = join(dir, 'config.toml');
    writeFileSync(file, containerdConfigText(plan).replace('SystemdCgroup = true', 'SystemdCgroup = false'));
    const dump = TOML.parse(run('containerd', ['--config', file, 'config', 'dump']).stdout) as Table;
    expect(at(dump, 'plugins', 'io.containerd.grpc.v1.cri', 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup')).toBe(false);
  });
});

describe.each(V3)('config.toml v3 of $name against containerd 2.x\'s documented layout', ({ plan }) => {
  const config = TOML.parse(containerdConfigText(plan)) as Table;

  it('has exactly the documented tables and values', () => {
    // containerd docs/cri/config.md, "Config versions": the file starts with its version.
    expect(containerdConfigText(plan)).toMatch(/^(#[^\n]*\n)*version = 3\n/);
    expect(config).toEqual({
      version: 3,
      grpc: { address: '/run/containerd/containerd.sock' },
      plugins: {
        'io.containerd.cri.v1.images': {
          // docs/cri/config.md, full v3 listing: [plugins.'io.containerd.cri.v1.images'.pinned_images] sandbox
          pinned_images: { sandbox: plan.containerd.sandboxImage },
          // docs/hosts.md, "In containerd 2.x": [plugins."io.containerd.cri.v1.images".registry] config_path
          registry: { config_path: '/etc/containerd/certs.d' },
        },
        'io.containerd.cri.v1.runtime': {
          containerd: {
            // docs/cri/config.md, full v3 listing: default_runtime_name = 'runc'
            default_runtime_name: 'runc',
            runtimes: {
              runc: {
                runtime_type: 'io.containerd.runc.v2',
                // docs/cri/config.md, "Cgroup Driver", containerd 2.x:
                // [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options] SystemdCgroup = true
                options: { SystemdCgroup: true },
              },
            },
          },
        },
      },
    });
  });

  it('carries none of the v2 (containerd 1.x) CRI keys, which 2.x would read as a v2 file', () => {
    expect(at(config, 'plugins', 'io.containerd.grpc.v1.cri')).toBeUndefined();
  });
});

describe('hosts.toml per mirror (containerd docs/hosts.md)', () => {
  const plan = planFromText(FAMILY_CASES[0]!.text);
  const files = new Map(containerdFiles(plan).map((f) => [f.path, TOML.parse(String(f.content))]));

  it('one file per registry, a port kept in the directory name, _default as the fallback namespace', () => {
    expect([...files.keys()].sort()).toEqual([
      '/etc/containerd/certs.d/_default/hosts.toml',
      '/etc/containerd/certs.d/docker.io/hosts.toml',
      '/etc/containerd/certs.d/registry.local:5000/hosts.toml',
      '/etc/containerd/config.toml',
    ]);
  });

  it('docker.io falls back to its real registry host after the mirror', () => {
    expect(files.get('/etc/containerd/certs.d/docker.io/hosts.toml')).toEqual({
      server: 'https://registry-1.docker.io',
      host: { 'https://mirror.example.internal': { capabilities: ['pull', 'resolve'] } },
    });
  });

  it('a CA file is passed as ca; skip_verify is absent unless the profile sets it', () => {
    expect(files.get('/etc/containerd/certs.d/registry.local:5000/hosts.toml')).toEqual({
      server: 'https://registry.local:5000',
      host: { 'https://registry.local:5000': { capabilities: ['pull', 'resolve'], ca: '/etc/kubeseed/registry-ca.crt' } },
    });
  });

  it('_default has no server line and skip_verify only because the profile says so', () => {
    expect(files.get('/etc/containerd/certs.d/_default/hosts.toml')).toEqual({
      host: { 'http://10.0.0.5:5000': { capabilities: ['pull'], skip_verify: true } },
    });
  });

  it('mirror hosts keep the profile\'s order (containerd tries them in file order)', () => {
    const p = planFromText(FAMILY_CASES[0]!.text.replace(
      'docker.io: [ "https://mirror.example.internal" ]',
      'docker.io: [ "https://z.example.internal", "https://a.example.internal" ]',
    ));
    const docker = containerdFiles(p).find((f) => f.path.endsWith('/docker.io/hosts.toml'))!;
    expect(Object.keys((TOML.parse(String(docker.content)) as Table).host as Table)).toEqual(['https://z.example.internal', 'https://a.example.internal']);
  });
});
