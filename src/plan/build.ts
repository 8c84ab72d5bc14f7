/**
 * buildPlan: (profile, secrets) → ClusterPlan. Pure; every policy decision lives here.
 */
import { formatIp, firstHost, parseCidr } from '../net/ipv4.js';
import type { Profile } from '../profile/schema/v1alpha1.js';
import { netbootPlan } from './netboot.js';
import { nodeNetwork } from './network.js';
import { bringUpOrder } from './order.js';
import { OS_FAMILIES } from './os-families.js';
import { CLOUD_INIT_STAGING, IGNITION_STAGING, secretFilesFor, secretPathsFor } from './secrets.js';
import type {
  ClusterPlan, ClusterSecrets, Taint, ContainerdPlan, LbPlan, MirrorPlan, NodePlan, Origin, OsPlan, Phase, Role,
} from './types.js';
import { artifactFacts, bundleProblems, neededArtifacts } from './artifacts.js';
import { versionEntry, versionTable, type VersionEntry, type VersionTable } from './versions.js';
import { osPackageNames } from './os-packages.js';
import { PLATFORM_FACTS, type Platform } from './platforms.js';
import type { BundleManifest } from './bundle-manifest.js';
import { bundleMediaOrder } from './bundle-medium.js';
import { DEFAULT_INTERFACE_MTU, planCni, type RecordedDigest } from './cni.js';

export interface PlanOptions {
  /** Timestamps written into outputs (seconds since the epoch). */
  readonly epoch: number;
  /** Dotted profile paths the user wrote (the rest are defaults), for origins. */
  readonly given: ReadonlySet<string>;
  /** Overrides the family's default output format. */
  readonly format?: 'cloud-init' | 'ignition';
  /** bundle.json of the bundle `kubeseed bundle` built (source bundle): the files nodes expect. */
  readonly bundle?: BundleManifest;
  /** Where the user-data goes (compile --platform); nocloud when not given. */
  readonly platform?: Platform;
  /** The version table; the shipped one unless a test gives its own. */
  readonly table?: VersionTable;
  /** compile --netboot URL: where the site serves the tree, ending in "/". */
  readonly netbootUrl?: string;
  /** The pod network's upstream manifest as the CLI found it (sha256 already checked). */
  readonly cniManifest?: { readonly text: string; readonly origin: string };
  /** Image digests a built bundle recorded, by upstream reference. */
  readonly recordedDigests?: ReadonlyMap<string, RecordedDigest>;
}

/** The upstream URL containerd's hosts.toml names as `server` for a registry host. */
function upstreamServer(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  if (registry === '_default') return '';
  return `https://${registry}`;
}

function containerdPlan(profile: Profile, entry: VersionEntry): ContainerdPlan {
  const c = profile.spec.containerd;
  const version = c.version ?? entry.containerd.default;
  const pause = entry.images.pause.tag;
  const mirrors: MirrorPlan[] = Object.keys(c.mirrors).sort().map((registry) => ({
    registry,
    server: upstreamServer(registry),
    endpoints: c.mirrors[registry]!.map((e) =>
      typeof e === 'string'
        ? { url: e, capabilities: ['pull', 'resolve'] as const, skipVerify: false }
        : { url: e.url, capabilities: e.capabilities, skipVerify: e.skipVerify, ...(e.caFile ? { caFile: e.caFile } : {}) }),
  }));
  return {
    version,
    configVersion: Number(version.split('.')[0]) >= 2 ? 3 : 2,
    sandboxImage: c.sandboxImage ?? `${profile.spec.kubernetes.imageRepository}/pause:${pause}`,
    systemdCgroup: true,
    configPath: '/etc/containerd/certs.d',
    socket: 'unix:///run/containerd/containerd.sock',
    mirrors,
    execStartDropIn: OS_FAMILIES[profile.spec.os.family].containerdOwnConfig,
  };
}

/** cloud-init or Ignition: the family's own unless --format overrides it. */
export function outputFormat(profile: Profile, format?: 'cloud-init' | 'ignition'): 'cloud-init' | 'ignition' {
  return format ?? OS_FAMILIES[profile.spec.os.family].format;
}

function osPlan(profile: Profile, format?: 'cloud-init' | 'ignition'): OsPlan {
  const os = profile.spec.os;
  const { format: _format, defaultIptables, firewall, chrony, containerdOwnConfig: _containerd, ...facts } = OS_FAMILIES[os.family];
  return {
    ...facts,
    family: os.family,
    version: os.version ?? 'stable',
    format: outputFormat(profile, format),
    iptables: os.iptables ?? defaultIptables,
    selinux: os.selinux,
    firewall: os.firewall === 'none' ? 'none' : firewall,
    timeSync: os.ntpServers.length > 0 && chrony !== null ? { servers: os.ntpServers, chrony } : null,
    // chrony carries the profile's NTP servers; images without it get it with the other packages.
    packages: osPackageNames(os.family, os.ntpServers.length > 0),
  };
}

function lbPlan(profile: Profile): LbPlan {
  const cp = profile.spec.controlPlane;
  const lb = cp.loadBalancer;
  return {
    mode: lb.mode,
    vip: lb.vip,
    port: cp.endpoint.port,
    scheduler: lb.scheduler,
    intervalSeconds: lb.healthCheck.intervalSeconds,
    timeoutSeconds: lb.healthCheck.timeoutSeconds,
    failuresToRemove: lb.healthCheck.failuresToRemove,
    backends: profile.spec.nodes
      .filter((n) => n.role === 'control-plane')
      .map((n) => ({ name: n.name, ip: n.ip.split('/')[0]!, port: cp.endpoint.port })),
    excludeCidr: `${lb.vip}/32`,
  };
}

/** IPVS core, the schedulers kube-proxy's IPVS mode checks for, and conntrack (one module since 4.19; RHEL 8's 4.18 carries the merge). */
const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] as const;

/**
 * overlay for containerd's overlayfs snapshotter, br_netfilter for the bridge-nf sysctls; the
 * IPVS set when kube-proxy runs in IPVS mode or the node carries the apiserver VIP (the IPVS
 * load balancer needs ip_vs even when kube-proxy uses iptables), plus that balancer's scheduler.
 */
function kernelModules(proxyMode: 'ipvs' | 'iptables', runsLb: boolean, scheduler: string): string[] {
  const out: string[] = ['overlay', 'br_netfilter'];
  if (proxyMode === 'ipvs' || runsLb) out.push(...IPVS_MODULES);
  if (runsLb && !out.includes(`ip_vs_${scheduler}`)) out.push(`ip_vs_${scheduler}`);
  return out;
}

export const CONTROL_PLANE_TAINT: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

const FIREWALL: Readonly<Record<Role, (apiPort: number) => string[]>> = {
  'control-plane': (p) => [`${p}/tcp`, '2379-2380/tcp', '10250/tcp', '10257/tcp', '10259/tcp'],
  worker: () => ['10250/tcp', '30000-32767/tcp'],
  etcd: () => ['2379-2380/tcp', '10250/tcp'],
};

const FREE_PORTS: Readonly<Record<Role, (apiPort: number) => number[]>> = {
  'control-plane': (p) => [p, 2379, 2380, 10250, 10257, 10259],
  worker: () => [10250],
  etcd: () => [2379, 2380, 10250],
};

export function buildPlan(profile: Profile, secrets: ClusterSecrets, opts: PlanOptions): ClusterPlan {
  const spec = profile.spec;
  const origin = (path: string, derived = false): Origin => ({
    kind: derived ? 'derived' : opts.given.has(path) ? 'explicit' : 'default',
    from: path,
  });
  const table = opts.table ?? versionTable();
  const entry = versionEntry(spec.kubernetes.version, table);
  if (!entry) throw new Error(`unreachable: validation rejects Kubernetes ${spec.kubernetes.version}`);
  const lb = lbPlan(profile);
  // Shared by default: one bundle medium for the whole cluster instead of a copy in every seed.
  const medium = spec.artifacts.bundleMedium ?? 'shared';
  const onMedium = spec.artifacts.source === 'bundle' && spec.artifacts.bundlePath === undefined;
  const os = osPlan(profile, opts.format);
  const endpoint = spec.controlPlane.endpoint;
  const topology = spec.controlPlane.etcd.topology;
  const order = bringUpOrder(spec.nodes);
  const firstCp = order.find((o) => o.action === 'init')!.node;
  const firstCpIp = firstCp.ip.split('/')[0]!;
  const cni = planCni(profile, entry.minor, {
    table,
    ...(opts.cniManifest ? { manifest: opts.cniManifest } : {}),
    ...(opts.recordedDigests ? { recorded: opts.recordedDigests } : {}),
  });
  // The pod network runs on every Kubernetes node; external etcd members never join the cluster.
  const cniPorts = (role: Role) => (cni.plugin === 'none' || role === 'etcd' ? [] : cni.firewall.ports);
  const cniProtocols = (role: Role) => (cni.plugin === 'none' || role === 'etcd' ? [] : cni.firewall.ipProtocols);
  // /etc/hosts names the control-plane and etcd nodes (kubeadm, etcd peers and the LB checker
  // reach them by name); a worker adds itself from node.env. Listing every worker on every node
  // would make the output grow with the square of the cluster, and workers are reached by IP.
  const hosts = spec.nodes
    .filter((n) => n.role !== 'worker')
    .map((n) => ({ ip: n.ip.split('/')[0]!, names: [n.name] }))
    .sort((a, b) => a.names[0]!.localeCompare(b.names[0]!));

  const nodes: NodePlan[] = order.map(({ node, action, waitFor }, index) => {
    const ip = node.ip.split('/')[0]!;
    const i = spec.nodes.indexOf(node);
    const isCp = node.role === 'control-plane';
    const runsLb = lb.mode === 'ipvs' && (node.role === 'worker' || (isCp && spec.controlPlane.loadBalancer.onControlPlane));
    // Control-plane nodes reach the first apiserver directly while the cluster forms; workers
    // go through the VIP so that losing the first control-plane node does not strand them.
    const endpointIp = isCp || lb.mode === 'none' ? firstCpIp : lb.vip;
    // Phases in run order. Secrets right after the preflight: nothing secret reaches its place on a
    // machine that is not the node's. artifacts before os: its first step installs the OS packages
    // (from the bundle, or by name), and the os phase already uses them (iptables and ebtables
    // alternatives, chrony).
    const phases: Phase[] = ['preflight', 'secrets', 'artifacts', 'os', 'runtime', ...(runsLb ? ['lb' as const] : []), 'kubeadm'];
    const net = nodeNetwork(node, i, spec.network, (path) => origin(path));
    return {
      name: node.name,
      role: node.role,
      order: index,
      action,
      waitFor,
      ip,
      prefix: parseCidr(node.ip).prefix,
      ...(node.gateway ? { gateway: node.gateway } : {}),
      dns: node.dns ?? spec.network.dns,
      searchDomains: spec.network.searchDomains,
      mac: net.mac,
      interface: net.interface,
      mtu: net.mtu,
      interfaces: net.interfaces,
      nics: net.nics,
      ...(node.productUuid ? { productUuid: node.productUuid } : {}),
      instanceId: `kubeseed-${profile.metadata.name}-${node.name}`,
      endpointIp,
      ...(isCp ? { endpointIpWhenReady: ip } : {}),
      runsLb,
      hostsSelf: !hosts.some((h) => h.names.includes(node.name)),
      firewallPorts: [...FIREWALL[node.role](endpoint.port), ...cniPorts(node.role)],
      firewallProtocols: cniProtocols(node.role),
      requiredFreePorts: FREE_PORTS[node.role](endpoint.port),
      phases,
      kernelModules: kernelModules(spec.kubernetes.proxyMode, runsLb, lb.scheduler),
      // A cluster without workers (the single-node lab) leaves its control plane untainted so
      // that workloads schedule; otherwise the usual control-plane taint, written out.
      ...(isCp ? { taints: spec.nodes.some((n) => n.role === 'worker') ? [CONTROL_PLANE_TAINT] : [] } : {}),
      secretFiles: secretFilesFor(node.role, topology, secrets),
      secretPaths: secretPathsFor(node.role, topology, action, secrets),
      origins: {
        role: origin(`spec.nodes[${i}].role`),
        action: origin('spec.nodes[].role', true),
        endpointIp: origin('spec.controlPlane.loadBalancer', true),
        ...net.origins,
        dns: node.dns ? origin(`spec.nodes[${i}].dns`) : origin('spec.network.dns'),
      },
    };
  });

  const facts = { ...artifactFacts(profile, table), cni };
  const needed = neededArtifacts(facts, table);
  if (spec.artifacts.source === 'bundle' && opts.bundle) {
    const problems = bundleProblems(needed, facts, opts.bundle);
    if (problems.length > 0) throw new Error(`bundle.json does not fit profile ${profile.metadata.name}:\n  ${problems.join('\n  ')}`);
  }

  const podSubnet = spec.kubernetes.podSubnet;
  const platform = opts.platform ?? 'nocloud';
  const netboot = netbootPlan(profile, os.format, opts.netbootUrl);
  return {
    name: profile.metadata.name,
    epoch: opts.epoch,
    platform,
    scriptComments: !PLATFORM_FACTS[platform].compactScripts,
    kubernetes: {
      version: spec.kubernetes.version,
      minor: entry.minor,
      kubeadmApi: entry.kubeadmApiVersion,
      podSubnet,
      serviceSubnet: spec.kubernetes.serviceSubnet,
      dnsDomain: spec.kubernetes.dnsDomain,
      proxyMode: spec.kubernetes.proxyMode,
      imageRepository: spec.kubernetes.imageRepository,
      cgroupDriver: 'systemd',
      images: { pause: entry.images.pause.tag, etcd: entry.images.etcd.tag, coredns: entry.images.coredns.tag },
    },
    endpoint: { host: endpoint.host, port: endpoint.port },
    etcd: {
      topology,
      members: (topology === 'stacked' ? spec.nodes.filter((n) => n.role === 'control-plane') : spec.nodes.filter((n) => n.role === 'etcd'))
        .map((n) => ({ name: n.name, ip: n.ip.split('/')[0]! })),
    },
    lb,
    os,
    containerd: containerdPlan(profile, entry),
    artifacts: {
      needed,
      source: spec.artifacts.source,
      arch: spec.artifacts.arch,
      ...(spec.artifacts.mirror ? { mirror: spec.artifacts.mirror } : {}),
      ...(spec.artifacts.bundlePath ? { bundlePath: spec.artifacts.bundlePath } : {}),
      ...(onMedium ? { bundleMedium: medium } : {}),
      media: spec.artifacts.source === 'bundle' ? bundleMediaOrder(medium) : [],
      ...(spec.artifacts.source === 'bundle' && opts.bundle ? { bundle: opts.bundle } : {}),
    },
    cni,
    access: spec.access,
    secrets,
    secretStaging: os.format === 'ignition' ? IGNITION_STAGING : CLOUD_INIT_STAGING,
    hosts,
    nodes,
    ...(netboot ? { netboot } : {}),
    origins: {
      'kubernetes.version': origin('spec.kubernetes.version'),
      'kubernetes.kubeadmApi': origin('spec.kubernetes.version', true),
      'kubernetes.podSubnet': origin('spec.kubernetes.podSubnet'),
      'kubernetes.serviceSubnet': origin('spec.kubernetes.serviceSubnet'),
      'kubernetes.proxyMode': origin('spec.kubernetes.proxyMode'),
      'kubernetes.apiserverServiceIp': { kind: 'derived', from: `spec.kubernetes.serviceSubnet (${formatIp(firstHost(parseCidr(spec.kubernetes.serviceSubnet)))})` },
      'containerd.configVersion': origin('spec.containerd.version', true),
      'containerd.sandboxImage': spec.containerd.sandboxImage ? origin('spec.containerd.sandboxImage') : origin('spec.kubernetes.version', true),
      'os.iptables': spec.os.iptables ? origin('spec.os.iptables') : origin('spec.os.family', true),
      'os.format': opts.format ? { kind: 'explicit', from: '--format' } : origin('spec.os.family', true),
      scriptComments: { kind: opts.platform ? 'explicit' : 'default', from: `--platform ${platform}` },
      'lb.vip': origin('spec.controlPlane.loadBalancer.vip'),
      'endpoint.host': origin('spec.controlPlane.endpoint.host'),
      ...(netboot ? {
        'netboot.kernel': origin('spec.netboot.kernel'),
        'netboot.config': { kind: 'derived', from: opts.format ? '--format' : 'spec.os.family' } satisfies Origin,
      } : {}),
      ...(onMedium ? { 'artifacts.bundleMedium': origin('spec.artifacts.bundleMedium') } : {}),
      'cni.plugin': origin('spec.cni.plugin'),
      'cni.version': spec.cni.version ? origin('spec.cni.version') : { kind: 'default', from: `spec.cni.version (the newest ${spec.cni.plugin} release the version table lists for Kubernetes ${entry.minor})` },
      'cni.mtu': spec.cni.mtu ? origin('spec.cni.mtu') : { kind: 'derived', from: `spec.cni.mtu (a ${DEFAULT_INTERFACE_MTU}-byte interface less the encapsulation header)` },
    },
  };
}
