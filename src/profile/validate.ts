/**
 * Whole-profile checks that a per-field schema cannot make: uniqueness, subnet overlaps,
 * topology rules, OS support. Pure: returns diagnostics with profile paths.
 */
import { contains, overlaps, parseCidr, parseIp } from '../net/ipv4.js';
import { DEFAULT_INTERFACE_MTU, MAX_INTERFACE_MTU, MIN_POD_MTU } from '../plan/cni.js';
import { cniRelease, cniVersionsFor, supportedVersions, versionEntry, versionTable, type VersionTable } from '../plan/versions.js';
import { error, warning, type Diagnostic } from './diagnostics.js';
import { networkChecks } from './network-checks.js';
import type { Profile } from './schema/v1alpha1.js';

/** OS releases kubeseed knows how to prepare. Flatcar and FCOS roll: any version. */
export const OS_VERSIONS: Record<string, readonly string[] | undefined> = {
  ubuntu: ['22.04', '24.04'],
  debian: ['12'],
  rocky: ['8', '9'],
  rhel: ['8', '9'],
};

/** Families without an iptables-legacy backend. */
const NO_LEGACY_IPTABLES: Record<string, string> = {
  rocky: 'Rocky Linux 8/9 ship only the nftables backend of iptables (iptables-nft); iptables-legacy is not packaged',
  rhel: 'RHEL 8/9 ship only the nftables backend of iptables (iptables-nft); iptables-legacy is not packaged',
  fcos: 'Fedora CoreOS uses the nftables backend of iptables',
};

function duplicates(profile: Profile, field: 'name' | 'productUuid' | 'ip', key: (v: string) => string): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  profile.spec.nodes.forEach((node, i) => {
    const v = node[field];
    if (v === undefined) return;
    const k = key(v);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else out.push(error(`duplicate-${field}`, ['spec', 'nodes', i, field], `duplicate of spec.nodes[${first}].${field}`));
  });
  return out;
}

function subnets(profile: Profile): Diagnostic[] {
  const k = profile.spec.kubernetes;
  const out: Diagnostic[] = [];
  const pod = parseCidr(k.podSubnet);
  const svc = parseCidr(k.serviceSubnet);
  if (overlaps(pod, svc)) out.push(error('subnet-overlap', ['spec', 'kubernetes', 'serviceSubnet'], `overlaps spec.kubernetes.podSubnet ${k.podSubnet}`));
  const lb = profile.spec.controlPlane.loadBalancer;
  const vip = parseIp(lb.vip);
  const vipPath = ['spec', 'controlPlane', 'loadBalancer', 'vip'];
  if (lb.mode === 'ipvs') {
    if (contains(pod, vip)) out.push(error('vip-in-subnet', vipPath, `${lb.vip} lies inside spec.kubernetes.podSubnet ${k.podSubnet}`));
    if (contains(svc, vip)) out.push(error('vip-in-subnet', vipPath, `${lb.vip} lies inside spec.kubernetes.serviceSubnet ${k.serviceSubnet}`));
  }
  profile.spec.nodes.forEach((node, i) => {
    const net = parseCidr(node.ip);
    const ip = parseIp(node.ip.split('/')[0]!);
    const path = ['spec', 'nodes', i, 'ip'];
    if (overlaps(net, pod)) out.push(error('subnet-overlap', path, `node subnet overlaps spec.kubernetes.podSubnet ${k.podSubnet}`));
    if (overlaps(net, svc)) out.push(error('subnet-overlap', path, `node subnet overlaps spec.kubernetes.serviceSubnet ${k.serviceSubnet}`));
    if (net.prefix < 31 && (ip === net.network || ip === net.network + 2 ** (32 - net.prefix) - 1)) {
      out.push(error('not-a-host-address', path, `${node.ip} is the subnet's network or broadcast address`));
    }
    if (lb.mode === 'ipvs' && contains(net, vip)) {
      out.push(error('vip-in-subnet', vipPath, `${lb.vip} lies inside the subnet of spec.nodes[${i}] (${node.ip}); the VIP must exist on no network`));
    }
    if (node.gateway !== undefined && !contains(net, parseIp(node.gateway))) {
      out.push(error('gateway-off-subnet', ['spec', 'nodes', i, 'gateway'], `${node.gateway} is not inside ${node.ip}`));
    }
  });
  return out;
}

function topology(profile: Profile): Diagnostic[] {
  const nodes = profile.spec.nodes;
  const cps = nodes.filter((n) => n.role === 'control-plane').length;
  const etcds = nodes.filter((n) => n.role === 'etcd').length;
  const topo = profile.spec.controlPlane.etcd.topology;
  const out: Diagnostic[] = [];
  if (cps === 0) out.push(error('no-control-plane', ['spec', 'nodes'], 'at least one node needs role: control-plane'));
  if (topo === 'stacked') {
    const firstEtcd = nodes.findIndex((n) => n.role === 'etcd');
    if (firstEtcd >= 0) out.push(error('etcd-node-stacked', ['spec', 'nodes', firstEtcd, 'role'], 'role etcd needs spec.controlPlane.etcd.topology: external'));
    if (cps > 0 && cps % 2 === 0) out.push(warning('even-etcd-members', ['spec', 'nodes'], `${cps} stacked etcd members: an even count tolerates no more failures than ${cps - 1}; use an odd number of control-plane nodes`));
  } else {
    if (etcds === 0) out.push(error('no-etcd-nodes', ['spec', 'controlPlane', 'etcd', 'topology'], 'external etcd needs nodes with role: etcd'));
    else if (etcds % 2 === 0) out.push(warning('even-etcd-members', ['spec', 'nodes'], `${etcds} etcd members: an even count tolerates no more failures than ${etcds - 1}`));
  }
  return out;
}

function operatingSystem(profile: Profile): Diagnostic[] {
  const os = profile.spec.os;
  const out: Diagnostic[] = [];
  const known = OS_VERSIONS[os.family];
  if (known) {
    if (os.version === undefined) out.push(error('os-version-missing', ['spec', 'os'], `version is required for ${os.family} (one of ${known.join(', ')})`));
    else if (!known.includes(os.version)) out.push(error('os-version-unsupported', ['spec', 'os', 'version'], `${os.family} ${os.version} is not supported (one of ${known.join(', ')})`));
  }
  const noLegacy = NO_LEGACY_IPTABLES[os.family];
  if (noLegacy && os.iptables === 'legacy') {
    out.push(error('iptables-legacy-unavailable', ['spec', 'os', 'iptables'], `${noLegacy}; set iptables: nft (kube-proxy and CNI plugins detect the nft backend)`));
  }
  if (os.selinux === 'enforcing') out.push(warning('selinux-enforcing', ['spec', 'os', 'selinux'], 'kubeadm documents SELinux permissive; enforcing needs container-selinux policies for every workload'));
  return out;
}

/**
 * Kernel arguments kubeseed writes itself for a network boot (render/netboot/ipxe.ts): one given
 * again in spec.netboot.args would contradict it, and which one the OS reads is the OS's choice.
 */
const NETBOOT_OWN_ARGS: readonly (readonly [string, string])[] = [
  ['initrd=', 'spec.netboot.initrd'],
  ['ds=', 'the node\'s NoCloud seed URL'],
  ['network-config=', 'the node\'s network-config'],
  ['ignition.config.url=', 'the node\'s ignition.json URL'],
  ['flatcar.first_boot=', 'Flatcar\'s first boot'],
  ['coreos.inst.ignition_url=', 'the node\'s ignition.json URL'],
  ['coreos.inst.install_dev=', 'spec.netboot.installDevice'],
  ['coreos.live.rootfs_url=', 'spec.netboot.rootfs'],
  ['kubeseed.bundle=', 'artifacts.source bundle'],
];

function netboot(profile: Profile): Diagnostic[] {
  const nb = profile.spec.netboot;
  if (!nb) return [];
  const out: Diagnostic[] = [];
  nb.args.forEach((arg, i) => {
    const own = NETBOOT_OWN_ARGS.find(([prefix]) => arg.startsWith(prefix));
    if (own) out.push(error('netboot-arg-reserved', ['spec', 'netboot', 'args', i], `kubeseed writes ${own[0]} itself (from ${own[1]})`));
  });
  if (profile.spec.os.family !== 'fcos') {
    for (const key of ['rootfs', 'installDevice'] as const) {
      if (nb[key] !== undefined) out.push(error('netboot-fcos-only', ['spec', 'netboot', key], `applies to os.family fcos only (coreos-installer)`));
    }
  }
  // iPXE names each initrd by its file name (initrd --name), which the kernel command line repeats.
  const seen = new Map<string, number>();
  (nb.initrd ?? []).forEach((path, i) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else out.push(error('netboot-initrd-name', ['spec', 'netboot', 'initrd', i], `has the file name of spec.netboot.initrd[${first}] (${name}); iPXE names initrds by file name`));
  });
  return out;
}


/** Families whose firewall is ufw: it cannot express an IP protocol such as IP-in-IP. */
const UFW_FAMILIES = new Set(['ubuntu', 'debian']);

function podNetwork(profile: Profile, minor: string, table: VersionTable): Diagnostic[] {
  const c = profile.spec.cni;
  const out: Diagnostic[] = [];
  if (c.plugin === 'none') {
    if (c.version !== undefined) out.push(error('cni-version-without-plugin', ['spec', 'cni', 'version'], 'plugin none applies no pod network: remove version or name a plugin'));
    if (c.mtu !== undefined) out.push(error('cni-mtu-without-plugin', ['spec', 'cni', 'mtu'], 'plugin none applies no pod network: remove mtu or name a plugin'));
    return out;
  }
  const versions = cniVersionsFor(c.plugin, minor, table);
  if (versions.length === 0) {
    out.push(error('cni-plugin-unsupported', ['spec', 'cni', 'plugin'], `the version table has no ${c.plugin} release for Kubernetes ${minor}`));
    return out;
  }
  if (c.version !== undefined && !versions.includes(c.version)) {
    const known = cniRelease(c.plugin, c.version, table);
    out.push(error('cni-version-unsupported', ['spec', 'cni', 'version'], known
      ? `${c.plugin} ${c.version} is not tested with Kubernetes ${minor} (${known.kubernetesSource.split(':')[0]}); for ${minor} the version table lists ${versions.join(', ')}`
      : `${c.plugin} ${c.version} is not in the version table; for Kubernetes ${minor} it lists ${versions.join(', ')}`));
    return out;
  }
  const release = cniRelease(c.plugin, c.version ?? versions.at(-1)!, table)!;
  const { name, overhead } = release.encapsulation;
  const max = MAX_INTERFACE_MTU - overhead;
  if (c.mtu !== undefined && (c.mtu < MIN_POD_MTU || c.mtu > max)) {
    out.push(error('cni-mtu-range', ['spec', 'cni', 'mtu'], `${c.mtu} is out of range: the pods' MTU must be ${MIN_POD_MTU} (IPv6's minimum) to ${max} (a ${MAX_INTERFACE_MTU}-byte jumbo frame less ${c.plugin}'s ${overhead}-byte ${name} header); the default is ${DEFAULT_INTERFACE_MTU - overhead}`));
  }
  if (release.firewall.ipProtocols.length > 0 && profile.spec.os.firewall === 'auto' && UFW_FAMILIES.has(profile.spec.os.family)) {
    out.push(warning('cni-protocol-ufw', ['spec', 'cni', 'plugin'], `${c.plugin}'s ${name} traffic is IP protocol ${release.firewall.ipProtocols.join(', ')}, which ufw cannot allow: where ufw is active, add it to /etc/ufw/before.rules yourself (the os phase logs this), or use flannel (one UDP port)`));
  }
  return out;
}

export function validateProfile(profile: Profile, table: VersionTable = versionTable()): Diagnostic[] {
  const spec = profile.spec;
  const out: Diagnostic[] = [
    ...duplicates(profile, 'name', (v) => v),
    ...duplicates(profile, 'ip', (v) => v.split('/')[0]!),
    ...duplicates(profile, 'productUuid', (v) => v),
    ...networkChecks(profile),
    ...subnets(profile),
    ...topology(profile),
    ...operatingSystem(profile),
    ...netboot(profile),
  ];
  const entry = versionEntry(spec.kubernetes.version, table);
  if (!entry) {
    out.push(error('kubernetes-version-unsupported', ['spec', 'kubernetes', 'version'], `${spec.kubernetes.version} is not in the version table (supported: ${supportedVersions(table).join(', ')})`));
  } else {
    if (spec.containerd.version !== undefined && !entry.containerd.supported.includes(spec.containerd.version)) {
      out.push(error('containerd-version-unsupported', ['spec', 'containerd', 'version'], `containerd ${spec.containerd.version} is not in the version table for Kubernetes ${entry.minor} (supported: ${entry.containerd.supported.join(', ')})`));
    }
    out.push(...podNetwork(profile, entry.minor, table));
  }
  if (spec.artifacts.source === 'mirror' && spec.artifacts.mirror === undefined) {
    out.push(error('mirror-missing', ['spec', 'artifacts'], 'source: mirror needs mirror.url'));
  }
  const a = spec.artifacts;
  if (a.bundleMedium !== undefined && (a.source !== 'bundle' || a.bundlePath !== undefined)) {
    const why = a.source !== 'bundle' ? `source is ${a.source}, not bundle` : 'bundlePath is set: the node reads the bundle there';
    out.push(warning('bundle-medium-unused', ['spec', 'artifacts', 'bundleMedium'], `has no effect: ${why}; compile --iso writes no bundle medium`));
  }
  if (spec.controlPlane.endpoint.host === spec.kubernetes.dnsDomain) {
    out.push(error('endpoint-is-domain', ['spec', 'controlPlane', 'endpoint', 'host'], 'must differ from spec.kubernetes.dnsDomain'));
  }
  return out;
}
