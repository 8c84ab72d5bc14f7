/**
 * The bad-profile table: each case is a change to a valid base profile and the exact diagnostic
 * it must produce (path, line, and message). Shared by the parse-level and CLI-level tests.
 */
export const BASE = `apiVersion: kubeseed.io/v1alpha1
kind: ClusterProfile
metadata:
  name: t
spec:
  kubernetes:
    version: v1.30.13
  controlPlane:
    loadBalancer:
      vip: 10.103.97.2
  os:
    family: ubuntu
    version: "22.04"
  nodes:
    - name: cp1
      role: control-plane
      ip: 192.168.10.11/24
      gateway: 192.168.10.1
      mac: "52:54:00:00:10:11"
    - name: w1
      role: worker
      ip: 192.168.10.21/24
      gateway: 192.168.10.1
      mac: "52:54:00:00:10:21"
`;

export interface BadCase {
  readonly name: string;
  /** The whole profile text. */
  readonly text: string;
  /** `LINE:COL SEVERITY PATH: MESSAGE` of the first diagnostic. */
  readonly expected: string;
}

const replace = (from: string, to: string): string => {
  if (!BASE.includes(from)) throw new Error(`bad case: base has no ${from}`);
  return BASE.replace(from, to);
};
const node = (lines: string): string => `${BASE}${lines}`;

/** w1 with a bond of two NICs and VLAN 100 on it, carrying its address: lines 24-29. */
const W1_MAC = '      mac: "52:54:00:00:10:21"\n';
const bonded = (members = '["52:54:00:00:20:21", "52:54:00:00:20:22"]', vlan = '{ id: 100, link: bond0 }', extra = '      addressOn: bond0.100\n'): string =>
  replace(W1_MAC, `      bonds:\n        - name: bond0\n          members: ${members}\n      vlans:\n        - ${vlan}\n${extra}`);

/** Node networking: bonds, VLANs, MTUs (network-checks.ts and the schema). */
export const NETWORK_CASES: readonly BadCase[] = [
  { name: 'bond member with another node\'s MAC', text: bonded('["52:54:00:00:10:11", "52:54:00:00:20:22"]'), expected: '26:21 error spec.nodes[1].bonds[0].members[0]: duplicate of spec.nodes[0].mac' },
  { name: 'bond member MAC twice', text: bonded('["52:54:00:00:20:21", "52:54:00:00:20:21"]'), expected: '26:42 error spec.nodes[1].bonds[0].members[1]: duplicate of spec.nodes[1].bonds[0].members[0]' },
  { name: 'VLAN on a missing link', text: bonded(undefined, '{ id: 100, link: bond1 }'), expected: '28:28 error spec.nodes[1].vlans[0].link: no NIC or bond named bond1 on this node (links: bond0)' },
  { name: 'VLAN on a bond member', text: bonded(undefined, '{ id: 100, link: bond0p1 }'), expected: '28:28 error spec.nodes[1].vlans[0].link: no NIC or bond named bond0p1 on this node (bond0p1 is a bond member; put the VLAN on its bond) (links: bond0)' },
  { name: 'MTU below 1280', text: bonded(undefined, undefined, '      addressOn: bond0.100\n      mtu: 1000\n'), expected: '30:12 error spec.nodes[1].mtu: must be at least 1280 (the IPv6 minimum)' },
  { name: 'MTU above 9216', text: replace('  nodes:\n', '  network:\n    mtu: 9600\n  nodes:\n'), expected: '15:10 error spec.network.mtu: must be at most 9216 (the largest jumbo frame switches commonly carry)' },
  { name: 'bond without members', text: bonded('[]'), expected: '26:20 error spec.nodes[1].bonds[0].members: a bond needs at least one member NIC (by MAC)' },
  { name: 'VLAN id out of range', text: bonded(undefined, '{ id: 4095, link: bond0 }'), expected: '28:17 error spec.nodes[1].vlans[0].id: must be a VLAN id from 1 to 4094' },
  { name: 'VLAN MTU above its link\'s', text: bonded(undefined, '{ id: 100, link: bond0, mtu: 9000 }'), expected: '28:40 error spec.nodes[1].vlans[0].mtu: 9000 is larger than the MTU of its link bond0 (1500)' },
  { name: 'no interface named for the address', text: bonded(undefined, undefined, ''), expected: '20:7 error spec.nodes[1].addressOn: required when the node has bonds or VLANs: the interface that carries ip and the default route (one of bond0, bond0.100)' },
  { name: 'address on a bond member', text: bonded(undefined, undefined, '      addressOn: bond0p0\n'), expected: '29:18 error spec.nodes[1].addressOn: bond0p0 is a bond member (one of bond0, bond0.100)' },
  { name: 'LACP rate on an active-backup bond', text: bonded('["52:54:00:00:20:21"]\n          lacpRate: fast'), expected: '27:21 error spec.nodes[1].bonds[0].lacpRate: only 802.3ad bonds negotiate LACP; this bond\'s mode is active-backup' },
  { name: 'node without mac or bonds', text: replace(W1_MAC, ''), expected: '20:7 error spec.nodes[1].mac: required (the MAC of the node\'s NIC) unless the node has bonds' },
  { name: 'interface name too long', text: replace(W1_MAC, `${W1_MAC}      interface: enp0s31f6-uplink0\n`), expected: '25:18 error spec.nodes[1].interface: interface name enp0s31f6-uplink0 has 17 characters; the kernel allows at most 15' },
];

export const BAD_CASES: readonly BadCase[] = [
  { name: 'malformed YAML', text: replace('  os:\n', '  os: [\n'), expected: '12:13 error (document): YAML: Implicit keys need to be on a single line' },
  { name: 'alias before its anchor', text: replace('kind: ClusterProfile\n', 'kind: *k\n'), expected: '2:7 error (document): YAML: Unresolved alias (the anchor must be set before the alias): k' },
  { name: 'duplicate key', text: replace('    family: ubuntu\n', '    family: ubuntu\n    family: debian\n'), expected: '13:5 error (document): YAML: Map keys must be unique' },
  { name: 'not a mapping', text: '- just\n- a list\n', expected: '1:1 error (document): a profile is a YAML mapping with apiVersion, kind, metadata and spec' },
  { name: 'wrong apiVersion', text: replace('kubeseed.io/v1alpha1', 'kubeseed.io/v2'), expected: '1:13 error apiVersion: must be one of "kubeseed.io/v1alpha1", got string "kubeseed.io/v2"' },
  { name: 'unknown key with suggestion', text: replace('    family: ubuntu\n', '    family: ubuntu\n    selinx: permissive\n'), expected: '13:5 error spec.os.selinx: unknown key; did you mean "selinux"? (known: family, version, iptables, selinux, ntpServers, firewall)' },
  { name: 'unknown top-level key', text: `${BASE}extra: 1\n`, expected: '25:1 error extra: unknown key (known: apiVersion, kind, metadata, spec)' },
  { name: 'wrong type: version number', text: replace('version: v1.30.13', 'version: 1.30'), expected: '7:14 error spec.kubernetes.version: expected string, got number 1.3' },
  { name: 'missing required field', text: replace('    family: ubuntu\n', ''), expected: '12:5 error spec.os.family: required (one of "ubuntu", "debian", "rocky", "rhel", "flatcar", "fcos")' },
  { name: 'unsupported Kubernetes version', text: replace('v1.30.13', 'v1.30.6'), expected: '7:14 error spec.kubernetes.version: v1.30.6 is not in the version table (supported: v1.29.12, v1.30.13, v1.31.12, v1.32.8, v1.33.5)' },
  { name: 'bad enum', text: replace('role: worker', 'role: master'), expected: '21:13 error spec.nodes[1].role: must be one of "control-plane", "worker", "etcd", got string "master"' },
  { name: 'duplicate name', text: replace('name: w1', 'name: cp1'), expected: '20:13 error spec.nodes[1].name: duplicate of spec.nodes[0].name' },
  { name: 'duplicate IP', text: replace('ip: 192.168.10.21/24', 'ip: 192.168.10.11/24'), expected: '22:11 error spec.nodes[1].ip: duplicate of spec.nodes[0].ip' },
  { name: 'duplicate MAC', text: replace('"52:54:00:00:10:21"', '"52:54:00:00:10:11"'), expected: '24:12 error spec.nodes[1].mac: duplicate of spec.nodes[0].mac' },
  { name: 'duplicate product_uuid', text: replace('      mac: "52:54:00:00:10:21"\n', '      mac: "52:54:00:00:10:21"\n      productUuid: 4c4c4544-0031-3210-8052-b4c04f000111\n').replace('      mac: "52:54:00:00:10:11"\n', '      mac: "52:54:00:00:10:11"\n      productUuid: 4c4c4544-0031-3210-8052-b4c04f000111\n'), expected: '26:20 error spec.nodes[1].productUuid: duplicate of spec.nodes[0].productUuid' },
  { name: 'hostile name $(reboot)', text: replace('name: w1', 'name: "$(reboot)"'), expected: '20:13 error spec.nodes[1].name: must be an RFC 1123 label: lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit' },
  { name: 'path traversal name', text: replace('name: w1', 'name: ../x'), expected: '20:13 error spec.nodes[1].name: must be an RFC 1123 label: lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit' },
  { name: 'upper-case hostname', text: replace('name: w1', 'name: Worker1'), expected: '20:13 error spec.nodes[1].name: must be an RFC 1123 label: lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit' },
  { name: 'bad CIDR', text: replace('ip: 192.168.10.21/24', 'ip: 192.168.10.300/24'), expected: '22:11 error spec.nodes[1].ip: must be an IPv4 CIDR like 10.244.0.0/16' },
  { name: 'address without prefix', text: replace('ip: 192.168.10.21/24', 'ip: 192.168.10.21'), expected: '22:11 error spec.nodes[1].ip: must be an IPv4 CIDR like 10.244.0.0/16' },
  { name: 'bad MAC', text: replace('"52:54:00:00:10:21"', '"52-54-00-00-10-21"'), expected: '24:12 error spec.nodes[1].mac: must be a MAC address like 52:54:00:00:10:11 (lower-case hex)' },
  { name: 'pod and service subnets overlap', text: replace('    version: v1.30.13\n', '    version: v1.30.13\n    podSubnet: 10.96.0.0/12\n'), expected: '7:5 error spec.kubernetes.serviceSubnet: overlaps spec.kubernetes.podSubnet 10.96.0.0/12' },
  { name: 'node subnet overlaps pods', text: replace('    version: v1.30.13\n', '    version: v1.30.13\n    podSubnet: 192.168.0.0/16\n'), expected: '18:11 error spec.nodes[0].ip: node subnet overlaps spec.kubernetes.podSubnet 192.168.0.0/16' },
  { name: 'VIP inside service subnet', text: replace('vip: 10.103.97.2', 'vip: 10.96.0.50'), expected: '10:12 error spec.controlPlane.loadBalancer.vip: 10.96.0.50 lies inside spec.kubernetes.serviceSubnet 10.96.0.0/16' },
  { name: 'VIP inside a node subnet', text: replace('vip: 10.103.97.2', 'vip: 192.168.10.200'), expected: '10:12 error spec.controlPlane.loadBalancer.vip: 192.168.10.200 lies inside the subnet of spec.nodes[0] (192.168.10.11/24); the VIP must exist on no network' },
  { name: 'no control-plane node', text: replace('role: control-plane', 'role: worker'), expected: '15:5 error spec.nodes: at least one node needs role: control-plane' },
  { name: 'etcd node with stacked topology', text: replace('role: worker', 'role: etcd'), expected: '21:13 error spec.nodes[1].role: role etcd needs spec.controlPlane.etcd.topology: external' },
  { name: 'gateway outside the subnet', text: replace('      gateway: 192.168.10.1\n      mac: "52:54:00:00:10:11"', '      gateway: 192.168.11.1\n      mac: "52:54:00:00:10:11"'), expected: '18:16 error spec.nodes[0].gateway: 192.168.11.1 is not inside 192.168.10.11/24' },
  { name: 'RHEL 9 with iptables legacy', text: replace('    family: ubuntu\n    version: "22.04"\n', '    family: rhel\n    version: "9"\n    iptables: legacy\n'), expected: '14:15 error spec.os.iptables: RHEL 8/9 ship only the nftables backend of iptables (iptables-nft); iptables-legacy is not packaged; set iptables: nft (kube-proxy and CNI plugins detect the nft backend)' },
  { name: 'unsupported OS version', text: replace('version: "22.04"', 'version: "20.04"'), expected: '13:14 error spec.os.version: ubuntu 20.04 is not supported (one of 22.04, 24.04)' },
  { name: 'hostile mirror URL', text: replace('  os:\n', '  containerd:\n    mirrors:\n      docker.io: ["https://m.example/$(reboot)"]\n  os:\n'), expected: '13:19 error spec.containerd.mirrors["docker.io"][0]: must be an http(s) URL without query, credentials or spaces' },
  { name: 'hostile ssh key', text: replace('  os:\n', '  access:\n    sshAuthorizedKeys: ["ssh-ed25519 AAAA\\n$(reboot)"]\n  os:\n'), expected: '12:25 error spec.access.sshAuthorizedKeys[0]: must be one OpenSSH public key line' },
  { name: 'mirror source without URL', text: replace('  os:\n', '  artifacts:\n    source: mirror\n  os:\n'), expected: '12:5 error spec.artifacts: source: mirror needs mirror.url' },
  { name: 'site image not pinned', text: replace('  os:\n', '  artifacts:\n    extraImages: ["busybox:1.36"]\n  os:\n'), expected: '12:19 error spec.artifacts.extraImages[0]: must be pinned by digest: <reference>@sha256:<index digest>' },
  { name: 'hostile site image', text: replace('  os:\n', `  artifacts:\n    extraImages: ["busybox:1.36$(reboot)@sha256:${'a'.repeat(64)}"]\n  os:\n`), expected: `12:19 error spec.artifacts.extraImages[0]: "busybox:1.36$(reboot)@sha256:${'a'.repeat(64)}" is not an image reference: tag "1.36$(reboot)" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` },
  { name: 'site image twice', text: replace('  os:\n', `  artifacts:\n    extraImages: ["busybox:1@sha256:${'a'.repeat(64)}", "docker.io/library/busybox:1@sha256:${'b'.repeat(64)}"]\n  os:\n`), expected: '12:104 error spec.artifacts.extraImages[1]: names the same image as extraImages[0] (docker.io/library/busybox:1)' },
  { name: 'netboot arg with a space', text: replace('  os:\n', '  netboot:\n    args: ["console=ttyS0 init=/bin/sh"]\n  os:\n'), expected: '12:12 error spec.netboot.args[0]: must be one kernel argument without spaces, quotes, "$", "#", "&", ";" or "|", like console=ttyS0,115200n8' },
  { name: 'netboot arg expanding an iPXE setting', text: replace('  os:\n', '  netboot:\n    args: ["x=${net0/ip}"]\n  os:\n'), expected: '12:12 error spec.netboot.args[0]: must be one kernel argument without spaces, quotes, "$", "#", "&", ";" or "|", like console=ttyS0,115200n8' },
  { name: 'netboot arg kubeseed writes itself', text: replace('  os:\n', '  netboot:\n    args: [console=ttyS0, ds=nocloud-net]\n  os:\n'), expected: '12:27 error spec.netboot.args[1]: kubeseed writes ds= itself (from the node\'s NoCloud seed URL)' },
  { name: 'netboot kernel outside the assets', text: replace('  os:\n', '  netboot:\n    kernel: ../../etc/passwd\n  os:\n'), expected: '12:13 error spec.netboot.kernel: must be a file below the boot assets directory, like vmlinuz or debian/vmlinuz' },
  { name: 'netboot installDevice on Ubuntu', text: replace('  os:\n', '  netboot:\n    installDevice: /dev/sda\n  os:\n'), expected: '12:20 error spec.netboot.installDevice: applies to os.family fcos only (coreos-installer)' },
  { name: 'netboot initrds with one file name', text: replace('  os:\n', '  netboot:\n    initrd: [a/initrd.img, b/initrd.img]\n  os:\n'), expected: '12:28 error spec.netboot.initrd[1]: has the file name of spec.netboot.initrd[0] (initrd.img); iPXE names initrds by file name' },
  { name: 'CNI release not tested with the Kubernetes minor', text: replace('  os:\n', '  cni:\n    plugin: calico\n    version: v3.30.7\n  os:\n'), expected: '13:14 error spec.cni.version: calico v3.30.7 is not tested with Kubernetes 1.30 (tigera/docs@f2a2762432b54f20274d42c67bfa828d82872498 calico_versioned_docs/version-3.30/_includes/partials/_system-requirements.mdx); for 1.30 the version table lists v3.29.7' },
  { name: 'CNI release the table lacks', text: replace('  os:\n', '  cni:\n    version: v0.27.0\n  os:\n'), expected: '12:14 error spec.cni.version: flannel v0.27.0 is not in the version table; for Kubernetes 1.30 it lists v0.28.5' },
  { name: 'pod MTU above a jumbo frame less the header', text: replace('  os:\n', '  cni:\n    plugin: calico\n    mtu: 8990\n  os:\n'), expected: '13:10 error spec.cni.mtu: 8990 is out of range: the pods\' MTU must be 1280 (IPv6\'s minimum) to 8980 (a 9000-byte jumbo frame less calico\'s 20-byte IP-in-IP header); the default is 1480' },
  { name: 'pod MTU below IPv6\'s minimum', text: replace('  os:\n', '  cni:\n    mtu: 1200\n  os:\n'), expected: '12:10 error spec.cni.mtu: 1200 is out of range: the pods\' MTU must be 1280 (IPv6\'s minimum) to 8950 (a 9000-byte jumbo frame less flannel\'s 50-byte VXLAN header); the default is 1450' },
  { name: 'CNI version without a plugin', text: replace('  os:\n', '  cni:\n    plugin: none\n    version: v0.28.5\n  os:\n'), expected: '13:14 error spec.cni.version: plugin none applies no pod network: remove version or name a plugin' },
  { name: 'unknown bundle medium', text: replace('  os:\n', '  artifacts:\n    source: bundle\n    bundleMedium: cdrom\n  os:\n'), expected: '13:19 error spec.artifacts.bundleMedium: must be one of "shared", "seed", got string "cdrom"' },
  { name: 'unknown CNI plugin', text: replace('  os:\n', '  cni:\n    plugin: cilium\n  os:\n'), expected: '12:13 error spec.cni.plugin: must be one of "calico", "flannel", "none", got string "cilium"' },
  { name: 'no nodes', text: BASE.slice(0, BASE.indexOf('  nodes:')) + '  nodes: []\n', expected: '14:10 error spec.nodes: at least one node is needed' },
  ...NETWORK_CASES,
];


/** Warnings that must not block a compile. */
export const WARNING_CASES: readonly BadCase[] = [
  {
    name: 'even number of stacked etcd members',
    text: node('    - name: cp2\n      role: control-plane\n      ip: 192.168.10.12/24\n      mac: "52:54:00:00:10:12"\n'),
    expected: '15:5 warning spec.nodes: 2 stacked etcd members: an even count tolerates no more failures than 1; use an odd number of control-plane nodes',
  },
  { name: 'bundle medium with a bundle path', text: replace('  os:\n', '  artifacts:\n    source: bundle\n    bundlePath: /opt/kubeseed/kubeseed-bundle.tar\n    bundleMedium: seed\n  os:\n'), expected: '14:19 warning spec.artifacts.bundleMedium: has no effect: bundlePath is set: the node reads the bundle there; compile --iso writes no bundle medium' },
  { name: 'bundle medium without a bundle', text: replace('  os:\n', '  artifacts:\n    bundleMedium: shared\n  os:\n'), expected: '12:19 warning spec.artifacts.bundleMedium: has no effect: source is online, not bundle; compile --iso writes no bundle medium' },
  { name: 'calico where ufw cannot open IP-in-IP', text: replace('  os:\n', '  cni: { plugin: calico }\n  os:\n'), expected: '11:18 warning spec.cni.plugin: calico\'s IP-in-IP traffic is IP protocol 4, which ufw cannot allow: where ufw is active, add it to /etc/ufw/before.rules yourself (the os phase logs this), or use flannel (one UDP port)' },
];
