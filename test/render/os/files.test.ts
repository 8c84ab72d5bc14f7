/** The OS files: which modules, which sysctls, which NTP servers, per node and profile. */
import { describe, expect, it } from 'vitest';
import { planFromText } from '../../builders/plan.js';
import { FAMILY_CASES } from '../../golden/families.js';
import { osFiles } from '../../../src/render/os/files.js';
import { ufwPorts } from '../../../src/render/os/firewall.js';

const base = FAMILY_CASES.find((c) => c.id === 'ubuntu-22.04')!.text;
const IPVS = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'];

function modulesOf(text: string, node: string): readonly string[] {
  const plan = planFromText(text);
  return plan.nodes.find((n) => n.name === node)!.kernelModules;
}

describe('kernel modules', () => {
  it('IPVS proxy mode: every node gets the IPVS set; the LB scheduler (lc) where the VIP runs', () => {
    expect(modulesOf(base, 'cp1')).toEqual(['overlay', 'br_netfilter', ...IPVS]);
    expect(modulesOf(base, 'w1')).toEqual(['overlay', 'br_netfilter', ...IPVS, 'ip_vs_lc']);
  });

  it('iptables proxy mode: ip_vs only on nodes that carry the IPVS apiserver VIP', () => {
    const text = base.replace('proxyMode: ipvs', 'proxyMode: iptables');
    expect(modulesOf(text, 'cp1')).toEqual(['overlay', 'br_netfilter']);
    expect(modulesOf(text, 'w1')).toEqual(['overlay', 'br_netfilter', ...IPVS, 'ip_vs_lc']);
  });

  it('iptables proxy mode and no load balancer: no IPVS at all', () => {
    const text = base.replace('proxyMode: ipvs', 'proxyMode: iptables').replace('mode: ipvs, vip', 'mode: none, vip');
    expect(modulesOf(text, 'w1')).toEqual(['overlay', 'br_netfilter']);
  });

  it('a round-robin LB adds no second copy of ip_vs_rr', () => {
    expect(modulesOf(base.replace('scheduler: lc', 'scheduler: rr'), 'w1')).toEqual(['overlay', 'br_netfilter', ...IPVS]);
  });
});

describe('files', () => {
  const plan = planFromText(base);
  const files = new Map(osFiles(plan, plan.nodes[0]!).map((f) => [f.path, f]));

  it('sysctl drop-in holds exactly the three keys', () => {
    const keys = String(files.get('/etc/sysctl.d/99-kubernetes.conf')!.content).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(keys).toEqual(['net.bridge.bridge-nf-call-iptables = 1', 'net.bridge.bridge-nf-call-ip6tables = 1', 'net.ipv4.ip_forward = 1']);
  });

  it('NTP servers become chrony server lines, in profile order', () => {
    expect(files.get('/etc/kubeseed/chrony.sources')!.content).toBe('server ntp1.example.internal iburst\nserver 10.0.0.123 iburst\n');
    expect(plan.os.packages.at(-1)).toBe('chrony');
  });

  it('no NTP servers: no chrony file and no chrony package', () => {
    const p = planFromText(FAMILY_CASES.find((c) => c.id === 'rhel-8')!.text);
    expect(osFiles(p, p.nodes[0]!).map((f) => f.path)).toEqual(['/etc/sysctl.d/99-kubernetes.conf', '/etc/modules-load.d/kubernetes.conf']);
    expect(p.os.packages).toEqual(['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute', 'iptables', 'ipvsadm', 'kmod', 'socat']);
  });

  it('all are plain 0644 files', () => {
    for (const f of files.values()) expect([f.mode, f.secret]).toEqual([0o644, false]);
  });
});

it('ufw writes port ranges with a colon', () => {
  expect(ufwPorts(['6443/tcp', '30000-32767/tcp'])).toEqual(['6443/tcp', '30000:32767/tcp']);
});
