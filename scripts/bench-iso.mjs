#!/usr/bin/env node
// Benchmarks the ISO writer against xorriso on the same 1 GiB tree, in the same run.
// Prints throughput (MB/s = 10^6 bytes/s of input file data) of each, their ratio (target
// >= 0.9) and our writer's peak RSS (target < 150 MB). Run `npm run build` first: this imports
// dist/emit/iso/index.js. Usage: node scripts/bench-iso.mjs [rounds=5] [dir]
// `dir` (default: the OS temp dir) holds the tree and both images; a tmpfs such as /dev/shm takes
// the disk out of the comparison, which a shared or busy disk otherwise dominates.
// Each timed run starts after `sync`, so neither tool pays for the other's dirty pages; one
// untimed warm-up of each comes first, so both read the tree from the page cache.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modPath = join(here, '..', 'dist', 'emit', 'iso', 'index.js');

function walk(root, dir = root) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(root, p));
    else out.push({ local: p, iso: relative(root, p) });
  }
  return out;
}

// Child mode: write one image with our writer, report time and peak RSS as JSON.
if (process.argv[2] === '--child') {
  const [, , , tree, out] = process.argv;
  const { writeIso, isoFileFromPath } = await import(pathToFileURL(modPath).href);
  const t0 = process.hrtime.bigint();
  const files = await Promise.all(walk(tree).map((f) => isoFileFromPath(f.local, f.iso)));
  await writeIso(files, { volumeId: 'cidata', epochSeconds: 1_700_000_000 }, out);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ru = process.resourceUsage();
  console.log(JSON.stringify({ seconds, cpu: (ru.userCPUTime + ru.systemCPUTime) / 1e6, maxRssKiB: ru.maxRSS }));
  process.exit(0);
}

if (!existsSync(modPath)) {
  console.error(`bench-iso: ${modPath} is missing; run \`npm run build\` first`);
  process.exit(2);
}
if (spawnSync('sh', ['-c', 'command -v xorriso'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench-iso: needs xorriso (apt-get install -y xorriso)');
  process.exit(2);
}

const rounds = Number(process.argv[2] ?? 5);
const MiB = 1024 * 1024;
const work = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'kubeseed-bench-iso-'));
const tree = join(work, 'tree');
const layout = {
  'user-data': 4096,
  'meta-data': 64,
  'network-config': 512,
  'kubeseed/images.tar': 640 * MiB,
  'kubeseed/bin/kubelet': 128 * MiB,
  'kubeseed/bin/kubeadm': 96 * MiB,
  'kubeseed/bin/kubectl': 80 * MiB,
  'kubeseed/cni-plugins.tgz': 80 * MiB - 4672,
};
let inputBytes = 0;
for (const [p, size] of Object.entries(layout)) {
  const full = join(tree, p);
  mkdirSync(dirname(full), { recursive: true });
  const fd = openSync(full, 'w');
  // Incompressible bytes, so neither tool gains from anything but its I/O path.
  for (let left = size; left > 0; left -= 8 * MiB) writeSync(fd, randomBytes(Math.min(left, 8 * MiB)));
  closeSync(fd);
  inputBytes += size;
}
const mb = (bytes, s) => bytes / 1e6 / s;

/** Flushes dirty pages left by the previous run, so each timing starts from the same state. */
function settle() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

function timeOurs() {
  settle();
  const out = join(work, 'ours.iso');
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', tree, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`our writer failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim());
  const size = statSync(out).size;
  rmSync(out);
  return { ...res, size };
}

function timeXorriso() {
  settle();
  const out = join(work, 'xorriso.iso');
  const t0 = process.hrtime.bigint();
  // bash's `time` reports the child's user and system CPU seconds on the last stderr line.
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time xorriso -as mkisofs -J -R -V cidata -o "$1" "$2" 2>/dev/null', 'bash', out, tree], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`xorriso failed: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const size = statSync(out).size;
  rmSync(out);
  return { seconds, cpu: user + sys, size };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  console.log(`bench-iso: ${Object.keys(layout).length} files, ${(inputBytes / MiB).toFixed(0)} MiB input, ${rounds} rounds (alternating), in ${work}`);
  timeOurs();
  timeXorriso();
  const ours = [];
  const theirs = [];
  for (let i = 0; i < rounds; i++) {
    const o = timeOurs();
    const x = timeXorriso();
    ours.push(o);
    theirs.push(x);
    console.log(
      `  round ${i + 1}: kubeseed ${o.seconds.toFixed(3)} s, ${o.cpu.toFixed(2)} s CPU (${mb(inputBytes, o.seconds).toFixed(0)} MB/s, image ${o.size} B, peak RSS ${(o.maxRssKiB / 1024).toFixed(1)} MiB)` +
        ` | xorriso ${x.seconds.toFixed(3)} s, ${x.cpu.toFixed(2)} s CPU (${mb(inputBytes, x.seconds).toFixed(0)} MB/s, image ${x.size} B)`,
    );
  }
  const oursMbs = mb(inputBytes, median(ours.map((o) => o.seconds)));
  const theirsMbs = mb(inputBytes, median(theirs.map((x) => x.seconds)));
  const peak = Math.max(...ours.map((o) => o.maxRssKiB)) / 1024;
  console.log(`kubeseed writeIso: ${oursMbs.toFixed(0)} MB/s (median)`);
  console.log(`xorriso -as mkisofs: ${theirsMbs.toFixed(0)} MB/s (median)`);
  console.log(`ratio kubeseed/xorriso: ${(oursMbs / theirsMbs).toFixed(2)} (target >= 0.9)`);
  const oursCpu = median(ours.map((o) => o.cpu));
  const theirsCpu = median(theirs.map((x) => x.cpu));
  console.log(`CPU seconds (median; less sensitive to a busy machine): kubeseed ${oursCpu.toFixed(2)} s, xorriso ${theirsCpu.toFixed(2)} s`);
  console.log(`kubeseed peak RSS: ${peak.toFixed(1)} MiB (target < 150 MB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
