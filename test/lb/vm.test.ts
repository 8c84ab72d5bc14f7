/**
 * The rendered IPVS checker against a real IPVS kernel: a throwaway VM (test/vm/kernel-vm.sh) whose
 * /init (test/lb/guest.sh) is node w1 of profiles/ha.yaml with three HTTPS stand-ins for the
 * apiservers in a network namespace. Needs root, qemu (KVM when it works, else TCG) and the kernel package that
 * test/vm/prepare-kernel.sh downloads; without them it says so (and fails under CI=true).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderChecker } from '../../src/render/ipvs/files.js';
import { NODE_ENV_FILE, renderNodeEnv } from '../../src/render/scripts/phases.js';
import { planFromText } from '../builders/plan.js';
import { needPrerequisite, needRoot, needTools, run, type Skippable } from '../helpers/tools.js';

const KERNEL_DIR = resolve(process.env.KUBESEED_VM_KERNEL ?? '.cache/kernel/kernel');

/** Tools, root and the kernel test/vm/prepare-kernel.sh fetches: the test is skipped without them (failed under CI). */
function needAll(ctx: Skippable): void {
  needTools(ctx, 'qemu-system-x86_64:qemu-system-x86', 'ipvsadm:ipvsadm', 'curl:curl', 'openssl:openssl', 'modprobe:kmod', 'cpio:cpio', 'xtables-legacy-multi:iptables');
  needRoot(ctx, 'the IPVS VM test');
  needPrerequisite(ctx, existsSync(join(KERNEL_DIR, 'done')), `a kernel in ${KERNEL_DIR} (run test/vm/prepare-kernel.sh)`);
}

function put(root: string, path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  chmodSync(join(root, path), mode);
}

describe('kubeseed-lb-checker in a VM with IPVS', () => {
  it('builds the table, drains, removes, restores and repairs', (ctx) => {
    needAll(ctx);
    const work = mkdtempSync(join(tmpdir(), 'kubeseed-lb-vm-'));
    const input = join(work, 'input');
    const pki = join(work, 'pki');
    mkdirSync(pki, { recursive: true });
    const ossl = (...args: string[]) => {
      const r = run('openssl', args, { cwd: pki });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
      '-days', '2', '-subj', '/CN=kubernetes', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=kube-apiserver');
    // kubeadm puts the advertise address and the endpoint into the apiserver's SANs; the VIP is
    // here so the test's own requests through the VIP can verify the certificate too.
    writeFileSync(join(pki, 'ext'), 'subjectAltName=IP:192.168.10.11,IP:192.168.10.12,IP:192.168.10.13,IP:10.103.97.2\nextendedKeyUsage=serverAuth\n');
    ossl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext');

    // ha.yaml with a 5 s probe timeout: without KVM the VM is emulated (TCG) and a TLS handshake
    // can take more than the default 1 s there; the interval stays at the default 2 s.
    const profile = readFileSync('profiles/ha.yaml', 'utf8').replace('loadBalancer: { mode: ipvs, vip: 10.103.97.2 }',
      'loadBalancer: { mode: ipvs, vip: 10.103.97.2, healthCheck: { intervalSeconds: 2, timeoutSeconds: 5, failuresToRemove: 3 } }');
    const plan = planFromText(profile);
    expect(plan.lb.timeoutSeconds).toBe(5);
    const w1 = plan.nodes.find((n) => n.name === 'w1')!;
    put(input, 'usr/local/sbin/kubeseed-lb-checker', renderChecker(plan, w1), 0o755);
    put(input, NODE_ENV_FILE.slice(1), renderNodeEnv(plan, w1));
    put(input, 'etc/kubernetes/pki/ca.crt', readFileSync(join(pki, 'ca.crt'), 'utf8'));
    put(input, 'srv/pki/srv.crt', readFileSync(join(pki, 'srv.crt'), 'utf8'));
    put(input, 'srv/pki/srv.key', readFileSync(join(pki, 'srv.key'), 'utf8'), 0o600);

    const consoleLog = join(work, 'console.log');
    const r = run('bash', ['test/vm/kernel-vm.sh', KERNEL_DIR, 'test/lb/guest.sh', input, consoleLog]);
    const out = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    expect(r.status, `${r.stderr}\n${out}`).toBe(0);
    const lines = out.split(/\r?\n/);
    for (const l of lines.filter((x) => /^(RESULT|MEASURE|KERNEL|IPVS) /.test(x))) console.log(l);

    const results = Object.fromEntries(lines.filter((l) => l.startsWith('RESULT ')).map((l) => {
      const [, name, verdict] = l.split(' ');
      return [name, verdict];
    }));
    expect(results).toEqual({
      table: 'PASS', conntrack: 'PASS', route: 'PASS', traffic: 'PASS', drain: 'PASS', 'failover-traffic': 'PASS',
      remove: 'PASS', restore: 'PASS', 'repair-vs': 'PASS', 'repair-weight': 'PASS', 'repair-route': 'PASS',
      'traffic-after-repairs': 'PASS', once: 'PASS', 'firewall-conntrack-1': 'PASS', 'firewall-conntrack-0': 'PASS',
    });

    const measures = Object.fromEntries(lines.filter((l) => l.startsWith('MEASURE ')).map((l) => {
      const [, name, ms] = l.split(' ');
      return [name, Number(ms)];
    }));
    console.log(`failover (cp2 stopped -> weight 0): ${measures.drain_ms} ms; removed after ${measures.remove_ms} ms; restored ${measures.restore_ms} ms after restart; virtual server repaired ${measures.repair_vs_ms} ms after ipvsadm -C (interval ${plan.lb.intervalSeconds} s)`);
    // "Drops it from the table within two check intervals" (the issue), plus one probe timeout.
    expect(measures.drain_ms).toBeLessThan((2 * plan.lb.intervalSeconds + plan.lb.timeoutSeconds) * 1000);

    const log = lines.filter((l) => l.startsWith('LOG ')).map((l) => l.slice(4));
    expect(log).toContain('lb: start 10.103.97.2:6443 scheduler rr, 3 backends, interval 2s, timeout 5s, remove after 3 failures');
    expect(log).toContain('lb: sysctl net.ipv4.vs.conntrack 0->1');
    expect(log).toContain('lb: backend cp1 192.168.10.11:6443 new->up (probe ok)');
    // A stopped apiserver usually refuses connections (curl exit 7), but a probe that was mid-way
    // when the stand-in died ends otherwise (empty reply 52, TLS 35, send 55, receive 56,
    // timeout 28).
    const failed = (from: string, to: string, n: number): RegExp =>
      new RegExp(`^lb: backend cp2 192\\.168\\.10\\.12:6443 ${from}->${to} \\(probe failed ${n}/3: curl exit (7|28|35|52|55|56)\\)$`);
    expect(log.some((l) => failed('up', 'draining', 1).test(l)), log.join('\n')).toBe(true);
    expect(log.some((l) => failed('draining', 'removed', 3).test(l)), log.join('\n')).toBe(true);
    expect(log).toContain('lb: backend cp2 192.168.10.12:6443 removed->up (probe ok)');
    expect(log).toContain('lb: virtual server 10.103.97.2:6443 missing, recreated');
    expect(log).toContain('lb: backend cp3 192.168.10.13:6443 up: repaired real server (weight was 7, now 1)');
    expect(log).toContain('lb: route 10.103.97.2/32 missing, restored');
  }, 900_000);
});
