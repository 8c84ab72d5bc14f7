/**
 * One small profile per supported OS family and release, for the golden, real-tool and
 * throw-away-root tests. Each varies what its family varies (iptables backend, SELinux,
 * firewall tool, containerd config version) and shares the rest.
 */
export interface FamilyCase {
  /** Directory name under test/golden/os/. */
  readonly id: string;
  readonly text: string;
}

interface Variant {
  readonly id: string;
  readonly os: string;
  readonly containerd: string;
  readonly proxyMode: 'ipvs' | 'iptables';
  readonly artifacts: 'online' | 'bundle' | 'mirror';
}

const VARIANTS: readonly Variant[] = [
  { id: 'ubuntu-22.04', os: '{ family: ubuntu, version: "22.04", iptables: legacy, ntpServers: [ntp1.example.internal, 10.0.0.123] }', containerd: '1.7.30', proxyMode: 'ipvs', artifacts: 'online' },
  { id: 'ubuntu-24.04', os: '{ family: ubuntu, version: "24.04", ntpServers: [ntp1.example.internal] }', containerd: '2.0.7', proxyMode: 'iptables', artifacts: 'online' },
  { id: 'debian-12', os: '{ family: debian, version: "12", iptables: nft, ntpServers: [ntp1.example.internal] }', containerd: '1.7.30', proxyMode: 'ipvs', artifacts: 'bundle' },
  { id: 'rocky-9', os: '{ family: rocky, version: "9", selinux: permissive, ntpServers: [ntp1.example.internal] }', containerd: '2.0.7', proxyMode: 'ipvs', artifacts: 'online' },
  { id: 'rhel-8', os: '{ family: rhel, version: "8", iptables: nft, selinux: disabled }', containerd: '1.7.30', proxyMode: 'iptables', artifacts: 'mirror' },
];

function profileText(v: Variant): string {
  return `apiVersion: kubeseed.io/v1alpha1
kind: ClusterProfile
metadata: { name: fam }
spec:
  kubernetes: { version: v1.31.12, proxyMode: ${v.proxyMode} }
  controlPlane:
    loadBalancer: { mode: ipvs, vip: 10.103.97.2, scheduler: lc }
  os: ${v.os}
  containerd:
    version: ${v.containerd}
    mirrors:
      docker.io: [ "https://mirror.example.internal" ]
      registry.local:5000:
        - { url: "https://registry.local:5000", caFile: /etc/kubeseed/registry-ca.crt }
      _default:
        - { url: "http://10.0.0.5:5000", skipVerify: true, capabilities: [pull] }
  artifacts:
    source: ${v.artifacts}${v.artifacts === 'mirror' ? '\n    mirror: { url: "https://artifacts.example.internal/kubeseed" }' : ''}
  access: { user: ops }
  nodes:
    - { name: cp1, role: control-plane, ip: 192.168.10.11/24, gateway: 192.168.10.1, mac: "52:54:00:00:10:11", productUuid: 4c4c4544-0031-3210-8052-b4c04f000111 }
    - { name: w1, role: worker, ip: 192.168.10.21/24, gateway: 192.168.10.1, mac: "52:54:00:00:10:21" }
`;
}

export const FAMILY_CASES: readonly FamilyCase[] = VARIANTS.map((v) => ({ id: v.id, text: profileText(v) }));
