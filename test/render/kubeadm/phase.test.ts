/**
 * The kubeadm phase script: shellcheck on every node's script, and runs of the real script under
 * bash in a sandbox (paths under /etc moved into a temporary directory, kubeadm, kubectl, curl
 * and systemctl replaced by stubs that record their arguments).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { patchedManifest } from '../../../src/render/cni/files.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ClusterPlan, NodePlan } from '../../../src/plan/types.js';
import { renderKubeadmPhase } from '../../../src/render/kubeadm/phase.js';
import { renderNodeEnv, scriptCommon } from '../../../src/render/scripts/phases.js';
import { renderScript } from '../../../src/render/scripts/template.js';
import { EXAMPLE_PROFILES, planFromFile, planFromText } from '../../builders/plan.js';
import { fixtureManifest, fixtureTable, withPlugin } from '../../cni/fixture-table.js';
import { needTools, run } from '../../helpers/tools.js';
import { APIS, planFor } from './plans.js';

/** An example profile's plan with the pod network's fixture manifest compiled in. */
function withNetwork(profile: string, plugin: 'calico' | 'flannel'): ClusterPlan {
  return planFromText(withPlugin(readFileSync(profile, 'utf8'), plugin), undefined, { table: fixtureTable(), cniManifest: fixtureManifest(plugin) });
}

describe('phase-kubeadm.sh passes shellcheck', () => {
  it.for(['calico', 'flannel'] as const)('with the %s apply step compiled in, every node', (plugin, ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const plan = withNetwork('profiles/ha.yaml', plugin);
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-kubeadm-sc-'));
    const files = plan.nodes.map((node) => {
      const p = join(dir, `${node.name}.sh`);
      writeFileSync(p, renderKubeadmPhase(plan, node));
      return p;
    });
    expect(readFileSync(files[0]!, 'utf8')).toContain('apply --server-side --field-manager=kubeseed');
    const r = run('shellcheck', ['--severity=style', '--shell=bash', ...files]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.for(EXAMPLE_PROFILES.flatMap((p) => APIS.map((api) => [p, api] as const)))('%s (%s), every node', ([profile, api], ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const plan = planFor(profile, api);
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-kubeadm-sc-'));
    const files = plan.nodes.map((node) => {
      const p = join(dir, `${node.name}.sh`);
      writeFileSync(p, renderKubeadmPhase(plan, node));
      return p;
    });
    const r = run('shellcheck', ['--severity=style', '--shell=bash', ...files]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

interface Sandbox {
  readonly dir: string;
  readonly script: string;
  run(args?: string[]): { status: number; stdout: string; stderr: string; log: string; calls: string[] };
}

/**
 * Renders the node's phase script and lib.sh into a temporary directory with every absolute
 * path the script touches moved under it, and stubs first on PATH.
 */
function sandbox(plan: ClusterPlan, node: NodePlan, stubs: Record<string, string>, patches: [string, string][] = []): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-kubeadm-run-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(join(dir, 'etc/kubernetes/pki'), { recursive: true });
  writeFileSync(join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
  const common = scriptCommon(plan);
  writeFileSync(join(dir, 'node.env'), renderNodeEnv(plan, node));
  const lib = renderScript('lib', common)
    .replace(`. '${common.nodeEnv}'`, `. '${dir}/node.env'`)
    .replace('KS_LOG_DIR=/var/log/kubeseed', `KS_LOG_DIR=${dir}/log`)
    .replace('KS_STATE_DIR=/var/lib/kubeseed', `KS_STATE_DIR=${dir}/state`);
  writeFileSync(join(dir, 'lib.sh'), lib);
  let script = renderKubeadmPhase(plan, node)
    .replace(`. '${common.lib}'`, `. '${dir}/lib.sh'`)
    .replaceAll('/etc/kubernetes/', `${dir}/etc/kubernetes/`)
    .replaceAll('/etc/kubeseed/', `${dir}/etc/kubeseed/`)
    .replaceAll('/etc/hosts', `${dir}/etc/hosts`);
  for (const [from, to] of patches) {
    if (!script.includes(from)) throw new Error(`patch target not in script: ${from}`);
    script = script.replace(from, to);
  }
  const scriptPath = join(dir, 'kubeadm.sh');
  writeFileSync(scriptPath, script);
  const all: Record<string, string> = { systemctl: 'exit 0', logger: 'exit 0', 'systemd-run': 'exit 1', ...stubs };
  for (const [name, body] of Object.entries(all)) {
    const p = join(bin, name);
    writeFileSync(p, `#!/usr/bin/env bash\necho "${name} $*" >>'${dir}/calls'\n${body}\n`);
    chmodSync(p, 0o755);
  }
  return {
    dir,
    script,
    run(args = []) {
      const r = run('bash', [scriptPath, ...args], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir }, timeout: 60_000 });
      const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
      return { ...r, log: read(join(dir, 'log/firstboot.log')), calls: read(join(dir, 'calls')).split('\n').filter(Boolean) };
    },
  };
}

/** Log lines without their timestamp and phase prefix. */
function messages(log: string): string[] {
  return log.split('\n').filter(Boolean).map((l) => l.replace(/^\S+ \[[^\]]+\] /, ''));
}

const FAST: [string, string][] = [["FIRST_DELAY='5'", "FIRST_DELAY='1'"], ["MAX_DELAY='60'", "MAX_DELAY='1'"]];

describe('running the kubeadm phase', () => {
  const ha = planFromFile('profiles/ha.yaml');
  const worker = ha.nodes.find((n) => n.name === 'w1')!;
  const cp3 = ha.nodes.find((n) => n.name === 'cp3')!;
  const cp1 = ha.nodes.find((n) => n.name === 'cp1')!;
  beforeEach((ctx) => needTools(ctx, 'bash:bash'));

  it('fails with the message the end-to-end test looks for when kubeadm is missing', () => {
    const sb = sandbox(ha, worker, {});
    const r = sb.run();
    expect(r.status).toBe(1);
    expect(messages(r.log)).toEqual([
      'FATAL: kubeadm binary missing from bundle: no executable /usr/local/bin/kubeadm and no kubeadm on PATH '
        + `(node w1, Kubernetes ${ha.kubernetes.version}, artifacts source online); the artifacts phase installs it`,
    ]);
  });

  it('a worker retries kubeadm join with backoff until it succeeds', () => {
    const sb = sandbox(ha, worker, {
      curl: 'exit 0',
      kubeadm: `n=$(cat "$HOME/joins" 2>/dev/null || echo 0); echo $((n + 1)) >"$HOME/joins"; ((n >= 2)) || { echo "discovery failed" >&2; exit 1; }`,
    }, [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ...FAST]);
    const r = sb.run();
    expect(r.stderr).toContain('discovery failed');
    expect(r.status).toBe(0);
    const joins = r.calls.filter((c) => c.startsWith('kubeadm '));
    expect(joins).toEqual(Array(3).fill(`kubeadm join --config ${sb.dir}/etc/kubernetes/kubeadm/kubeadm.yaml`));
    // Between tries the kubelet is stopped so that the next preflight finds port 10250 free.
    expect(r.calls.filter((c) => c.startsWith('systemctl '))).toEqual(['systemctl stop kubelet', 'systemctl stop kubelet']);
    const m = messages(r.log);
    // Seconds depend on the machine; the attempt count does not.
    expect(m.filter((l) => /^ready: kubeadm join through apiserver\.cluster\.local:6443 \(after 3 attempts, [0-9]+s\)$/.test(l))).toHaveLength(1);
    expect(m.at(-1)).toBe('joined the cluster as a worker');
  });

  it('a worker gives up after its overall timeout with a clear last line', () => {
    const sb = sandbox(ha, worker, { curl: 'exit 7' }, [
      ["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ["JOIN_TIMEOUT='3600'", "JOIN_TIMEOUT='3'"], ...FAST,
    ]);
    writeFileSync(join(sb.dir, 'bin/kubeadm'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(sb.dir, 'bin/kubeadm'), 0o755);
    const r = sb.run();
    expect(r.status).toBe(1);
    const m = messages(r.log);
    const gaveUp = m.filter((l) => l.startsWith('gave up waiting for the apiserver'));
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatch(new RegExp('^gave up waiting for the apiserver at https://apiserver\\.cluster\\.local:6443 '
      + `\\(TLS verified against ${sb.dir}/etc/kubernetes/pki/ca\\.crt\\) after [0-9]+ attempts in [0-9]+s$`));
    expect(m.at(-1)).toBe('FATAL: worker join gave up after 3s: the apiserver at https://apiserver.cluster.local:6443 never answered; '
      + 'run kubeseed-firstboot again once the control plane is up');
    // curl was asked to verify the apiserver against the cluster CA.
    expect(r.calls.filter((c) => c.startsWith('curl ')).at(0))
      .toBe(`curl -fsS --max-time 5 --cacert ${sb.dir}/etc/kubernetes/pki/ca.crt https://apiserver.cluster.local:6443/readyz`);
  });

  it('a node that already joined skips kubeadm', () => {
    const sb = sandbox(ha, worker, { kubeadm: 'exit 1' }, [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm']]);
    writeFileSync(join(sb.dir, 'etc/kubernetes/kubelet.conf'), 'x');
    const r = sb.run();
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(messages(r.log)).toEqual([`already joined (${sb.dir}/etc/kubernetes/kubelet.conf exists): skipping kubeadm join`]);
  });

  it('a control-plane node waits for the nodes before it, joins, then points the endpoint at itself', () => {
    const sb = sandbox(ha, cp3, {
      curl: 'exit 0',
      kubeadm: 'if [[ $1 == kubeconfig ]]; then echo "apiVersion: v1"; fi',
      // cp2 shows up on the second look.
      kubectl: `n=$(cat "$HOME/looks" 2>/dev/null || echo 0); echo $((n + 1)) >"$HOME/looks"; echo cp1; ((n < 1)) || echo cp2`,
    }, [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ["KUBECTL='/usr/local/bin/kubectl'", 'KUBECTL=kubectl'], ...FAST]);
    const r = sb.run();
    expect(r.stderr).not.toContain('FATAL');
    expect(r.status).toBe(0);
    const cfg = `${sb.dir}/etc/kubernetes/kubeadm`;
    expect(r.calls.filter((c) => !c.startsWith('curl '))).toEqual([
      `kubeadm kubeconfig user --config ${cfg}/join-wait.yaml --client-name kubeseed:join-wait:cp3 --org kubeseed:join-waiters --validity-period 2400s`,
      'kubectl --kubeconfig KCFG --request-timeout=10s get nodes -l node-role.kubernetes.io/control-plane -o jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}',
      'kubectl --kubeconfig KCFG --request-timeout=10s get nodes -l node-role.kubernetes.io/control-plane -o jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}',
      `kubeadm join --config ${cfg}/kubeadm.yaml`,
    ].map((c) => c.replace('KCFG', r.calls.find((x) => x.startsWith('kubectl'))!.split(' ')[2]!)));
    expect(messages(r.log)).toContain('control-plane nodes not registered yet: cp2');
    expect(readFileSync(join(sb.dir, 'etc/hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n# BEGIN kubeseed endpoint\n192.168.10.13 apiserver.cluster.local\n# END kubeseed endpoint\n',
    );
    // The short-lived kubeconfig does not outlive the wait.
    const kubeconfig = r.calls.find((x) => x.startsWith('kubectl'))!.split(' ')[2]!;
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it('an external etcd member makes its certificates and static pod as the HA etcd guide does, then waits for health', () => {
    const prod = planFromFile('profiles/external-etcd.yaml');
    const etcd1 = prod.nodes.find((n) => n.name === 'etcd1')!;
    const sb = sandbox(prod, etcd1, { kubeadm: 'exit 0', curl: `echo '{"health":"true","reason":""}'` },
      [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ...FAST]);
    mkdirSync(join(sb.dir, 'etc/kubernetes/pki/etcd'));
    writeFileSync(join(sb.dir, 'etc/kubernetes/pki/etcd/ca.crt'), 'CA');
    writeFileSync(join(sb.dir, 'etc/kubernetes/pki/etcd/ca.key'), 'KEY');
    const r = sb.run();
    expect(r.status).toBe(0);
    const cfg = `${sb.dir}/etc/kubernetes/kubeadm/kubeadm.yaml`;
    const pki = `${sb.dir}/etc/kubernetes/pki`;
    expect(r.calls).toEqual([
      `kubeadm init phase certs etcd-server --config ${cfg}`,
      `kubeadm init phase certs etcd-peer --config ${cfg}`,
      `kubeadm init phase certs etcd-healthcheck-client --config ${cfg}`,
      'systemctl daemon-reload',
      'systemctl enable kubelet',
      'systemctl restart kubelet',
      `kubeadm init phase etcd local --config ${cfg}`,
      `curl -fsS --max-time 5 --cacert ${pki}/etcd/ca.crt --cert ${pki}/etcd/healthcheck-client.crt --key ${pki}/etcd/healthcheck-client.key https://10.20.1.21:2379/health`,
    ]);
    expect(messages(r.log).at(-1)).toBe('etcd member etcd1 is healthy');
  });

  it('the first control-plane node waits for external etcd, inits, creates the wait RBAC and starts the UUID watch', () => {
    const prod = planFromFile('profiles/external-etcd.yaml');
    const cp1p = prod.nodes.find((n) => n.name === 'cp1')!;
    const sb = sandbox(prod, cp1p, { kubeadm: 'exit 0', kubectl: 'exit 0', curl: `echo '{"health":"true","reason":""}'`, 'systemd-run': 'exit 0' },
      [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ["KUBECTL='/usr/local/bin/kubectl'", 'KUBECTL=kubectl'], ...FAST]);
    const r = sb.run();
    expect(r.stderr).not.toContain('FATAL');
    expect(r.status).toBe(0);
    const k = `${sb.dir}/etc/kubernetes`;
    const etcdCurl = (name: string) => `curl -fsS --max-time 5 --cacert ${k}/pki/etcd/ca.crt --cert ${k}/pki/apiserver-etcd-client.crt `
      + `--key ${k}/pki/apiserver-etcd-client.key https://${name}:2379/health`;
    // systemd-run is given the absolute path of the bash running the phase ($BASH).
    const calls = r.calls.map((c) => c.replace(/ \/\S*bash (\S+\/kubeadm\.sh uuid-watch)$/, ' $BASH $1'));
    expect(calls).toEqual([
      etcdCurl('etcd1'), etcdCurl('etcd2'), etcdCurl('etcd3'),
      `kubeadm init --config ${k}/kubeadm/kubeadm.yaml --skip-token-print --skip-certificate-key-print`,
      `kubectl --kubeconfig ${k}/admin.conf apply -f ${k}/kubeadm/join-wait-rbac.yaml`,
      `systemd-run --unit=kubeseed-uuid-watch --collect --quiet --description=kubeseed: duplicate system UUID watch $BASH ${sb.dir}/kubeadm.sh uuid-watch`,
      `curl -fsS --max-time 5 --cacert ${k}/pki/ca.crt https://10.20.1.11:6443/readyz`,
    ]);
    expect(readFileSync(join(sb.dir, 'etc/hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n# BEGIN kubeseed endpoint\n10.20.1.11 apiserver.prod.example.internal\n# END kubeseed endpoint\n',
    );
  });

  it('the first control-plane node reports each duplicate system UUID once', () => {
    const sb = sandbox(ha, cp1, {
      kubectl: 'printf "%s\\n" "uuid-a cp1" "uuid-b w1" "uuid-a w2" "uuid-c w3"',
    }, [["KUBECTL='/usr/local/bin/kubectl'", 'KUBECTL=kubectl'], ["UUID_ROUNDS='60'", "UUID_ROUNDS='2'"], ["UUID_INTERVAL='60'", "UUID_INTERVAL='0'"]]);
    const r = sb.run(['uuid-watch']);
    expect(r.status).toBe(0);
    expect(messages(r.log)).toEqual([
      'watching Node system UUIDs for duplicates: 2 rounds, every 0s',
      'DUPLICATE SYSTEM UUID uuid-a shared by nodes: cp1 w2 -- these machines were probably cloned from one VM template; give each VM its own SMBIOS UUID',
      'system UUID watch finished',
    ]);
    expect(r.calls.filter((c) => c.startsWith('kubectl '))).toHaveLength(2);
    expect(r.calls.filter((c) => c.startsWith('logger '))).toEqual(['logger -p daemon.err -t kubeseed DUPLICATE SYSTEM UUID uuid-a shared by nodes: cp1 w2']);
  });

  describe('the pod network', () => {
    const net = withNetwork('profiles/ha.yaml', 'flannel');
    const init = net.nodes.find((n) => n.action === 'init')!;
    const stubs = { kubeadm: 'exit 0', curl: 'exit 0', 'systemd-run': 'exit 0' };
    const paths: [string, string][] = [["KUBEADM='/usr/local/bin/kubeadm'", 'KUBEADM=kubeadm'], ["KUBECTL='/usr/local/bin/kubectl'", 'KUBECTL=kubectl'], ...FAST];
    /** The sandbox with the manifest where the user-data puts it. */
    const withManifest = (sb: Sandbox): string => {
      const p = join(sb.dir, 'etc/kubeseed/cni/flannel-v0.28.5.yaml');
      mkdirSync(join(sb.dir, 'etc/kubeseed/cni'), { recursive: true });
      writeFileSync(p, patchedManifest(net)!.text);
      return p;
    };
    const applies = (calls: string[]) => calls.filter((c) => c.startsWith('kubectl ') && c.includes(' --server-side'));

    it('the first control-plane node applies it once after kubeadm init, server-side with the admin kubeconfig; a second run skips it', (ctx) => {
      needTools(ctx, 'bash:bash');
      const sb = sandbox(net, init, { ...stubs, kubectl: 'exit 0' }, paths);
      const manifest = withManifest(sb);
      const r = sb.run();
      expect(r.stderr).not.toContain('FATAL');
      expect(r.status).toBe(0);
      const k = `${sb.dir}/etc/kubernetes`;
      const apply = `kubectl --kubeconfig ${k}/admin.conf apply --server-side --field-manager=kubeseed -f ${manifest}`;
      const order = r.calls.filter((c) => c.startsWith('kubeadm ') || c.includes(' apply '));
      expect(order).toEqual([`kubeadm init --config ${k}/kubeadm/kubeadm.yaml --skip-token-print --skip-certificate-key-print`, `kubectl --kubeconfig ${k}/admin.conf apply -f ${k}/kubeadm/join-wait-rbac.yaml`, apply]);
      expect(r.calls.at(-1)).toBe(apply);
      const sha = createHash('sha256').update(patchedManifest(net)!.text).digest('hex');
      expect(readFileSync(join(sb.dir, 'state/pod-network.applied'), 'utf8')).toBe(`flannel v0.28.5 sha256:${sha}\n`);
      expect(messages(r.log).slice(-3)).toEqual([
        `applying the pod network flannel v0.28.5 (pods 10.244.0.0/16, MTU 1450) from ${manifest}`,
        `running: ${sb.dir}/bin/${apply}`,
        'pod network applied: flannel v0.28.5 (pods 10.244.0.0/16, MTU 1450)',
      ]);

      // Second run (kubeseed-firstboot --force): kubeadm init left kubelet.conf behind.
      writeFileSync(join(k, 'kubelet.conf'), 'x');
      rmSync(join(sb.dir, 'calls'));
      const again = sb.run();
      expect(again.status).toBe(0);
      expect(applies(again.calls)).toEqual([]);
      expect(again.calls.filter((c) => c.startsWith('kubeadm '))).toEqual([]);
      expect(messages(again.log).at(-1)).toBe(`pod network flannel v0.28.5 (pods 10.244.0.0/16, MTU 1450) already applied (${sb.dir}/state/pod-network.applied): skipping`);
    });

    it('retries the apply while the apiserver settles', (ctx) => {
      needTools(ctx, 'bash:bash');
      const sb = sandbox(net, init, {
        ...stubs,
        kubectl: `if [[ $* == *--server-side* ]]; then n=$(cat "$HOME/applies" 2>/dev/null || echo 0); echo $((n + 1)) >"$HOME/applies"; ((n >= 2)) || { echo "connection refused" >&2; exit 1; }; fi`,
      }, paths);
      withManifest(sb);
      const r = sb.run();
      expect(r.status, r.stderr).toBe(0);
      expect(applies(r.calls)).toHaveLength(3);
      expect(r.log).toContain('connection refused');
      expect(messages(r.log).at(-1)).toBe('pod network applied: flannel v0.28.5 (pods 10.244.0.0/16, MTU 1450)');
    });

    it('joining nodes never apply it, and only the init node has the step', (ctx) => {
      needTools(ctx, 'bash:bash');
      const cp3n = net.nodes.find((n) => n.name === 'cp3')!;
      const sb = sandbox(net, cp3n, {
        curl: 'exit 0', kubeadm: 'if [[ $1 == kubeconfig ]]; then echo "apiVersion: v1"; fi', kubectl: 'echo cp1; echo cp2',
      }, paths);
      const r = sb.run();
      expect(r.status, r.stderr).toBe(0);
      expect(r.calls.filter((c) => c.includes(' apply'))).toEqual([]);
      for (const n of net.nodes) {
        expect(renderKubeadmPhase(net, n).includes('apply --server-side'), n.name).toBe(n.action === 'init');
      }
    });

    it('without a manifest compiled in, the init node says so in its log and goes on', (ctx) => {
      needTools(ctx, 'bash:bash');
      const sb = sandbox(ha, cp1, { ...stubs, kubectl: 'exit 0' }, paths);
      const r = sb.run();
      expect(r.status, r.stderr).toBe(0);
      expect(r.calls.filter((c) => c.includes('--server-side'))).toEqual([]);
      expect(messages(r.log).at(-1)).toBe("no pod network was compiled in: flannel v0.28.5's manifest "
        + '(https://raw.githubusercontent.com/flannel-io/flannel/v0.28.5/Documentation/kube-flannel.yml) was not available when kubeseed compile ran; '
        + `the nodes stay NotReady until a pod network is applied (compile again after kubeseed bundle, or apply one with kubectl --kubeconfig ${sb.dir}/etc/kubernetes/admin.conf)`);
    });
  });
});
