/**
 * compile --iso with artifacts.source bundle, through the CLI: the bundle goes once into
 * OUT/<cluster>.bundle/bundle.iso (volume id KSBUNDLE) and the seed ISOs stay small, or, with
 * artifacts.bundleMedium seed, into every seed ISO. Read back with isoinfo and xorriso.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, snapshot } from '../helpers/cli.js';
import { needTools, run } from '../helpers/tools.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kubeseed-medium-'));
  roots.push(d);
  return d;
}

const NODES = ['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3'];
const BUNDLE_FILES = ['SHA256SUMS', 'bundle.json', 'kubeseed-bundle.tar'];
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** profiles/ha.yaml from an offline bundle, with `extra` lines in its artifacts section. */
function profile(dir: string, extra = ''): string {
  const file = join(dir, 'ha.yaml');
  writeFileSync(file, readFileSync('profiles/ha.yaml', 'utf8').replace('    source: online\n', `    source: bundle\n${extra}`));
  return file;
}

/** kubeseed bundle, with nothing to download: a bundle that says what it left out. */
async function bundle(file: string, out: string): Promise<void> {
  const r = await cli('bundle', file, '--out', out, '--skip', 'binaries,images,packages');
  expect(r.code, r.err).toBe(0);
}

/** Every path in the image (Rock Ridge names), as isoinfo -f lists them. */
function listing(iso: string): string[] {
  const r = run('isoinfo', ['-f', '-R', '-i', iso]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

function extract(iso: string, to: string): string {
  const r = run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', to]);
  expect(r.status, r.stderr).toBe(0);
  return to;
}

const identity = (path: string): string => {
  const s = statSync(path, { bigint: true });
  return `${s.ino} ${s.mtimeNs} ${s.ctimeNs}`;
};

describe('compile --iso with an offline bundle', () => {
  it('writes the bundle once as bundle.iso (KSBUNDLE) beside the bundle, keeps it while the bundle is unchanged, and the seeds carry no bundle', async (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso');
    const dir = tmp();
    const out = join(dir, 'out');
    const file = profile(dir);
    await bundle(file, out);
    const bundleDir = join(out, 'ha.bundle');
    const iso = join(bundleDir, 'bundle.iso');

    const r = await cli('compile', file, '--out', out, '--iso');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[1]).toBe(`${iso}: bundle medium (volume id KSBUNDLE) for every node, written`);
    const info = run('isoinfo', ['-d', '-i', iso]);
    expect(info.stdout).toMatch(/^Volume id: KSBUNDLE$/m);
    expect(listing(iso)).toEqual(BUNDLE_FILES.map((f) => `/${f}`).sort());
    const fromIso = extract(iso, join(dir, 'medium'));
    for (const f of BUNDLE_FILES) expect(sha256(join(fromIso, f)), f).toBe(sha256(join(bundleDir, f)));
    // manifest.json names the medium the seeds go with, apart from the tree's own files.
    const manifest = JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8'));
    expect(manifest.bundleMedium).toEqual({ path: '../ha.bundle/bundle.iso', volumeId: 'KSBUNDLE', sha256: sha256(iso), size: statSync(iso).size });
    expect(manifest.files.some((f: { path: string }) => f.path.includes('bundle'))).toBe(false);
    // Each seed: its own files and secrets only; none of the bundle.
    for (const node of NODES) {
      const seed = join(out, 'ha', 'nodes', node, 'seed.iso');
      const paths = listing(seed);
      expect(paths.filter((p) => !p.startsWith('/kubeseed/secrets')), node).toEqual(['/kubeseed', '/meta-data', '/network-config', '/user-data']);
      expect(statSync(seed).size, node).toBeLessThan(512 * 1024);
    }

    // The same bundle again: no ISO write at all, and the tree is byte-identical.
    const tree = snapshot(join(out, 'ha'));
    const before = identity(iso);
    const again = await cli('compile', file, '--out', out, '--iso');
    expect(again.code, again.err).toBe(0);
    expect(again.out.split('\n')[1]).toBe(`${iso}: bundle medium (volume id KSBUNDLE) for every node, unchanged, kept`);
    expect(identity(iso)).toBe(before);
    expect(snapshot(join(out, 'ha'))).toEqual(tree);

    // A bundle built again replaces OUT/ha.bundle/ whole: the next compile writes the medium anew.
    await bundle(file, out);
    expect(existsSync(iso)).toBe(false);
    const third = await cli('compile', file, '--out', out, '--iso');
    expect(third.code, third.err).toBe(0);
    expect(third.out.split('\n')[1]).toBe(`${iso}: bundle medium (volume id KSBUNDLE) for every node, written`);
    expect(JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8')).bundleMedium.sha256).toBe(sha256(iso));
  });

  it('with artifacts.bundleMedium seed puts the bundle into every seed ISO and writes no bundle.iso', async (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso');
    const dir = tmp();
    const out = join(dir, 'out');
    const file = profile(dir, '    bundleMedium: seed\n');
    await bundle(file, out);
    const bundleDir = join(out, 'ha.bundle');
    const r = await cli('compile', file, '--out', out, '--iso');
    expect(r.code, r.err).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(1);
    expect(readdirSync(bundleDir).sort()).toEqual(BUNDLE_FILES);
    expect(JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8')).bundleMedium).toBeUndefined();
    for (const node of NODES) {
      const seed = join(out, 'ha', 'nodes', node, 'seed.iso');
      const bundled = listing(seed).filter((p) => !p.startsWith('/kubeseed/secrets') && p.startsWith('/kubeseed/'));
      expect(bundled, node).toEqual(BUNDLE_FILES.map((f) => `/kubeseed/${f}`).sort());
      const x = extract(seed, join(dir, `seed-${node}`));
      for (const f of BUNDLE_FILES) expect(sha256(join(x, 'kubeseed', f)), `${node} ${f}`).toBe(sha256(join(bundleDir, f)));
    }
  });

  it('without a built bundle stops naming the missing file, and writes no tree and no medium', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const file = profile(dir);
    const r = await cli('compile', file, '--out', out, '--iso');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(out, 'ha.bundle', 'kubeseed-bundle.tar')} is missing: run "kubeseed bundle" first (artifacts.source is bundle)`);
    expect(existsSync(join(out, 'ha'))).toBe(false);
    expect(existsSync(join(out, 'ha.bundle'))).toBe(false);
  });

  it('explain says where the bundle goes and where nodes look for it, in order', async () => {
    const dir = tmp();
    const line = async (extra: string) => {
      const r = await cli('explain', profile(dir, extra), '--out', join(dir, 'out'));
      expect(r.code, r.err).toBe(0);
      return r.out.split('\n').find((l) => l.startsWith('  artifacts '));
    };
    expect(await line('')).toBe('  artifacts bundle (amd64); bundle medium shared: compile --iso writes it once as ha.bundle/bundle.iso (volume id KSBUNDLE) for every node '
      + '(default: spec.artifacts.bundleMedium); nodes look for it at the bundle medium (label KSBUNDLE), then the seed ISO (label cidata), then kubeseed.bundle= (netboot)');
    expect(await line('    bundleMedium: seed\n')).toBe('  artifacts bundle (amd64); bundle medium seed: compile --iso puts the bundle into every seed ISO '
      + '(explicit: spec.artifacts.bundleMedium); nodes look for it at the seed ISO (label cidata), then the bundle medium (label KSBUNDLE), then kubeseed.bundle= (netboot)');
    expect(await line('    bundlePath: /opt/kubeseed/kubeseed-bundle.tar\n')).toBe('  artifacts bundle (amd64); bundle at /opt/kubeseed/kubeseed-bundle.tar; '
      + 'nodes look for it at /opt/kubeseed/kubeseed-bundle.tar, then the bundle medium (label KSBUNDLE), then the seed ISO (label cidata), then kubeseed.bundle= (netboot)');
  });

  it('without --iso writes no medium', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const file = profile(dir);
    await bundle(file, out);
    const r = await cli('compile', file, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(out, 'ha.bundle')).sort()).toEqual(BUNDLE_FILES);
    expect(JSON.parse(readFileSync(join(out, 'ha', 'manifest.json'), 'utf8')).bundleMedium).toBeUndefined();
  });
});
