// Compile benchmark: a generated profile of 3 control-plane nodes and N workers, compiled by
// the built CLI in a child process. The first compile also creates the cluster state (reported
// separately); the second reuses it. Prints wall time, per-node time and peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const hex = (n) => n.toString(16).padStart(2, '0');

export function generatedProfile(workers) {
  const node = (name, role, i) => ({
    name, role,
    ip: `172.16.${Math.floor(i / 250)}.${(i % 250) + 2}/16`,
    gateway: '172.16.255.254',
    mac: `52:54:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`,
  });
  const nodes = [0, 1, 2].map((i) => node(`cp${i + 1}`, 'control-plane', i));
  for (let w = 0; w < workers; w++) nodes.push(node(`w${w + 1}`, 'worker', w + 3));
  return {
    apiVersion: 'kubeseed.io/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: `bench${workers}` },
    spec: {
      kubernetes: { version: 'v1.31.13' },
      os: { family: 'ubuntu', version: '22.04' },
      containerd: { mirrors: { 'docker.io': ['https://mirror.example.internal'] } },
      nodes,
    },
  };
}

function runCompile(profile, out) {
  const child = join(import.meta.dirname, 'bench-child.mjs');
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [child, 'compile', profile, '--out', out], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`compile failed (${r.status}): ${r.stderr}`);
  const stats = JSON.parse(r.stdout.trim().split('\n').pop());
  return { wallMs, ...stats };
}

export function benchCompile(workers) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-bench-'));
  try {
    const profile = join(dir, 'profile.yaml');
    writeFileSync(profile, stringify(generatedProfile(workers)));
    const first = runCompile(profile, join(dir, 'out'));
    const second = runCompile(profile, join(dir, 'out'));
    const nodes = workers + 3;
    return {
      name: `compile 3 control-plane + ${workers} workers`,
      lines: [
        `first compile (also creates the state): wall ${first.wallMs.toFixed(0)} ms, peak RSS ${(first.maxRssKb / 1024).toFixed(0)} MB`,
        `compile with state: wall ${second.wallMs.toFixed(0)} ms, in-process ${second.ms.toFixed(0)} ms, ${(second.wallMs / nodes).toFixed(3)} ms/node, peak RSS ${(second.maxRssKb / 1024).toFixed(0)} MB`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const n of process.argv.slice(2).map(Number)) {
    const r = benchCompile(n);
    console.log(`${r.name}\n  ${r.lines.join('\n  ')}`);
  }
}
