#!/usr/bin/env node
// Benchmark for `kubeseed bundle` with its verification (every file's sha256 checked as it is
// copied into the tar): bundles ~1 GiB of generated binaries from a --from directory and, in the
// same run on the same (page-cached) files, times `sha256sum` of them followed by `tar -cf` of
// them, what a shell script would do for the same result. Each is a whole process, run in turn
// for several rounds after `sync`; prints median wall time (min-max), throughput, kubeseed's peak
// RSS and the ratio of throughputs (target: >= 0.9 against sha256sum + tar -cf; RSS < 150 MB).
// kubeseed's process loads dist/emit/bundle unbundled (the CLI loads one esbuild bundle), which
// takes seconds on a busy machine, so its in-process time (buildBundle alone) is compared too.
//
//   npm run build && node scripts/bench-bundle.mjs [--size-mib 1024] [--rounds 3] [--keep] [--smoke]
//
// --smoke: 16 MiB, one round (what the test suite runs to keep this script working). The
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
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const smoke = args.includes('--smoke');
const sizeMiB = smoke ? 16 : opt('--size-mib', 1024);
const rounds = smoke ? 1 : opt('--rounds', 3);
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
// On an error too.
process.on('exit', () => {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
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

function timeIt(cmd, argv) {
  // Flush earlier writes first so no contender pays for another's writeback.
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout: r.stdout };
}

// Warm the page cache identically for every contender.
spawnSync('cat', files.map((f) => join(fromDir, f)), { stdio: ['ignore', 'ignore', 'inherit'] });

const cfgPath = join(work, 'child.json');
const outDir = join(work, 'out');
writeFileSync(cfgPath, JSON.stringify({ artifacts, fromDir, cacheDir: join(work, 'cache'), outDir }));
const plainTar = join(work, 'plain.tar');
const contenders = {
  kubeseed: () => {
    const r = timeIt(process.execPath, [fileURLToPath(import.meta.url), '--child', cfgPath]);
    const child = JSON.parse(r.stdout.trim().split('\n').at(-1));
    rmSync(outDir, { recursive: true, force: true });
    return { ms: r.ms, inProcessMs: child.ms, bytes: child.bytes, maxRssKiB: child.maxRssKiB };
  },
  'sha256sum + tar -cf': () => {
    const sum = timeIt('sha256sum', files.map((f) => join(fromDir, f)));
    const tar = timeIt('tar', ['-cf', plainTar, '-C', fromDir, ...files]);
    const bytes = statSync(plainTar).size;
    rmSync(plainTar);
    return { ms: sum.ms + tar.ms, sumMs: sum.ms, tarMs: tar.ms, bytes };
  },
};
const runs = { kubeseed: [], 'sha256sum + tar -cf': [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? Object.keys(contenders) : Object.keys(contenders).reverse();
  for (const name of order) {
    say(`bench-bundle: round ${r + 1}: ${name}`);
    runs[name].push(contenders[name]());
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, digits = 2) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
const secs = (rs, key = 'ms') => spread(rs.map((x) => x[key] / 1000));
const mbps = (rs) => (generated / 1e6 / (median(rs.map((x) => x.ms)) / 1000)).toFixed(0);
const ours = runs.kubeseed;
const theirs = runs['sha256sum + tar -cf'];
const rssMB = (Math.max(...ours.map((x) => x.maxRssKiB)) * 1024) / 1e6;
const ratioLine = (label, key) => {
  const ratios = ours.map((o, i) => theirs[i].ms / o[key]);
  const m = median(ratios);
  return `ratio of throughputs, kubeseed ${label} to sha256sum + tar -cf: ${spread(ratios)} (target >= 0.9: ${m >= 0.9 ? 'met' : 'NOT met'})`;
};
const lines = [
  `input: ${files.length} files, ${(generated / MiB).toFixed(0)} MiB (half random, half repetitive per MiB), page cache warm, ${rounds} round(s); 2 cores shared with other work`,
  `kubeseed bundle       : wall ${secs(ours)} s, ${mbps(ours)} MB/s (in-process ${secs(ours, 'inProcessMs')} s), tar ${(ours[0].bytes / MiB).toFixed(1)} MiB, peak RSS ${rssMB.toFixed(1)} MB`,
  `sha256sum + tar -cf   : wall ${secs(theirs)} s, ${mbps(theirs)} MB/s (sha256sum ${secs(theirs, 'sumMs')} s, tar -cf ${secs(theirs, 'tarMs')} s), tar ${(theirs[0].bytes / MiB).toFixed(1)} MiB`,
  ratioLine('in-process', 'inProcessMs'),
  ratioLine('whole process', 'ms'),
  `peak RSS: ${rssMB.toFixed(1)} MB (target < 150 MB): ${rssMB < 150 ? 'met' : 'NOT met'}`,
];
console.log(lines.join('\n'));
