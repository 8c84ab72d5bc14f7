/**
 * The ClusterPlan: every decision kubeseed makes, as plain data. Renderers read it and decide
 * nothing of their own; `kubeseed explain` prints it. Built by buildPlan(profile, secrets).
 */
import type { NodeFile } from '../render/files.js';
import type { BundleManifest } from '../render/artifacts/bundle-manifest.js';

export type Role = 'control-plane' | 'worker' | 'etcd';
export type OsFamily = 'ubuntu' | 'debian' | 'rocky' | 'rhel' | 'flatcar' | 'fcos';
export type KubeadmApi = 'v1beta3' | 'v1beta4';
export type Phase = 'preflight' | 'os' | 'artifacts' | 'runtime' | 'lb' | 'kubeadm';

/** Where a value came from, for `explain`. */
export interface Origin {
  readonly kind: 'explicit' | 'default' | 'derived';
  /** The profile path it came from or was derived from, e.g. spec.kubernetes.version. */
  readonly from: string;
}

/** The cluster's secrets as loaded from the state directory (PEM text). */
export interface ClusterSecrets {
  readonly caCert: string;
  readonly caKey: string;
  readonly frontProxyCaCert: string;
  readonly frontProxyCaKey: string;
  readonly etcdCaCert: string;
  readonly etcdCaKey: string;
  readonly saKey: string;
  readonly saPub: string;
  /** `abcdef.0123456789abcdef` */
  readonly token: string;
  /** kubeadm ttl string: "0" never expires, else e.g. "24h0m0s". */
  readonly tokenTtl: string;
  /** `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo. */
  readonly caCertHash: string;
  /** Client pair the apiservers use to reach external etcd; only for that topology. */
  readonly apiserverEtcdClient?: { readonly cert: string; readonly key: string };
}

export interface OsPlan {
  readonly family: OsFamily;
  readonly version: string;
  /** cloud-init or Ignition, from the family unless overridden. */
  readonly format: 'cloud-init' | 'ignition';
  readonly iptables: 'legacy' | 'nft';
  readonly selinux: 'permissive' | 'enforcing' | 'disabled';
  /** Whether the family has SELinux at all (Debian/Ubuntu ship it off). */
  readonly hasSelinux: boolean;
  readonly firewall: 'ufw' | 'firewalld' | 'none';
  readonly packageManager: 'apt' | 'dnf' | 'none';
  /** Flatcar/FCOS keep /usr read-only: binaries go to /opt/bin there, /usr/local/bin elsewhere. */
  readonly binDir: string;
  /** Where the first-boot script lives (kubeseed-firstboot), e.g. /usr/local/sbin. */
  readonly sbinDir: string;
  /** Where lib.sh and phases/ live, e.g. /usr/local/lib/kubeseed. */
  readonly libDir: string;
  /** Flatcar/FCOS ship containerd: configure, do not install. */
  readonly shipsContainerd: boolean;
  /**
   * What brings up the static address when the output is Ignition: Flatcar runs
   * systemd-networkd, Fedora CoreOS runs NetworkManager (a networkd unit there is ignored).
   * cloud-init outputs carry network-config instead and let cloud-init pick the renderer.
   */
  readonly network: 'networkd' | 'networkmanager';
  /**
   * Groups the access user joins when the output is Ignition. On Flatcar and FCOS the `sudo`
   * group grants passwordless sudo; cloud-init outputs carry a sudoers rule instead.
   */
  readonly adminGroups: readonly string[];
  readonly ntpServers: readonly string[];
  /** Packages kubeadm's preflight needs that minimal images lack, in this family's names. */
  readonly packages: readonly string[];
}

export interface MirrorPlan {
  /** Registry host as containerd's certs.d names it, e.g. docker.io. */
  readonly registry: string;
  /** `server` line for hosts.toml: the upstream registry URL. */
  readonly server: string;
  readonly endpoints: readonly {
    readonly url: string;
    readonly capabilities: readonly ('pull' | 'resolve' | 'push')[];
    readonly caFile?: string;
    readonly skipVerify: boolean;
  }[];
}

export interface ContainerdPlan {
  readonly version: string;
  /** config.toml `version`: 2 for containerd 1.6/1.7, 3 for 2.x. */
  readonly configVersion: 2 | 3;
  readonly sandboxImage: string;
  readonly systemdCgroup: true;
  readonly configPath: '/etc/containerd/certs.d';
  readonly socket: 'unix:///run/containerd/containerd.sock';
  readonly mirrors: readonly MirrorPlan[];
}

export interface KubernetesPlan {
  readonly version: string;
  readonly minor: string;
  readonly kubeadmApi: KubeadmApi;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly dnsDomain: string;
  readonly proxyMode: 'ipvs' | 'iptables';
  readonly imageRepository: string;
  readonly cgroupDriver: 'systemd';
  readonly images: { readonly pause: string; readonly etcd: string; readonly coredns: string };
}

export interface LbBackend {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
}

export interface LbPlan {
  readonly mode: 'ipvs' | 'none';
  readonly vip: string;
  readonly port: number;
  readonly scheduler: 'rr' | 'wrr' | 'lc' | 'sh';
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly failuresToRemove: number;
  /** Every control-plane apiserver, in plan order. */
  readonly backends: readonly LbBackend[];
  /** kube-proxy's ipvs.excludeCIDRs entry, so it leaves our virtual server alone. */
  readonly excludeCidr: string;
}

export interface ArtifactsPlan {
  readonly source: 'bundle' | 'mirror' | 'online';
  readonly arch: 'amd64' | 'arm64';
  readonly mirror?: { readonly url: string; readonly caFile?: string };
  /** Template path of the bundle; absent: the node finds it on the seed ISO by label. */
  readonly bundlePath?: string;
  /** The built bundle's bundle.json (source bundle, when built before compiling): what the node expects. */
  readonly bundle?: BundleManifest;
}

export interface Taint {
  readonly key: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface HostEntry {
  readonly ip: string;
  readonly names: readonly string[];
}

export type BondMode = '802.3ad' | 'active-backup' | 'balance-xor';

/**
 * One network interface of a node, as every renderer writes it. Names and settings only: the
 * MACs that bind NICs to machines are in NodePlan.nics (they differ from node to node, the
 * interface set usually does not).
 */
export type InterfacePlan =
  | {
    readonly kind: 'ethernet';
    readonly name: string;
    /** Only when the profile sets one; otherwise the renderers leave the kernel's (1500). */
    readonly mtu?: number;
    /** The bond this NIC is a member of. */
    readonly bond?: string;
  }
  | {
    readonly kind: 'bond';
    readonly name: string;
    readonly mtu?: number;
    /** Member NIC names, in the profile's order. */
    readonly members: readonly string[];
    readonly mode: BondMode;
    /** MII link monitoring interval, milliseconds. */
    readonly miimon: number;
    /** 802.3ad only. */
    readonly lacpRate?: 'slow' | 'fast';
    /** 802.3ad and balance-xor only. */
    readonly transmitHashPolicy?: 'layer2' | 'layer2+3' | 'layer3+4' | 'encap2+3' | 'encap3+4';
  }
  | {
    readonly kind: 'vlan';
    /** Always `<link>.<id>`: ifupdown creates a VLAN from that name alone. */
    readonly name: string;
    readonly mtu?: number;
    readonly id: number;
    readonly link: string;
  };

/** A NIC of one machine: its name on the node and the MAC that picks it. */
export interface NicPlan {
  readonly name: string;
  readonly mac: string;
}

export interface NodePlan {
  readonly name: string;
  readonly role: Role;
  /** Position in the cluster's bring-up order (0 = the node that runs kubeadm init). */
  readonly order: number;
  /** init: the first control-plane node; join-control-plane; join-worker; etcd: external member. */
  readonly action: 'init' | 'join-control-plane' | 'join-worker' | 'etcd';
  /** Nodes that must be registered before this one joins (control-plane joins go one at a time). */
  readonly waitFor: readonly string[];
  readonly ip: string;
  readonly prefix: number;
  readonly gateway?: string;
  readonly dns: readonly string[];
  readonly searchDomains: readonly string[];
  /**
   * The MAC that identifies the machine at first boot: the NIC of the profile's `mac`, or the
   * first member of its first bond.
   */
  readonly mac: string;
  /** The interface that carries `ip` and the default route. */
  readonly interface: string;
  /** MTU of `interface`: the profile's, else 1500 (the kernel's Ethernet default). CNIs size theirs from it. */
  readonly mtu: number;
  /**
   * Every interface the node's network configuration creates or names: NICs first, then bonds,
   * then VLANs, each in the profile's order (so a link always comes before what rides on it).
   */
  readonly interfaces: readonly InterfacePlan[];
  /** The node's NICs with their MACs, in `interfaces` order. */
  readonly nics: readonly NicPlan[];
  readonly productUuid?: string;
  /** cloud-init instance-id: stable across re-compiles, so cloud-init does not run twice. */
  readonly instanceId: string;
  /**
   * What the endpoint name resolves to on this node at first boot: the first control-plane
   * node's IP on control-plane nodes while they come up, the VIP on workers.
   */
  readonly endpointIp: string;
  /** After this node's own apiserver runs, the endpoint name points here (control plane only). */
  readonly endpointIpWhenReady?: string;
  /** Whether this node runs the IPVS virtual server and its checker. */
  readonly runsLb: boolean;
  /** Whether the os phase adds the node's own line to /etc/hosts: it is not in ClusterPlan.hosts (workers). */
  readonly hostsSelf: boolean;
  /** Ports opened in the firewall (`6443/tcp`, `30000-32767/tcp`). */
  readonly firewallPorts: readonly string[];
  /** Ports that must be free before kubeadm runs. */
  readonly requiredFreePorts: readonly number[];
  readonly phases: readonly Phase[];
  /** Kernel modules loaded now and at every boot (modules-load.d). */
  readonly kernelModules: readonly string[];
  /**
   * kubeadm nodeRegistration taints for control-plane nodes: none in a cluster without workers,
   * so workloads schedule; absent on other roles (kubeadm's default).
   */
  readonly taints?: readonly Taint[];
  /** Secret files this node receives (PKI under /etc/kubernetes/pki), decided by role. */
  readonly secretFiles: readonly NodeFile[];
  /** For `explain`: the origin of values that are not simply copied. */
  readonly origins: Readonly<Record<string, Origin>>;
}

/**
 * A node without what names one machine: its role, phases, ports, modules and the like. Every
 * file rendered from a NodeShape is the same for all nodes of that shape (typically every
 * worker), so it is rendered once per shape; the machine's own values reach the scripts
 * through /etc/kubeseed/node.env.
 */
export type NodeShape = Omit<NodePlan,
  'name' | 'order' | 'ip' | 'prefix' | 'gateway' | 'dns' | 'searchDomains' | 'mac' | 'nics' | 'productUuid' | 'instanceId' | 'secretFiles' | 'origins'>;

export interface ClusterPlan {
  readonly name: string;
  /** Seconds since the epoch for every timestamp kubeseed writes (SOURCE_DATE_EPOCH style). */
  readonly epoch: number;
  readonly kubernetes: KubernetesPlan;
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly etcd: { readonly topology: 'stacked' | 'external'; readonly members: readonly { name: string; ip: string }[] };
  readonly lb: LbPlan;
  readonly os: OsPlan;
  readonly containerd: ContainerdPlan;
  readonly artifacts: ArtifactsPlan;
  readonly access: { readonly user: string; readonly sshAuthorizedKeys: readonly string[] };
  readonly secrets: ClusterSecrets;
  /**
   * /etc/hosts entries on every node: the control-plane and etcd nodes. A worker adds itself
   * from node.env; the endpoint name has its own block.
   */
  readonly hosts: readonly HostEntry[];
  /** Nodes in bring-up order. */
  readonly nodes: readonly NodePlan[];
  readonly origins: Readonly<Record<string, Origin>>;
}
