// Compile benchmark: a generated profile of 3 control-plane nodes and N workers, compiled by
// the built CLI in a child process, with --out on tmpfs (/dev/shm, when present) and on the
// disk (os.tmpdir()). The first compile also creates the cluster state (reported on its own);
// then several compiles reuse it, each over the tree the previous one wrote, as a re-compile
// does. Prints the median wall time with min–max, peak RSS, CPU time and kubeseed's phases.
//
// Disk figures depend on recent deletions: ext4 without a journal skips inodes freed in the
// last ~30 s when it allocates new ones, and each skip costs a lookup, so creating files right
// after deleting many is slow. A re-compile stages into the tree two compiles back and frees
// almost nothing, but deleting the temporary directories would: they are removed only after
// every size has run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generatedProfile } from './generated-profile.mjs';

/** The filesystem type holding path, from the longest matching mount point. */
export function fsType(path) {
  const real = realpathSync(path);
  let best = { at: '', type: 'unknown' };
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, at, type] = line.split(' ');
    if (at === undefined) continue;
    const mount = at.replace(/\\040/g, ' ');
    if ((real === mount || real.startsWith(mount === '/' ? '/' : `${mount}/`)) && mount.length >= best.at.length) best = { at: mount, type };
  }
  return best.type;
}

/** Where --out goes: tmpfs when this machine has /dev/shm, and the disk. */
export function outputBases() {
  const bases = [];
  if (existsSync('/dev/shm')) bases.push({ base: '/dev/shm', label: `/dev/shm (${fsType('/dev/shm')})` });
  bases.push({ base: tmpdir(), label: `${tmpdir()} (${fsType(tmpdir())})` });
  return bases;
}

/** One compile by the built CLI in a child (bench-child.mjs): wall time and the child's own figures. */
export function runCompile(profile, out, extra = []) {
  const child = join(import.meta.dirname, 'bench-child.mjs');
  const started = process.hrtime.bigint();
  // --offline: a benchmark downloads nothing (the pod network's manifest is looked for locally only).
  const r = spawnSync(process.execPath, [child, 'compile', profile, '--out', out, '--offline', ...extra], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`compile failed (${r.status}): ${r.stderr}`);
  const stats = JSON.parse(r.stdout.trim().split('\n').pop());
  return { wallMs, ...stats };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(0)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

/** Compiles one generated cluster into each output base; returns printable lines and the dirs to remove. */
export function benchCompile(workers, runs, bases = outputBases(), smoke = false) {
  const dirs = [];
  const lines = [];
  const profileDir = mkdtempSync(join(tmpdir(), 'kubeseed-bench-profile-'));
  dirs.push(profileDir);
  const profile = join(profileDir, 'profile.yaml');
  const p = generatedProfile(workers);
  // The smoke test's state is made quicker; the state is made before anything timed but the first compile.
  if (smoke) p.spec.pki = { keyAlgorithm: 'ecdsa' };
  writeFileSync(profile, stringify(p));
  for (const { base, label } of bases) {
    const dir = mkdtempSync(join(base, 'kubeseed-bench-'));
    dirs.push(dir);
    const out = join(dir, 'out');
    const first = runCompile(profile, out);
    const rs = [];
    for (let i = 0; i < runs; i++) rs.push(runCompile(profile, out));
    const walls = rs.map((r) => r.wallMs);
    const phaseNames = rs[0].phases.map(([name]) => name);
    const phases = phaseNames.map((name, i) => `${PHASE_LABELS[name] ?? name} ${median(rs.map((r) => r.phases[i][1])).toFixed(0)}`);
    lines.push(
      `--out on ${label}`,
      `  first compile (also creates the state): wall ${ms(first.wallMs)}, peak RSS ${mb(first.maxRssKb)}`,
      `  compile with state, ${runs} runs: wall median ${ms(median(walls))} (min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)}), `
        + `${(median(walls) / (workers + 3)).toFixed(3)} ms/node, peak RSS ${mb(Math.max(...rs.map((r) => r.maxRssKb)))} (max)`,
      `  medians: in-process ${ms(median(rs.map((r) => r.ms)))}, node startup and module loading ${ms(median(rs.map((r) => r.startupMs)))}, `
        + `CPU user ${ms(median(rs.map((r) => r.userMs)))}, system ${ms(median(rs.map((r) => r.sysMs)))}`,
      phases.length > 0 ? `  in-process phases, median ms: ${phases.join(', ')}` : '  in-process phases: none marked by this build',
    );
  }
  return { name: `compile 3 control-plane + ${workers} workers`, lines, dirs };
}

const PHASE_LABELS = {
  load: 'load profile',
  state: 'load state',
  cni: 'find the pod network manifest',
  plan: 'plan',
  render: 'render and write',
  write: 'sweep the reused tree',
  iso: 'seed ISOs',
  commit: 'manifest+rename',
  remove: 'remove a leftover tree',
};

/**
 * Runs every size (runs each: [workers, runs]), printing as it goes; removes temporaries at the
 * end. `smoke`: the disk only, ECDSA keys (the test suite's quick run).
 */
export function benchCompileAll(sizes, print = console.log, smoke = false) {
  const dirs = [];
  try {
    for (const [workers, runs] of sizes) {
      const r = benchCompile(workers, runs, smoke ? outputBases().slice(-1) : outputBases(), smoke);
      dirs.push(...r.dirs);
      print(`${r.name}\n  ${r.lines.join('\n  ')}`);
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // node scripts/bench-compile.mjs 1000 5000  (runs: 5 up to 1,000 workers, 3 above)
  benchCompileAll(process.argv.slice(2).map(Number).map((n) => [n, n > 1000 ? 3 : 5]));
}
