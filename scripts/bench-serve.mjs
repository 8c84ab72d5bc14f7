#!/usr/bin/env node
// kubeseed serve beside static file servers over the same files, in one run. A generated cluster
// of 3 control-plane nodes and 1,000 workers with spec.netboot is compiled by the built CLI, then
// each server answers requests spread over all 1,003 machines:
//   ipxe        kubeseed: GET /ipxe?mac=<mac> (finds the machine, reads its script, sets the base
//               URL); static servers: GET /netboot/mac/<mac>.ipxe (the same script as a file)
//   meta-data   GET /nodes/<node>/meta-data (50 bytes)
//   user-data   GET /nodes/<node>/user-data (~60 KB, secret-bearing; served without
//               --one-shot-secrets here, which would answer 410 from the second round on)
// Servers: kubeseed serve (its access log to a file, as a site would keep it), kubeseed's
// static path /netboot/mac/ too, `python3 -m http.server` and `busybox httpd -f`, all on
// 127.0.0.1. The load generator is wrk (Debian package wrk): a C event loop that keeps its
// connections alive and costs the shared CPU far less per request than a client written in Node
// would; python's http.server and busybox httpd answer HTTP/1.0 and close every connection, so
// wrk reconnects for each of their requests (that is how those servers are used).
// Prints requests per second (median of 3 runs, the servers taking turns, so that the load of a
// shared machine falls on all of them), transfer rate and non-2xx answers per server and endpoint.
// Usage: node scripts/bench-serve.mjs [seconds=3] [connections=16]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generatedProfile } from './generated-profile.mjs';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 16);
const ROUNDS = 3;
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (!has('wrk')) {
  console.log('  skipped: needs wrk (apt-get install -y wrk)');
  process.exit(0);
}

const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dir = mkdtempSync(join(base, 'kubeseed-bench-serve-'));
const children = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
// On an error too; at the end the servers are stopped explicitly (they would keep this process alive).
process.on('exit', cleanup);

const profile = generatedProfile(1000);
profile.spec.netboot = { args: ['console=ttyS0'] };
writeFileSync(join(dir, 'profile.yaml'), stringify(profile));
const c = spawnSync(process.execPath, [bin, 'compile', join(dir, 'profile.yaml'), '--out', dir], { encoding: 'utf8' });
if (c.status !== 0) throw new Error(`compile failed: ${c.stderr}`);
const tree = join(dir, profile.metadata.name);
const machines = JSON.parse(readFileSync(join(tree, 'netboot', 'machines.json'), 'utf8')).machines;

/** Resolves once something accepts connections on the port. */
async function listening(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A free port: the OS picks one for a throw-away server. */
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function start(name, cmd, args, port) {
  const log = openSync(join(dir, `${name}.log`), 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  children.push(child);
  await listening(port);
  return child;
}

const servers = [];
{
  const port = await freePort();
  await start('kubeseed', process.execPath, [bin, 'serve', tree, '--listen', `127.0.0.1:${port}`], port);
  servers.push({ label: 'kubeseed serve', port, ipxe: (m) => `/ipxe?mac=${m.mac}` });
  servers.push({ label: 'kubeseed serve (static /netboot/)', port, ipxe: (m) => `/${m.script}`, only: ['ipxe'] });
}
if (has('python3')) {
  const port = await freePort();
  await start('python', 'python3', ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', tree, String(port)], port);
  servers.push({ label: 'python3 -m http.server', port, ipxe: (m) => `/${m.script}` });
}
if (has('busybox')) {
  const port = await freePort();
  await start('busybox', 'busybox', ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', tree], port);
  servers.push({ label: 'busybox httpd', port, ipxe: (m) => `/${m.script}` });
}

const endpoints = [
  ['ipxe', (s, m) => s.ipxe(m)],
  ['meta-data', (_s, m) => `/nodes/${m.node}/meta-data`],
  ['user-data', (_s, m) => `/nodes/${m.node}/user-data`],
];

/** wrk over every machine's path, round robin; its requests/s, transfer/s and non-2xx count. */
function wrk(port, paths, secs) {
  const lua = join(dir, 'paths.lua');
  writeFileSync(lua, [
    `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }`,
    'local i = 0',
    'request = function()',
    '  i = i + 1',
    '  return wrk.format("GET", paths[(i % #paths) + 1])',
    'end',
    '',
  ].join('\n'));
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${secs}s`, '-s', lua, `http://127.0.0.1:${port}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const transfer = /Transfer\/sec:\s+(\S+)/.exec(r.stdout)?.[1] ?? '?';
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(r.stdout)?.[1];
  return { rps, transfer, bad, errors };
}

// A short untimed run first: the first requests pay for JIT compilation and cold caches.
for (const sv of servers) wrk(sv.port, machines.map((m) => sv.ipxe(m)), 1);
console.log(`  ${machines.length} machines; wrk, 1 thread, ${connections} connections; median of ${ROUNDS} runs of ${seconds} s (min-max), the servers taking turns; 127.0.0.1`);
for (const [endpoint, path] of endpoints) {
  console.log(`  ${endpoint}:`);
  const rows = servers.filter((sv) => !sv.only || sv.only.includes(endpoint)).map((sv) => ({ sv, runs: [] }));
  for (let round = 0; round < ROUNDS; round++) for (const row of rows) row.runs.push(wrk(row.sv.port, machines.map((m) => path(row.sv, m)), seconds));
  for (const { sv, runs } of rows) {
    const sorted = [...runs].sort((a, b) => a.rps - b.rps);
    const mid = sorted[Math.floor(sorted.length / 2)];
    const bad = runs.reduce((n, r) => n + r.bad, 0);
    const errors = runs.map((r) => r.errors).filter(Boolean);
    const notes = [bad ? `${bad} non-2xx` : '', errors.length ? `socket errors: ${errors[0]}` : ''].filter(Boolean).join('; ');
    const range = `${sorted[0].rps.toFixed(0)}-${sorted.at(-1).rps.toFixed(0)}`;
    console.log(`    ${sv.label.padEnd(36)} ${mid.rps.toFixed(0).padStart(7)} requests/s (${range.padStart(11)})  ${mid.transfer.padStart(9)}/s${notes ? `  (${notes})` : ''}`);
  }
}
cleanup();
