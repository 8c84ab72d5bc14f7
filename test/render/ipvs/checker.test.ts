/**
 * The rendered checker script, run for real with bash: its rule set, its state policy, and its
 * health probe (curl) against loopback HTTPS stand-ins signed by a test CA made with openssl.
 * Only the ipvsadm side needs an IPVS kernel; test/lb/ runs that part in a VM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderChecker } from '../../../src/render/ipvs/files.js';
import { lbRuleSet } from '../../../src/render/ipvs/rules.js';
import { NODE_ENV_FILE, renderNodeEnv } from '../../../src/render/scripts/phases.js';
import type { ClusterPlan, NodePlan } from '../../../src/plan/types.js';
import { EXAMPLE_PROFILES, planFromFile, planFromText } from '../../builders/plan.js';
import { hasTool, needTools, run } from '../../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeseed-checker-'));

/** The checker and the node.env it sources, which lives beside it here instead of under /etc. */
function writeChecker(plan: ClusterPlan, node: NodePlan): string {
  const p = join(dir, `${plan.name}-${node.name}-checker`);
  writeFileSync(`${p}.env`, renderNodeEnv(plan, node));
  writeFileSync(p, renderChecker(plan, node).replace(`. '${NODE_ENV_FILE}'`, `. '${p}.env'`), { mode: 0o755 });
  return p;
}

function lbNodes(plan: ClusterPlan): NodePlan[] {
  return plan.nodes.filter((n) => lbRuleSet(plan, n));
}

/** Runs `body` in bash with the checker's functions and values defined (sourced, not run). */
function sourced(checker: string, body: string, args: string[] = []): { status: number; stdout: string; stderr: string } {
  // $0 must not be the checker: its "sourced?" test compares BASH_SOURCE with $0.
  return run('bash', ['-c', `. "$1"; shift; ${body}`, 'test', checker, ...args]);
}

describe('--print-rules', () => {
  it.each(EXAMPLE_PROFILES)('%s: prints exactly the rule set of every node that balances', (profile) => {
    const plan = planFromFile(profile);
    for (const node of lbNodes(plan)) {
      const r = run('bash', [writeChecker(plan, node), '--print-rules']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(lbRuleSet(plan, node)!.commands.map((c) => `${c.join(' ')}\n`).join(''));
    }
  });

  it('ha.yaml w3: the literal commands', () => {
    const plan = planFromFile('profiles/ha.yaml');
    const r = run('bash', [writeChecker(plan, plan.nodes.find((n) => n.name === 'w3')!), '--print-rules']);
    expect(r.stdout).toBe([
      'ip route replace 10.103.97.2/32 dev eth0 src 192.168.10.23',
      'ipvsadm -A -t 10.103.97.2:6443 -s rr',
      'ipvsadm -a -t 10.103.97.2:6443 -r 192.168.10.11:6443 -m -w 1',
      'ipvsadm -a -t 10.103.97.2:6443 -r 192.168.10.12:6443 -m -w 1',
      'ipvsadm -a -t 10.103.97.2:6443 -r 192.168.10.13:6443 -m -w 1',
      '',
    ].join('\n'));
  });

  it('bakes in the values: one line each, single-quoted; the node address comes from node.env', () => {
    const plan = planFromFile('profiles/external-etcd.yaml');
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    const lines = renderChecker(plan, w1).split('\n');
    expect(renderNodeEnv(plan, w1).split('\n')).toContain("KS_NODE_IP='10.20.1.31'");
    for (const line of [
      "VIP='10.103.97.2'",
      "SERVICE='10.103.97.2:6443'",
      "SCHEDULER='rr'",
      "INTERVAL='2'",
      "TIMEOUT='1'",
      "FAILURES_TO_REMOVE='3'",
      "CA_FILE='/etc/kubernetes/pki/ca.crt'",
      "HEALTH_PATH='/healthz'",
      "# shellcheck source=/dev/null",
      ". '/etc/kubeseed/node.env'",
      'NODE_IP=$KS_NODE_IP',
      "IFACE='eth0'",
      "BACKENDS=('cp1=10.20.1.11:6443' 'cp2=10.20.1.12:6443' 'cp3=10.20.1.13:6443')",
    ]) expect(lines).toContain(line);
  });

  it('is the same for two workers; their node.env files differ only in name and addresses', () => {
    const plan = planFromFile('profiles/ha.yaml');
    const [w1, w2] = [plan.nodes.find((n) => n.name === 'w1')!, plan.nodes.find((n) => n.name === 'w2')!];
    expect(renderChecker(plan, w1)).toBe(renderChecker(plan, w2));
    const a = renderNodeEnv(plan, w1).split('\n');
    const b = renderNodeEnv(plan, w2).split('\n');
    const diff = a.map((line, i) => [line, b[i]]).filter(([x, y]) => x !== y);
    expect(diff).toEqual([
      ["KS_NODE='w1'", "KS_NODE='w2'"],
      ["KS_NODE_IP='192.168.10.21'", "KS_NODE_IP='192.168.10.22'"],
      [`KS_NODE_MAC='${w1.mac}'`, `KS_NODE_MAC='${w2.mac}'`],
      [`KS_NODE_NICS=('eth0=${w1.mac}')`, `KS_NODE_NICS=('eth0=${w2.mac}')`],
    ]);
  });

  it('rejects an unknown argument with status 2', () => {
    const plan = planFromFile('profiles/ha.yaml');
    const r = run('bash', [writeChecker(plan, lbNodes(plan)[0]!), '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('usage: kubeseed-lb-checker [--once | --print-rules]\n');
  });
});

describe('state policy (lb_transition, lb_weight_for)', () => {
  function transitions(failuresToRemove: number): string[] {
    const text = readFileSyncHa().replace('loadBalancer: { mode: ipvs, vip: 10.103.97.2 }',
      `loadBalancer: { mode: ipvs, vip: 10.103.97.2, healthCheck: { failuresToRemove: ${failuresToRemove} } }`);
    const plan = planFromText(text);
    const checker = writeChecker({ ...plan, name: `ha-f${failuresToRemove}` }, plan.nodes.find((n) => n.name === 'w1')!);
    // A backend that fails four times, recovers, then fails once more.
    const r = sourced(checker, `
      state=new fails=0
      for ok in 0 0 0 0 1 0 1; do
        lb_transition "$state" "$fails" "$ok"
        state=$T_STATE fails=$T_FAILS
        lb_weight_for "$state"
        echo "$ok $state $fails $T_WEIGHT"
      done`);
    expect(r.stderr).toBe('');
    return r.stdout.trim().split('\n');
  }

  it('drains at the first failure, removes at the third, restores at the first success', () => {
    expect(transitions(3)).toEqual([
      '0 draining 1 0',
      '0 draining 2 0',
      '0 removed 3 absent',
      '0 removed 3 absent',
      '1 up 0 1',
      '0 draining 1 0',
      '1 up 0 1',
    ]);
  });

  it('with failuresToRemove 1 removes at the first failure', () => {
    expect(transitions(1)).toEqual([
      '0 removed 1 absent',
      '0 removed 1 absent',
      '0 removed 1 absent',
      '0 removed 1 absent',
      '1 up 0 1',
      '0 removed 1 absent',
      '1 up 0 1',
    ]);
  });
});

function readFileSyncHa(): string {
  return run('cat', ['profiles/ha.yaml']).stdout;
}

/** A free loopback TCP port. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a command without blocking the event loop (the servers are child processes anyway). */
function runAsync(cmd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += String(d); });
    p.stderr.on('data', (d) => { stderr += String(d); });
    p.once('error', reject);
    p.once('close', (code) => resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('lb_probe against loopback HTTPS stand-ins', () => {
  const children: ChildProcess[] = [];
  const pki = join(dir, 'pki');
  const www = join(dir, 'www');
  let healthy = 0;
  let silent = 0;
  let closed = 0;
  let erroring = 0;
  let checker = '';
  const TOOLS = ['openssl:openssl', 'curl:curl'] as const;

  // The stand-ins need openssl; without it each test below is skipped (or fails under CI).
  beforeAll(async () => {
    if (!TOOLS.every((t) => hasTool(t.split(':')[0]!))) return;
    mkdirSync(pki);
    mkdirSync(www);
    writeFileSync(join(www, 'healthz'), 'ok');
    const ossl = (...args: string[]) => {
      const r = run('openssl', args, { cwd: pki });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
      '-days', '2', '-subj', '/CN=kubernetes', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-out', 'other.crt',
      '-days', '2', '-subj', '/CN=other', '-addext', 'basicConstraints=critical,CA:TRUE');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=kube-apiserver');
    writeFileSync(join(pki, 'ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    ossl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext');

    healthy = await freePort();
    const s = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${healthy}`, '-cert', join(pki, 'srv.crt'), '-key', join(pki, 'srv.key'), '-WWW', '-quiet'],
      { cwd: www, stdio: 'ignore' });
    children.push(s);
    // Accepts TCP and never answers: the probe must give up after TIMEOUT seconds.
    silent = await freePort();
    children.push(spawn(process.execPath, ['-e', `require('net').createServer(() => {}).listen(${silent}, '127.0.0.1')`], { stdio: 'ignore' }));
    // A TLS server with the same certificate that answers every request with 500, as an
    // apiserver does whose etcd is gone (openssl s_server -WWW answers 200 even for missing files).
    erroring = await freePort();
    children.push(spawn(process.execPath, ['-e', `
      const fs = require('fs');
      require('https').createServer({ cert: fs.readFileSync(process.argv[1]), key: fs.readFileSync(process.argv[2]) },
        (req, res) => { res.writeHead(500); res.end('[-]etcd failed'); }).listen(${erroring}, '127.0.0.1');`,
    join(pki, 'srv.crt'), join(pki, 'srv.key')], { stdio: 'ignore' }));
    closed = await freePort();
    await waitForPort(erroring);
    await waitForPort(healthy);
    await waitForPort(silent);

    const plan = planFromFile('profiles/ha.yaml');
    checker = writeChecker(plan, plan.nodes.find((n) => n.name === 'w1')!);
  }, 30_000);

  afterAll(() => {
    for (const c of children) c.kill();
  });
  beforeEach((ctx) => needTools(ctx, ...TOOLS));

  async function probe(addr: string, opts: { ca?: string; path?: string; timeout?: number } = {}) {
    return runAsync('bash', ['-c', `. "$1"; CA_FILE=$2; HEALTH_PATH=$3; TIMEOUT=$4; lb_probe "$5" && echo 0 || echo $?`, 'test', checker,
      opts.ca ?? join(pki, 'ca.crt'), opts.path ?? '/healthz', String(opts.timeout ?? 1), addr]);
  }

  it('succeeds against a healthy apiserver stand-in whose certificate the cluster CA signed', async () => {
    const r = await probe(`127.0.0.1:${healthy}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0\n');
  });

  it('fails when the certificate is not from the cluster CA (curl 60)', async () => {
    expect((await probe(`127.0.0.1:${healthy}`, { ca: join(pki, 'other.crt') })).stdout).toBe('60\n');
  });

  it('fails on an HTTP error status (curl 22)', async () => {
    expect((await probe(`127.0.0.1:${erroring}`)).stdout).toBe('22\n');
  });

  it('fails at once when nothing listens (curl 7)', async () => {
    expect((await probe(`127.0.0.1:${closed}`)).stdout).toBe('7\n');
  });

  it('gives up after the timeout on a server that never answers (curl 28)', async () => {
    const r = await probe(`127.0.0.1:${silent}`, { timeout: 1 });
    expect(r.stdout).toBe('28\n');
    // Printed, not asserted tightly: the point is that a hung apiserver costs one timeout.
    console.log(`lb_probe against a silent server returned after ${r.ms} ms (timeout 1 s)`);
    expect(r.ms).toBeLessThan(5000);
  });
});
