// Single-file benchmark (npm run bench -- release): builds the release into a temporary
// directory (scripts/release.mjs), prints each artifact's size, then compares it with
// `node dist/cli/bin.js` (the same sources, built by npm run bench):
// - start-up: `--version`, 3 warm-up and 20 measured runs each, interleaved so that a change in
//   the machine's load hits every way alike; median wall time (min-max) and mean CPU;
// - a compile of 3 control-plane nodes and 2,100 workers (two rendering threads) with the state
//   made, 3 runs each, interleaved; median wall time.
// CPU is the children's user+system time from /proc/self/stat (USER_HZ ticks, 10 ms; a mean over
// 20 runs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generatedProfile } from './generated-profile.mjs';

const ROOT = join(import.meta.dirname, '..');
const EXE = `kubeseed-linux-${process.arch === 'x64' ? 'amd64' : process.arch}`;
const dirs = [];
const tmp = (what) => {
  const d = mkdtempSync(join(tmpdir(), `kubeseed-bench-${what}-`));
  dirs.push(d);
  return d;
};

/** Children's CPU time so far, in ms (fields 16 and 17 of /proc/self/stat, after the command name). */
function childCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function timed(argv) {
  const cpu = childCpuMs();
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { wallMs, cpuMs: childCpuMs() - cpu };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs every way `runs` times, interleaved, after `warmups` unmeasured rounds. */
function compare(ways, args, runs, warmups) {
  const results = ways.map(() => []);
  for (let i = 0; i < warmups + runs; i++) {
    ways.forEach(([, argv], w) => {
      const r = timed([...argv, ...args(w)]);
      if (i >= warmups) results[w].push(r);
    });
  }
  return ways.map(([label], w) => {
    const walls = results[w].map((r) => r.wallMs);
    const cpu = results[w].reduce((a, r) => a + r.cpuMs, 0) / runs;
    return `  ${label}: wall median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)}), CPU mean ${cpu.toFixed(0)} ms`;
  });
}

try {
  const release = tmp('release');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/release.mjs'), '--out', release], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`release build failed: ${built.stderr}`);
  for (const name of [EXE, 'kubeseed.mjs']) console.log(`  ${name}: ${(statSync(join(release, name)).size / 1048576).toFixed(1)} MiB (${statSync(join(release, name)).size} bytes)`);

  const ways = [
    [EXE, [join(release, EXE)]],
    ['node kubeseed.mjs', [process.execPath, join(release, 'kubeseed.mjs')]],
    ['node dist/cli/bin.js', [process.execPath, join(ROOT, 'dist/cli/bin.js')]],
  ];
  console.log('  --version, 20 runs each:');
  for (const line of compare(ways, () => ['--version'], 20, 3)) console.log(line);

  const workers = 2100;
  const profile = join(tmp('profile'), 'profile.yaml');
  writeFileSync(profile, stringify(generatedProfile(workers)));
  const outs = ways.map(() => tmp('out'));
  const first = spawnSync(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'compile', profile, '--out', outs[2]], { encoding: 'utf8' });
  if (first.status !== 0) throw new Error(`compile failed: ${first.stderr}`);
  const state = join(outs[2], `bench${workers}.state`);
  console.log(`  compile 3 control-plane + ${workers} workers (two rendering threads), state made, 3 runs each:`);
  for (const line of compare(ways, (w) => ['compile', profile, '--out', outs[w], '--state', state], 3, 0)) console.log(line);
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
