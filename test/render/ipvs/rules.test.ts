/** The rule set, the explain view, the phase list and the endpoint entries, per role and topology. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lbRuleSet } from '../../../src/render/ipvs/rules.js';
import { lbView } from '../../../src/render/ipvs/view.js';
import { nodeFiles } from '../../../src/render/node.js';
import type { ClusterPlan, Phase } from '../../../src/plan/types.js';
import { planFromFile, planFromText } from '../../builders/plan.js';

const HA = readFileSync('profiles/ha.yaml', 'utf8');
const PHASE_ORDER: readonly Phase[] = ['preflight', 'secrets', 'artifacts', 'os', 'runtime', 'lb', 'kubeadm'];

function node(plan: ClusterPlan, name: string) {
  const n = plan.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/** ha.yaml with its loadBalancer line replaced. */
function haWith(loadBalancer: string): ClusterPlan {
  const text = HA.replace('loadBalancer: { mode: ipvs, vip: 10.103.97.2 }', `loadBalancer: ${loadBalancer}`);
  if (text === HA) throw new Error('ha.yaml no longer has the loadBalancer line this test edits');
  return planFromText(text);
}

describe('lbRuleSet', () => {
  it('gives a worker the route, the virtual server and every control-plane node as a masquerade real server', () => {
    const plan = planFromFile('profiles/ha.yaml');
    expect(lbRuleSet(plan, node(plan, 'w2'))).toEqual({
      vip: '10.103.97.2',
      port: 6443,
      service: '10.103.97.2:6443',
      scheduler: 'rr',
      route: { destination: '10.103.97.2/32', dev: 'eth0', src: '192.168.10.22' },
      backends: [
        { name: 'cp1', ip: '192.168.10.11', port: 6443, address: '192.168.10.11:6443' },
        { name: 'cp2', ip: '192.168.10.12', port: 6443, address: '192.168.10.12:6443' },
        { name: 'cp3', ip: '192.168.10.13', port: 6443, address: '192.168.10.13:6443' },
      ],
      commands: [
        ['ip', 'route', 'replace', '10.103.97.2/32', 'dev', 'eth0', 'src', '192.168.10.22'],
        ['ipvsadm', '-A', '-t', '10.103.97.2:6443', '-s', 'rr'],
        ['ipvsadm', '-a', '-t', '10.103.97.2:6443', '-r', '192.168.10.11:6443', '-m', '-w', '1'],
        ['ipvsadm', '-a', '-t', '10.103.97.2:6443', '-r', '192.168.10.12:6443', '-m', '-w', '1'],
        ['ipvsadm', '-a', '-t', '10.103.97.2:6443', '-r', '192.168.10.13:6443', '-m', '-w', '1'],
      ],
    });
  });

  it('with external etcd balances over the control-plane nodes only, never the etcd members', () => {
    const plan = planFromFile('profiles/external-etcd.yaml');
    const rules = lbRuleSet(plan, node(plan, 'w1'))!;
    expect(rules.backends.map((b) => b.address)).toEqual(['10.20.1.11:6443', '10.20.1.12:6443', '10.20.1.13:6443']);
    expect(rules.commands[0]).toEqual(['ip', 'route', 'replace', '10.103.97.2/32', 'dev', 'eth0', 'src', '10.20.1.31']);
    for (const name of ['etcd1', 'etcd2', 'etcd3', 'cp1', 'cp2', 'cp3']) expect(lbRuleSet(plan, node(plan, name))).toBeNull();
  });

  it('follows the profile: VIP, port, scheduler and interface', () => {
    const text = HA
      .replace('loadBalancer: { mode: ipvs, vip: 10.103.97.2 }', 'loadBalancer: { mode: ipvs, vip: 10.250.0.9, scheduler: lc }')
      .replace('port: 6443', 'port: 8443')
      .replace('{ name: w1, role: worker, ip: 192.168.10.21/24,', '{ name: w1, role: worker, interface: ens3, ip: 192.168.10.21/24,');
    const plan = planFromText(text);
    expect(lbRuleSet(plan, node(plan, 'w1'))!.commands.slice(0, 3)).toEqual([
      ['ip', 'route', 'replace', '10.250.0.9/32', 'dev', 'ens3', 'src', '192.168.10.21'],
      ['ipvsadm', '-A', '-t', '10.250.0.9:8443', '-s', 'lc'],
      ['ipvsadm', '-a', '-t', '10.250.0.9:8443', '-r', '192.168.10.11:8443', '-m', '-w', '1'],
    ]);
  });
});

describe('which nodes run the load balancer (phases, files, explain view)', () => {
  const cases: { title: string; plan: () => ClusterPlan; lb: string[]; none: string[] }[] = [
    { title: 'ha, default: workers only', plan: () => planFromFile('profiles/ha.yaml'), lb: ['w1', 'w2', 'w3'], none: ['cp1', 'cp2', 'cp3'] },
    { title: 'ha, onControlPlane: every node', plan: () => haWith('{ mode: ipvs, vip: 10.103.97.2, onControlPlane: true }'), lb: ['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3'], none: [] },
    { title: 'ha, mode none: no node', plan: () => haWith('{ mode: none }'), lb: [], none: ['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3'] },
    { title: 'external etcd: workers only, never etcd members', plan: () => planFromFile('profiles/external-etcd.yaml'), lb: ['w1', 'w2'], none: ['etcd1', 'etcd2', 'etcd3', 'cp1', 'cp2', 'cp3'] },
    { title: 'single-node lab: none', plan: () => planFromFile('profiles/lab.yaml'), lb: [], none: ['lab1'] },
  ];

  it.each(cases)('$title', ({ plan: make, lb, none }) => {
    const plan = make();
    expect([...plan.nodes.map((n) => n.name)].sort()).toEqual([...lb, ...none].sort());
    for (const name of lb) {
      const n = node(plan, name);
      expect(n.runsLb).toBe(true);
      // In run order, after the runtime and before kubeadm, whatever other phases there are.
      expect(n.phases).toContain('lb');
      expect(n.phases).toEqual(PHASE_ORDER.filter((p) => n.phases.includes(p)));
      const paths = nodeFiles(plan, n).map((f) => f.path).filter((p) => /lb/.test(p));
      expect(paths).toEqual([
        '/etc/systemd/system/kubeseed-lb-checker.service',
        `${plan.os.libDir}/phases/lb.sh`,
        `${plan.os.sbinDir}/kubeseed-lb-checker`,
      ].sort());
      expect(lbView(plan, n)).not.toBeNull();
    }
    for (const name of none) {
      const n = node(plan, name);
      expect(n.runsLb).toBe(false);
      expect(n.phases).not.toContain('lb');
      expect(nodeFiles(plan, n).map((f) => f.path).filter((p) => /lb/.test(p))).toEqual([]);
      expect(lbView(plan, n)).toBeNull();
      expect(lbRuleSet(plan, n)).toBeNull();
    }
  });
});

describe('lbView', () => {
  it('shows VIP, backends and checker settings of the profile', () => {
    const plan = planFromFile('profiles/external-etcd.yaml');
    expect(lbView(plan, node(plan, 'w2'))).toEqual({
      vip: '10.103.97.2',
      port: 6443,
      scheduler: 'rr',
      backends: [
        { name: 'cp1', ip: '10.20.1.11', port: 6443 },
        { name: 'cp2', ip: '10.20.1.12', port: 6443 },
        { name: 'cp3', ip: '10.20.1.13', port: 6443 },
      ],
      checker: { intervalSeconds: 2, timeoutSeconds: 1, failuresToRemove: 3 },
    });
  });

  it('carries non-default checker settings', () => {
    const plan = haWith('{ mode: ipvs, vip: 10.103.97.2, scheduler: wrr, healthCheck: { intervalSeconds: 5, timeoutSeconds: 3, failuresToRemove: 1 } }');
    const view = lbView(plan, node(plan, 'w1'))!;
    expect(view.scheduler).toBe('wrr');
    expect(view.checker).toEqual({ intervalSeconds: 5, timeoutSeconds: 3, failuresToRemove: 1 });
  });
});

describe('endpoint name in /etc/hosts, per role and topology', () => {
  // What the os phase writes as the endpoint block at first boot (node.endpointIp), and where the
  // kubeadm phase repoints it once the node's own apiserver answers (node.endpointIpWhenReady).
  const endpoints = (plan: ClusterPlan) =>
    Object.fromEntries(plan.nodes.map((n) => [n.name, [n.endpointIp, n.endpointIpWhenReady ?? null]]));

  it('stacked HA with IPVS: workers use the VIP, control-plane nodes the first one, then their own', () => {
    expect(endpoints(planFromFile('profiles/ha.yaml'))).toEqual({
      cp1: ['192.168.10.11', '192.168.10.11'],
      cp2: ['192.168.10.11', '192.168.10.12'],
      cp3: ['192.168.10.11', '192.168.10.13'],
      w1: ['10.103.97.2', null],
      w2: ['10.103.97.2', null],
      w3: ['10.103.97.2', null],
    });
  });

  it('external etcd with IPVS: the same for control plane and workers', () => {
    const e = endpoints(planFromFile('profiles/external-etcd.yaml'));
    expect({ cp1: e.cp1, cp2: e.cp2, cp3: e.cp3, w1: e.w1, w2: e.w2 }).toEqual({
      cp1: ['10.20.1.11', '10.20.1.11'],
      cp2: ['10.20.1.11', '10.20.1.12'],
      cp3: ['10.20.1.11', '10.20.1.13'],
      w1: ['10.103.97.2', null],
      w2: ['10.103.97.2', null],
    });
  });

  it('lb mode none: workers use the first control-plane node, nobody the VIP', () => {
    expect(endpoints(haWith('{ mode: none }'))).toEqual({
      cp1: ['192.168.10.11', '192.168.10.11'],
      cp2: ['192.168.10.11', '192.168.10.12'],
      cp3: ['192.168.10.11', '192.168.10.13'],
      w1: ['192.168.10.11', null],
      w2: ['192.168.10.11', null],
      w3: ['192.168.10.11', null],
    });
  });

  it('the os phase of a worker writes the VIP for the endpoint name', () => {
    const plan = planFromFile('profiles/ha.yaml');
    const os = nodeFiles(plan, node(plan, 'w1')).find((f) => f.path === `${plan.os.libDir}/phases/os.sh`)!;
    const lines = String(os.content).split('\n');
    expect(lines).toContain("ENDPOINT_HOST='apiserver.cluster.local'");
    expect(lines).toContain("ENDPOINT_IP='10.103.97.2'");
  });
});
