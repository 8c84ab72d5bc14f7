#!/usr/bin/env node
// ISO writing, whole processes side by side in one run: kubeseed's writer (a node process that
// loads dist/emit/iso and writes one image: start-up included, as a user pays it), genisoimage
// and `xorriso -as mkisofs`, each with Joliet and Rock Ridge, on the same incompressible files,
// on tmpfs (/dev/shm) and on the disk (os.tmpdir()), at 256 MiB, 1 GiB and one sparse file over
// 4 GiB (every tool reads its holes as zeros and writes them out in full; genisoimage needs
// -allow-limited-size for it). Each round runs the three in turn, the order rotating, after
// `sync` so that none pays for another's dirty pages; one untimed run of each comes first so that
// all read the files from the page cache. Prints, per place and size, each tool's median wall
// time (min-max), throughput (MB/s = 10^6 bytes of input per second) and CPU time (user+system,
// from /proc/self/stat, 10 ms ticks), kubeseed's peak RSS, and the ratios of kubeseed's
// throughput to the others' (median and min-max of the rounds' ratios; targets: >= 1.0 against
// genisoimage, >= 1.3 against xorriso). Node's own start-up (an empty script, timed in the same
// rounds) is printed too: a fixed cost that the small sizes show.
//
//   npm run build && node scripts/bench-iso.mjs [--rounds 3] [--sizes 256,1024,4160] [--dirs /dev/shm,/tmp] [--smoke]
//
// --smoke: 2 MiB, one round, os.tmpdir() only (what the test suite runs to keep this script working).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modPath = join(here, '..', 'dist', 'emit', 'iso', 'index.js');
const MiB = 1024 * 1024;

function walk(root, dir = root) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(root, p));
    else out.push({ local: p, iso: relative(root, p) });
  }
  return out;
}

// Child mode: write one image with kubeseed's writer; print its own peak RSS as JSON.
if (process.argv[2] === '--child') {
  const [, , , tree, out] = process.argv;
  const { writeIso, isoFileFromPath } = await import(pathToFileURL(modPath).href);
  const files = await Promise.all(walk(tree).map((f) => isoFileFromPath(f.local, f.iso)));
  await writeIso(files, { volumeId: 'cidata', epochSeconds: 1_700_000_000 }, out);
  console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

// Loaded here, not at the top: the child above loads nothing but the writer.
const { fsType } = await import('./bench-compile.mjs');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const smoke = args.includes('--smoke');
const rounds = smoke ? 1 : Number(opt('--rounds', '3'));
const sizes = (smoke ? '2' : opt('--sizes', '256,1024,4160')).split(',').map(Number);
const dirs = (smoke ? tmpdir() : opt('--dirs', [existsSync('/dev/shm') ? '/dev/shm' : null, tmpdir()].filter(Boolean).join(','))).split(',');

if (!existsSync(modPath)) {
  console.error(`bench-iso: ${modPath} is missing; run \`npm run build\` first`);
  process.exit(2);
}
for (const [tool, pkg] of [['genisoimage', 'genisoimage'], ['xorriso', 'xorriso']]) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench-iso: needs ${tool} (apt-get install -y ${pkg})`);
    process.exit(2);
  }
}

/**
 * The input tree of `mib` MiB: below 4 GiB, a seed's shape (user-data, meta-data, network-config
 * and a bundle's worth of binaries and images, random bytes, one size not a block multiple);
 * above, one sparse file with a few bytes written around the 4 GiB extent limit.
 */
function makeTree(tree, mib) {
  const total = mib * MiB;
  const files = total > 4 * 1024 * MiB
    ? { 'user-data': 4096, 'meta-data': 64, 'kubeseed/kubeseed-bundle.tar': total - 4160 }
    : {
        'user-data': 4096,
        'meta-data': 64,
        'network-config': 512,
        'kubeseed/images.tar': (total / 1024) * 640,
        'kubeseed/bin/kubelet': (total / 1024) * 128,
        'kubeseed/bin/kubeadm': (total / 1024) * 96,
        'kubeseed/bin/kubectl': (total / 1024) * 80,
        'kubeseed/cni-plugins.tgz': (total / 1024) * 80 - 4672,
      };
  const chunk = Buffer.allocUnsafe(8 * MiB);
  for (const [p, size] of Object.entries(files)) {
    const full = join(tree, p);
    mkdirSync(dirname(full), { recursive: true });
    const fd = openSync(full, 'w');
    if (size > 4 * 1024 * MiB) {
      ftruncateSync(fd, size);
      for (const at of [0, 0xffff_f800 - 1, 0xffff_f800, size - 8]) writeSync(fd, Buffer.from('kubeseed'), 0, 8, at);
    } else {
      for (let left = size; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
    }
    closeSync(fd);
  }
  return { count: Object.keys(files).length, bytes: Object.values(files).reduce((a, b) => a + b, 0), sparse: total > 4 * 1024 * MiB };
}

/** Children's CPU time so far, in seconds (fields 16 and 17 of /proc/self/stat, USER_HZ ticks). */
function childCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

function commandOf(tool, tree, out, sparse) {
  switch (tool) {
    case 'kubeseed': return [process.execPath, fileURLToPath(import.meta.url), '--child', tree, out];
    case 'genisoimage': return ['genisoimage', '-quiet', '-iso-level', '3', ...(sparse ? ['-allow-limited-size'] : []), '-J', '-R', '-V', 'cidata', '-o', out, tree];
    case 'node start-up': return [process.execPath, '-e', ''];
    case 'xorriso': return ['xorriso', '-as', 'mkisofs', '-quiet', '-iso-level', '3', '-J', '-R', '-V', 'cidata', '-o', out, tree];
  }
}

function timeOne(tool, tree, out, sparse) {
  rmSync(out, { force: true });
  spawnSync('sync');
  const [cmd, ...argv] = commandOf(tool, tree, out, sparse);
  const cpu0 = childCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = childCpu() - cpu0;
  if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr}`);
  if (tool === 'node start-up') return { seconds, cpu };
  const size = statSync(out).size;
  rmSync(out);
  const rss = tool === 'kubeseed' ? JSON.parse(r.stdout.trim().split('\n').at(-1)).maxRssKiB / 1024 : null;
  return { seconds, cpu, size, rss };
}

const TOOLS = ['kubeseed', 'genisoimage', 'xorriso', 'node start-up'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, digits) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

console.log(`bench-iso: kubeseed's writer, genisoimage and xorriso as whole processes, ${rounds} round(s), order rotating; 2 cores shared with other work, so the spread is wide`);
for (const base of dirs) {
  for (const mib of sizes) {
    const work = mkdtempSync(join(base, 'kubeseed-bench-iso-'));
    try {
      const tree = join(work, 'tree');
      const input = makeTree(tree, mib);
      const out = join(work, 'out.iso');
      if (!smoke) for (const tool of TOOLS) timeOne(tool, tree, out, input.sparse);
      const runs = Object.fromEntries(TOOLS.map((t) => [t, []]));
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < TOOLS.length; i++) {
          const tool = TOOLS[(i + r) % TOOLS.length];
          runs[tool].push(timeOne(tool, tree, out, input.sparse));
        }
      }
      const what = input.sparse ? `one sparse file of ${(input.bytes / MiB).toFixed(0)} MiB` : `${input.count} files, ${(input.bytes / MiB).toFixed(0)} MiB`;
      console.log(`${base} (${fsType(base)}), ${what}:`);
      for (const tool of TOOLS.slice(0, 3)) {
        const rs = runs[tool];
        const mbs = input.bytes / 1e6 / median(rs.map((x) => x.seconds));
        const rss = tool === 'kubeseed' ? `, peak RSS ${Math.max(...rs.map((x) => x.rss)).toFixed(1)} MiB` : '';
        console.log(`  ${tool.padEnd(11)} wall ${spread(rs.map((x) => x.seconds), 3)} s, ${mbs.toFixed(0)} MB/s, CPU ${spread(rs.map((x) => x.cpu), 2)} s, image ${rs[0].size} B${rss}`);
      }
      const startup = runs['node start-up'];
      console.log(`  node start-up alone (node -e ''): wall ${spread(startup.map((x) => x.seconds), 3)} s, CPU ${spread(startup.map((x) => x.cpu), 2)} s`);
      for (const [other, target] of [['genisoimage', 1.0], ['xorriso', 1.3]]) {
        const ratios = runs.kubeseed.map((k, i) => runs[other][i].seconds / k.seconds);
        const m = median(ratios);
        console.log(`  kubeseed/${other} throughput ratio: ${spread(ratios, 2)} (target >= ${target.toFixed(1)}: ${m >= target ? 'met' : 'NOT met'})`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}
