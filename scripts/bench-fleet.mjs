#!/usr/bin/env node
// Air-gapped fleet: `compile --iso` of a generated cluster of 200 nodes (3 control-plane, 197
// workers) with artifacts.source bundle and a bundle of about 1 GiB, in each layout asked for
// (spec.artifacts.bundleMedium: seed, the bundle in every seed ISO; shared, one bundle medium
// beside small seeds; `--medium default` leaves the field out), by the built CLI in a child
// (bench-child.mjs), twice: a first compile --iso and a re-compile over it (a layout that reuses
// an unchanged bundle medium shows it there), after an untimed compile without --iso that makes
// the cluster's state. Prints for each the wall time, the bytes the compile
// wrote (wchar of its /proc/self/io: every write(2)), and the ISOs it left: the seed ISOs (count,
// total, largest) and any other ISO (a shared bundle medium). Whichever layout the compile uses,
// every seed ISO carrying the bundle or one bundle medium beside small seeds, is read from what
// it wrote.
//
// The bundle is what compile --iso reads: bundle.json and SHA256SUMS as `kubeseed bundle` writes
// them for the profile (binaries and images skipped: nothing is downloaded here) and a
// kubeseed-bundle.tar written by the bundle's tar writer holding them and a filler of random
// bytes (images/bench-filler.tar) up to the size asked. No node installs from it.
//
// A fleet that would not fit the disk budget (--budget-gib; default the smaller of 16 GiB and half
// the free space; both compiles' trees stay on disk) is measured on as many nodes as fit, after a
// 3-node probe that gives the bytes per node, and extrapolated in proportion to the fleet, as said
// in the output.
//
//   npm run build && node scripts/bench-fleet.mjs [--nodes 200] [--bundle-mib 1024] [--medium seed,shared] [--dir DIR] [--budget-gib N] [--smoke]
//
// --smoke: 3 nodes, a 2 MiB bundle (what the test suite runs to keep this script working).
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { fsType, runCompile } from './bench-compile.mjs';
import { generatedProfile } from './generated-profile.mjs';

const dist = join(import.meta.dirname, '..', 'dist');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const smoke = args.includes('--smoke');
const nodes = smoke ? 3 : Number(opt('--nodes', '200'));
const bundleMiB = smoke ? 2 : Number(opt('--bundle-mib', '1024'));
const base = opt('--dir', tmpdir());
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const free = (() => {
  const s = statfsSync(base);
  return s.bavail * s.bsize;
})();
const budget = Number(opt('--budget-gib', '0')) * GiB || Math.min(16 * GiB, free / 2);
const CLUSTER = 'fleet';
const media = opt('--medium', 'seed,shared').split(',');

const { buildBundle } = await import(join(dist, 'emit/bundle/index.js'));
const { writeTar } = await import(join(dist, 'emit/bundle/tar.js'));
const { neededArtifacts } = await import(join(dist, 'plan/artifacts.js'));

function profileOf(count, medium = 'default') {
  const p = generatedProfile(count - 3);
  p.metadata.name = CLUSTER;
  p.spec.artifacts = { source: 'bundle', ...(medium === 'default' ? {} : { bundleMedium: medium }) };
  // Quicker to make (the smoke test); the state is made before anything is timed anyway.
  if (smoke) p.spec.pki = { keyAlgorithm: 'ecdsa' };
  return p;
}

/** The bundle directory compile reads: kubeseed's bundle.json and SHA256SUMS, a tar of `mib` MiB. */
async function makeBundle(work, mib) {
  const p = profileOf(3);
  const facts = { kubernetesVersion: p.spec.kubernetes.version, arch: 'amd64', osFamily: p.spec.os.family };
  const dir = join(work, 'bundle');
  await buildBundle({ artifacts: neededArtifacts(facts), cacheDir: join(work, 'cache'), outDir: dir, skip: ['binaries', 'images'] });
  const filler = join(work, 'filler');
  const fd = openSync(filler, 'w');
  const h = createHash('sha256');
  const chunk = Buffer.allocUnsafe(8 * MiB);
  const size = mib * MiB - 64 * 1024;
  for (let left = size; left > 0; left -= chunk.length) {
    const part = randomFillSync(chunk).subarray(0, Math.min(left, chunk.length));
    writeSync(fd, part);
    h.update(part);
  }
  closeSync(fd);
  const tar = join(dir, 'kubeseed-bundle.tar');
  rmSync(tar);
  await writeTar(tar, [
    { type: 'buffer', path: 'bundle.json', mode: 0o644, content: readFileSync(join(dir, 'bundle.json')) },
    { type: 'buffer', path: 'SHA256SUMS', mode: 0o644, content: readFileSync(join(dir, 'SHA256SUMS')) },
    { type: 'directory', path: 'images', mode: 0o755 },
    { type: 'file', path: 'images/bench-filler.tar', mode: 0o644, source: filler, size, sha256: h.digest('hex'), label: filler },
  ], { mtime: new Date(0) });
  rmSync(filler);
  return dir;
}

/** A fresh output directory holding the bundle where compile looks for it (the tar hard-linked). */
function outputWithBundle(work, name, bundle) {
  const out = join(work, name);
  const dir = join(out, `${CLUSTER}.bundle`);
  mkdirSync(dir, { recursive: true });
  linkSync(join(bundle, 'kubeseed-bundle.tar'), join(dir, 'kubeseed-bundle.tar'));
  for (const f of ['bundle.json', 'SHA256SUMS']) copyFileSync(join(bundle, f), join(dir, f));
  return out;
}

/** Every *.iso under `out` except in hidden (staging, previous) trees: seeds and others. */
function isosOf(out) {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.iso')) found.push({ path: relative(out, p), size: statSync(p).size });
    }
  };
  walk(out);
  const seeds = found.filter((f) => f.path.endsWith('/seed.iso'));
  return { seeds, others: found.filter((f) => !f.path.endsWith('/seed.iso')) };
}

function compileFleet(work, name, count, bundle, medium) {
  const profile = join(work, `${name}.yaml`);
  writeFileSync(profile, stringify(profileOf(count, medium)));
  const out = outputWithBundle(work, name, bundle);
  // Untimed: makes the cluster's state (keys), which is not what this measures.
  runCompile(profile, out);
  const runs = [];
  for (const label of ['first compile', 're-compile']) {
    const r = runCompile(profile, out, ['--iso']);
    runs.push({ label, wallMs: r.wallMs, wrote: r.wroteBytes, maxRssKb: r.maxRssKb, ...isosOf(out) });
  }
  return runs;
}

const gib = (b) => `${(b / GiB).toFixed(2)} GiB`;
const size = (b) => (b >= GiB ? gib(b) : `${(b / MiB).toFixed(1)} MiB`);

const work = mkdtempSync(join(base, 'kubeseed-bench-fleet-'));
try {
  const bundle = await makeBundle(work, bundleMiB);
  const tarBytes = statSync(join(bundle, 'kubeseed-bundle.tar')).size;
  console.log(`bench-fleet: compile --iso, artifacts.source bundle, bundle tar ${size(tarBytes)}, --out on ${base} (${fsType(base)}); 2 cores shared with other work`);
  for (const medium of media) {
    console.log(`spec.artifacts.bundleMedium: ${medium}`);
    let measured = nodes;
    if (nodes > 3) {
      const p = compileFleet(work, 'probe', 3, bundle, medium)[0];
      const perNode = p.seeds.reduce((n, s) => n + s.size, 0) / p.seeds.length;
      const shared = p.others.reduce((n, s) => n + s.size, 0);
      // Two compiles' trees stay on disk.
      measured = Math.max(3, Math.min(nodes, Math.floor((budget / 2 - shared) / perNode)));
      rmSync(join(work, 'probe'), { recursive: true, force: true });
    }
    for (const r of compileFleet(work, 'fleet', measured, bundle, medium)) {
      const seedBytes = r.seeds.reduce((n, s) => n + s.size, 0);
      const largest = Math.max(...r.seeds.map((s) => s.size));
      const others = r.others.map((o) => `${o.path} ${size(o.size)}`).join(', ') || 'none';
      console.log(`  ${measured} nodes, ${r.label}: wall ${(r.wallMs / 1000).toFixed(1)} s, wrote ${size(r.wrote)}, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB; `
        + `${r.seeds.length} seed ISOs, ${size(seedBytes)} in all, largest ${size(largest)}; other ISOs: ${others}`);
      if (measured < nodes) {
        // In proportion: per node, every seed ISO costs the same (its bytes, its hash).
        const scale = nodes / measured;
        console.log(`  ${nodes} nodes, ${r.label}, extrapolated in proportion from ${measured} (two compiles of ${nodes} would need more than the ${gib(budget)} budget): `
          + `wall ${((r.wallMs * scale) / 1000).toFixed(0)} s, writes ${size(r.wrote * scale)}`);
      }
    }
    rmSync(join(work, 'fleet'), { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
