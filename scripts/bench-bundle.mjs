#!/usr/bin/env node
// Benchmark for `kubeseed bundle`: bundles ~1 GiB of generated artifacts and, in the same run and
// on the same (page-cached) files, times `tar -cf` and `tar -czf` of them. Prints throughput, the
// bundler's peak RSS, and the ratios (target: ratio >= 1.0 against `tar -czf`, RSS < 150 MB).
//
//   npm run build && node scripts/bench-bundle.mjs [--size-mib 1024] [--keep]
//
// The bundler runs in a child process so its peak RSS (getrusage maxrss) is its own. The
// generated content is half random, half repetitive per MiB, roughly as compressible as binaries.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const say = (msg) => {
  if (process.stderr.isTTY) process.stderr.write(`${msg}\n`);
};

if (process.argv[2] === '--child') {
  // Child: only the bundler, so maxRSS below is the bundler's.
  const cfg = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const { buildBundle } = await import(join(dist, 'emit/bundle/index.js'));
  const t0 = process.hrtime.bigint();
  // Binaries only: images come from registries (bench-images.mjs times those).
  const r = await buildBundle({ artifacts: cfg.artifacts, fromDir: cfg.fromDir, cacheDir: cfg.cacheDir, outDir: cfg.outDir, sourceDateEpoch: 0, skip: ['images'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, bytes: r.bytes, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const args = process.argv.slice(2);
const sizeMiB = Number(args[args.indexOf('--size-mib') + 1] || 1024) || 1024;
const keep = args.includes('--keep');

if (!existsSync(join(dist, 'emit/bundle/index.js'))) {
  say('bench-bundle: building dist/ first (npm run build)');
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
const { neededArtifacts } = await import(join(dist, 'plan/artifacts.js'));
const { versionTable, COMPONENTS } = await import(join(dist, 'plan/versions.js'));
const { parseVersionTable } = await import(join(dist, 'plan/version-table-schema.js'));

const work = mkdtempSync(join(tmpdir(), 'kubeseed-bench-'));
const fromDir = join(work, 'from');
mkdirSync(fromDir);
const facts = { kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'ubuntu' };
const upstream = neededArtifacts(facts);

// Split the total over the seven components roughly as real releases weigh (kubelet, kubectl and
// kubeadm dominate).
const weights = { kubeadm: 18, kubelet: 26, kubectl: 18, containerd: 14, runc: 4, 'cni-plugins': 14, crictl: 6 };
const totalBytes = sizeMiB * 1024 * 1024;
const weightSum = Object.values(weights).reduce((a, b) => a + b, 0);
const table = structuredClone(versionTable());
const MiB = 1024 * 1024;
const chunk = Buffer.alloc(MiB);
const pattern = Buffer.from('kubeseed bench: ELF-ish repetitive section .text .data .rodata '.repeat(Math.ceil(MiB / 2 / 64))).subarray(0, MiB / 2);
let generated = 0;
say(`bench-bundle: generating ${sizeMiB} MiB in ${fromDir}`);
const sizes = Object.fromEntries(COMPONENTS.map((n) => [n, Math.floor((totalBytes * weights[n]) / weightSum / MiB) * MiB || MiB]));
// Whole MiB per file; kubelet takes the rounding remainder so the total is exactly --size-mib.
sizes.kubelet += totalBytes - Object.values(sizes).reduce((a, b) => a + b, 0);
for (const name of COMPONENTS) {
  const a = upstream.find((x) => x.name === name);
  const size = sizes[name];
  const h = createHash('sha256');
  const fd = openSync(join(fromDir, a.fileName), 'w');
  for (let off = 0; off < size; off += MiB) {
    randomFillSync(chunk, 0, MiB / 2);
    pattern.copy(chunk, MiB / 2);
    writeSync(fd, chunk);
    h.update(chunk);
  }
  closeSync(fd);
  generated += size;
  table.digests[name][a.version][facts.arch] = h.digest('hex');
}
const artifacts = neededArtifacts(facts, parseVersionTable(table));
const files = artifacts.filter((a) => a.kind === 'binary' || a.kind === 'archive').map((a) => a.fileName);

function timeIt(cmd, argv, opts = {}) {
  // Flush earlier writes first so no contender pays for another's writeback.
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// Warm the page cache identically for every contender.
timeIt('cat', files.map((f) => join(fromDir, f)), { stdio: ['ignore', 'ignore', 'inherit'] });

say('bench-bundle: kubeseed bundle');
const cfgPath = join(work, 'child.json');
writeFileSync(cfgPath, JSON.stringify({ artifacts, fromDir, cacheDir: join(work, 'cache'), outDir: join(work, 'out') }));
spawnSync('sync');
const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', cfgPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (child.status !== 0) throw new Error(`bundle child exited ${child.status}`);
const ours = JSON.parse(child.stdout.trim().split('\n').at(-1));
rmSync(join(work, 'out'), { recursive: true, force: true });

say('bench-bundle: tar -cf');
const tarMs = timeIt('tar', ['-cf', join(work, 'plain.tar'), '-C', fromDir, ...files]);
const tarSize = statSync(join(work, 'plain.tar')).size;
rmSync(join(work, 'plain.tar'));
say('bench-bundle: tar -czf');
const tgzMs = timeIt('tar', ['-czf', join(work, 'plain.tgz'), '-C', fromDir, ...files]);

const mbps = (ms) => (generated / 1e6 / (ms / 1000)).toFixed(1);
const rssMB = (ours.maxRssKiB * 1024) / 1e6;
const lines = [
  `input: ${files.length} files, ${(generated / MiB).toFixed(0)} MiB (half random, half repetitive per MiB), page cache warm`,
  `kubeseed bundle : ${(ours.ms / 1000).toFixed(2)} s  ${mbps(ours.ms)} MB/s  tar ${(ours.bytes / MiB).toFixed(1)} MiB  peak RSS ${rssMB.toFixed(1)} MB`,
  `tar -cf         : ${(tarMs / 1000).toFixed(2)} s  ${mbps(tarMs)} MB/s  ${(tarSize / MiB).toFixed(1)} MiB`,
  `tar -czf        : ${(tgzMs / 1000).toFixed(2)} s  ${mbps(tgzMs)} MB/s  ${(statSync(join(work, 'plain.tgz')).size / MiB).toFixed(1)} MiB`,
  `ratio vs tar -czf (throughput, higher is better): ${(tgzMs / ours.ms).toFixed(2)}  (target >= 1.0)`,
  `ratio vs tar -cf  (throughput, higher is better): ${(tarMs / ours.ms).toFixed(2)}`,
  `peak RSS: ${rssMB.toFixed(1)} MB (target < 150 MB): ${rssMB < 150 ? 'met' : 'NOT met'}`,
];
console.log(lines.join('\n'));
if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
