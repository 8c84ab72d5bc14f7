/**
 * The ClusterPlan: every decision kubeseed makes, as plain data. Renderers read it and decide
 * nothing of their own; `kubeseed explain` prints it. Built by buildPlan(profile, secrets).
 */
import type { NodeFile } from '../render/files.js';
import type { Artifact } from './artifacts.js';
import type { BundleManifest } from './bundle-manifest.js';
import type { BundleMediumKind, BundleMediumPlace } from './bundle-medium.js';
import type { Platform } from './platforms.js';
import type { ChronyLayout, FamilyFacts } from './os-families.js';

export type Role = 'control-plane' | 'worker' | 'etcd';
export type OsFamily = 'ubuntu' | 'debian' | 'rocky' | 'rhel' | 'flatcar' | 'fcos';
export type KubeadmApi = 'v1beta3' | 'v1beta4';
export type Phase = 'preflight' | 'secrets' | 'os' | 'artifacts' | 'runtime' | 'lb' | 'kubeadm';

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

/** The family's facts as they are (os-families.ts documents each), and what the profile decides. */
export interface OsPlan extends Pick<FamilyFacts,
  'hasSelinux' | 'packageManager' | 'iptablesAlternatives' | 'binDir' | 'sbinDir' | 'libDir' | 'shipsContainerd' | 'network' | 'adminGroups'> {
  readonly family: OsFamily;
  readonly version: string;
  /** cloud-init or Ignition, from the family unless overridden. */
  readonly format: 'cloud-init' | 'ignition';
  readonly iptables: 'legacy' | 'nft';
  readonly selinux: 'permissive' | 'enforcing' | 'disabled';
  /** The family's firewall tool, or none when the profile says so. */
  readonly firewall: FamilyFacts['firewall'];
  /**
   * chrony with the profile's NTP servers; null when there are none or the family keeps its
   * own time sync (Flatcar's systemd-timesyncd).
   */
  readonly timeSync: { readonly servers: readonly string[]; readonly chrony: ChronyLayout } | null;
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
  /**
   * A drop-in resets containerd.service's ExecStart to plain `/usr/bin/containerd`, which reads
   * /etc/containerd/config.toml: where the OS's unit names a config file of its own (Flatcar).
   */
  readonly execStartDropIn: boolean;
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
  /** Template path of the bundle; absent: the node finds it on removable media by label. */
  readonly bundlePath?: string;
  /**
   * Source bundle without bundlePath: where compile --iso puts the bundle (shared: once, as
   * OUT/<cluster>.bundle/bundle.iso; seed: into every seed ISO). Absent otherwise.
   */
  readonly bundleMedium?: BundleMediumKind;
  /** Source bundle: the media the artifacts phase looks for the bundle on, in order; else empty. */
  readonly media: readonly BundleMediumPlace[];
  /** The built bundle's bundle.json (source bundle, when built before compiling): what the node expects. */
  readonly bundle?: BundleManifest;
  /** Every artifact the site needs (neededArtifacts), in install order. */
  readonly needed: readonly Artifact[];
}

/** One image a CNI manifest names, as the patched manifest names it. */
export interface CniImage {
  /** As the upstream manifest writes it: `docker.io/calico/node:v3.30.7`; what `kubeseed bundle` pulls. */
  readonly upstream: string;
  /** What kubelet asks for, without the digest: the upstream reference or the site registry's. */
  readonly ref: string;
  /** `sha256:<hex>`, the image index digest; null when none is known yet (the manifest then names the tag only). */
  readonly digest: string | null;
  /** Where the digest came from, or why there is none. */
  readonly digestSource: string;
  /** What the patched manifest says: `ref@digest`, or `ref` when there is no digest. */
  readonly pinned: string;
}

/** The pod network; `none` leaves it to the user. */
export type CniPlan =
  | { readonly plugin: 'none' }
  | {
      readonly plugin: 'calico' | 'flannel';
      readonly version: string;
      readonly podSubnet: string;
      /** The pods' MTU: the interface's less the encapsulation header. */
      readonly mtu: number;
      readonly encapsulation: { readonly name: string; readonly overhead: number };
      readonly images: readonly CniImage[];
      readonly manifest: {
        readonly url: string;
        readonly fileName: string;
        /** sha256 of the upstream bytes, from the version table. */
        readonly sha256: string;
        readonly source: string;
        /** Where the init node finds the patched manifest. */
        readonly path: string;
      };
      /**
       * The upstream manifest's text (checked against manifest.sha256 by the CLI) and where it came
       * from; absent when compile could not get it: then no pod network is compiled in.
       */
      readonly upstream?: { readonly text: string; readonly origin: string };
      /** What every cluster node's firewall lets through for it. */
      readonly firewall: { readonly ports: readonly string[]; readonly ipProtocols: readonly number[] };
    };

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
  /** Ports opened in the firewall (`6443/tcp`, `30000-32767/tcp`), the pod network's included. */
  readonly firewallPorts: readonly string[];
  /** IP protocols (numbers) the firewall lets through: 4 for Calico's IP-in-IP. */
  readonly firewallProtocols: readonly number[];
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
  /** Key and certificate files this node receives (PKI under /etc/kubernetes/pki), decided by role. */
  readonly secretFiles: readonly NodeFile[];
  /**
   * Paths of every file this node receives that carries a secret (a private key, the bootstrap
   * token), sorted: they travel apart from the other files and reach these paths only in the
   * secrets phase, after the preflight. The same for every node of a shape.
   */
  readonly secretPaths: readonly string[];
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

/**
 * How a node boots from the network (kubeseed serve, compile --netboot): iPXE loads the kernel and
 * initrds from the boot assets and hands the kernel arguments that lead the OS to the node's own
 * configuration. Paths are relative to where the tree is served: assets below `assets/`, the
 * node's files below `nodes/<node>/`.
 */
export interface NetbootPlan {
  /** Paths below the boot assets directory. */
  readonly kernel: string;
  readonly initrds: readonly string[];
  /** Kernel arguments from the profile, in its order; kubeseed's own follow them. */
  readonly args: readonly string[];
  /**
   * How the booted OS finds its configuration, which decides kubeseed's own arguments.
   * nocloud: cloud-init's NoCloud datasource over HTTP, under the name the family's cloud-init
   * takes for an http seed; the network config travels on the kernel command line
   * (`network-config=`, base64), because NoCloud reads no network-config over HTTP before
   * cloud-init 24.3 and Ubuntu's stable releases patch that out. flatcar: Ignition fetches
   * ignition.json. coreos-installer (FCOS): the live image installs to the disk and writes
   * ignition.json for the installed system's first boot.
   */
  readonly config:
    | { readonly kind: 'nocloud'; readonly datasource: 'nocloud' | 'nocloud-net' }
    | { readonly kind: 'flatcar' }
    | { readonly kind: 'coreos-installer'; readonly rootfs: string; readonly installDevice: string };
  /** Where a site serves the tree (compile --netboot URL), ending in "/"; boot.ipxe and the dnsmasq snippet need it. */
  readonly url?: string;
  /**
   * The offline bundle among the boot assets, for artifacts.source bundle without bundlePath:
   * a machine booted from the network has no seed ISO to carry it, so its kernel command line
   * names the bundle's URL (kubeseed.bundle=) and the artifacts phase downloads it. Not for FCOS:
   * coreos-installer does not pass the live system's arguments on to the installed one.
   */
  readonly bundle?: string;
}

export interface ClusterPlan {
  readonly name: string;
  /** Seconds since the epoch for every timestamp kubeseed writes (SOURCE_DATE_EPOCH style). */
  readonly epoch: number;
  /** Where the user-data goes: its size limit is checked after rendering. */
  readonly platform: Platform;
  /**
   * Whether the shell scripts keep their comment lines; they are dropped where the platform's
   * user-data limit needs the room (EC2), see plan/platforms.ts.
   */
  readonly scriptComments: boolean;
  readonly kubernetes: KubernetesPlan;
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly etcd: { readonly topology: 'stacked' | 'external'; readonly members: readonly { name: string; ip: string }[] };
  readonly lb: LbPlan;
  readonly os: OsPlan;
  readonly containerd: ContainerdPlan;
  readonly artifacts: ArtifactsPlan;
  readonly cni: CniPlan;
  readonly access: { readonly user: string; readonly sshAuthorizedKeys: readonly string[] };
  readonly secrets: ClusterSecrets;
  /**
   * Where user-data (or Ignition) stages the secret files until the secrets phase moves them in:
   * a tmpfs under /run for cloud-init (systemd mounts /run as tmpfs before anything else runs, so
   * they never touch a disk); the root disk for Ignition, which writes only to the root file
   * system from the initramfs. The seed ISO carries them in its own directory instead.
   */
  readonly secretStaging: string;
  /**
   * /etc/hosts entries on every node: the control-plane and etcd nodes. A worker adds itself
   * from node.env; the endpoint name has its own block.
   */
  readonly hosts: readonly HostEntry[];
  /** Nodes in bring-up order. */
  readonly nodes: readonly NodePlan[];
  /** Present when the profile has spec.netboot or compile runs with --netboot. */
  readonly netboot?: NetbootPlan;
  readonly origins: Readonly<Record<string, Origin>>;
}
