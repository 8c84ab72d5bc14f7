/**
 * Which kubeseed made a tree: `kubeseed --version` (version, build commit, version table date),
 * and the version that manifest.json and bundle.json carry. The commit is printed, never written
 * into a tree (src/emit/version.ts says why).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleJson } from '../../src/emit/bundle/manifest.js';
import { KUBESEED_VERSION } from '../../src/emit/version.js';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import raw from '../../src/plan/versions.json' with { type: 'json' };
import { cli } from '../helpers/cli.js';
import { run } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const git = (...args: string[]) => run('git', ['-C', ROOT, ...args]);

describe('kubeseed version', () => {
  it("is package.json's", () => {
    expect(KUBESEED_VERSION).toBe(pkg.version);
  });

  it('--version from the sources: the version, no commit, the version table date', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`kubeseed ${pkg.version}\ncommit: none (run from the sources)\nversion table: ${raw.updated}\nnode: ${process.version} (${process.platform}-${process.arch})\n`);
  });

  it('--version of dist/cli names the commit it was built from', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n')[1]!;
    if (git('rev-parse', 'HEAD').status !== 0) {
      expect(line).toBe('commit: unknown');
      return;
    }
    // dist/ may have been built a few commits (or a rebase) ago, from a clean or a dirty
    // checkout: the commit must be one this repository has. (The single-file test compares
    // with HEAD, read just before its own build.)
    const commit = /^commit: ([0-9a-f]{40})(-dirty)?$/.exec(line)?.[1];
    expect(commit, line).toBeDefined();
    expect(git('cat-file', '-e', `${commit}^{commit}`).status, `${commit} is a commit of this repository (else: npm run build)`).toBe(0);
  });

  it('manifest.json carries the version and not the commit', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kubeseed-version-'));
    expect((await cli('compile', join(ROOT, 'profiles/lab.yaml'), '--out', out)).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'lab/manifest.json'), 'utf8'));
    expect(Object.keys(manifest)).toEqual(['kind', 'kubeseedVersion', 'cluster', 'files']);
    expect(manifest.kubeseedVersion).toBe(KUBESEED_VERSION);
  });

  it('bundle.json carries the version', () => {
    const j = JSON.parse(bundleJson({ kubernetesVersion: 'v1.31.12', arch: 'amd64', files: [], packages: [] }));
    expect(j.kubeseedVersion).toBe(KUBESEED_VERSION);
  });
});

describe("the version table's date (versions.json updated)", () => {
  it('is a calendar date, and the schema refuses what is not one', () => {
    expect(raw.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(parseVersionTable(structuredClone(raw)).updated).toBe(raw.updated);
    for (const bad of ['2026-02-30', '2026-13-01', '25.11.2026', 'yesterday']) {
      expect(() => parseVersionTable({ ...structuredClone(raw), updated: bad }), bad).toThrow(/updated/);
    }
    expect(() => parseVersionTable({ ...structuredClone(raw), updated: undefined })).toThrow(/updated/);
  });

  it('is not older than the last commit that changed a row of the table', (ctx) => {
    // Each commit that touched versions.json, newest first, with its changed lines.
    const log = git('log', '--format=%x00%H %cs', '-p', '--unified=0', '--', 'src/plan/versions.json');
    if (log.status !== 0 || git('rev-parse', '--is-shallow-repository').stdout.trim() !== 'false') {
      ctx.skip('needs the git history of src/plan/versions.json');
    }
    for (const entry of log.stdout.split('\0').slice(1)) {
      const [head, ...diff] = entry.split('\n');
      const changed = diff.filter((l) => /^[+-](?![+-]{2} )/.test(l) && !/^[+-]\s*"updated": /.test(l));
      if (changed.length === 0) continue;
      const [commit, date] = head!.split(' ');
      expect(date! <= raw.updated, `versions.json changed on ${date} (${commit}) after its "updated" date ${raw.updated}: set it to the day its rows were checked`).toBe(true);
      return;
    }
  });
});
