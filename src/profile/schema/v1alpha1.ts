/**
 * The cluster profile, version kubeseed.io/v1alpha1. Every object is strict: an unknown key is
 * an error (with a "did you mean" from diagnostics), because a misspelt option that is silently
 * ignored is how clusters end up half-configured. Defaults live here, once, so `explain` and the
 * README can name them.
 */
import { z } from 'zod';
import { formatReference, parseReference } from '../../oci/reference.js';

/** RFC 1123 label: node names become hostnames, file names and shell arguments. */
export const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain, for the apiserver endpoint name and DNS domain. */
export const RFC1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const K8S_VERSION = /^v\d+\.\d+\.\d+$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
/** An image reference with a sha256 digest (`host/path[:tag]@sha256:<hex>`), as extraImages holds them. */
function pinnedImage(v: string, ctx: z.RefinementCtx): void {
  try {
    const r = parseReference(v);
    if (!r.digest) ctx.addIssue({ code: 'custom', message: 'must be pinned by digest: <reference>@sha256:<index digest>' });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
}

/** Two entries naming the same image (after docker normalisation) would import one over the other. */
function uniqueImages(list: string[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  list.forEach((v, i) => {
    let key: string;
    try {
      key = formatReference(parseReference(v), { digest: false });
    } catch {
      return;
    }
    const first = seen.get(key);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `names the same image as extraImages[${first}] (${key})` });
    else seen.set(key, i);
  });
}

/** Image references reach shell scripts and TOML; allow only what registries allow. */
const IMAGE_REF = /^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?(@sha256:[a-f0-9]{64})?$/;
/** Registry host names as containerd's certs.d directory names them (host or host:port). */
const REGISTRY_HOST = /^(_default|[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?)$/;
const HTTP_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/;
const ABS_PATH = /^\/[A-Za-z0-9._/-]*$/;
const SSH_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\n\r]*)?$/;
export const DURATION = /^(0|\d+[smhd])$/;
/**
 * A boot asset: a path relative to the directory `kubeseed serve --boot-assets` serves (and that
 * a static web server serves as URL/assets/). No "." or ".." segment, no hidden file, no
 * character a URL or an iPXE script would treat specially.
 */
const ASSET_PATH = /^[A-Za-z0-9_][A-Za-z0-9._+-]*(\/[A-Za-z0-9_][A-Za-z0-9._+-]*)*$/;
/**
 * One kernel argument. iPXE splits its command lines at white space, takes a word starting with
 * "#" as a comment, a lone ";", "&&" or "||" as a command separator and expands "${...}"; the
 * kernel splits at white space and treats quotes. Arguments are therefore plain words.
 */
const KERNEL_ARG = /^[A-Za-z0-9_][A-Za-z0-9._:,/=+@%~-]*$/;

const ipv4 = z.string().regex(IPV4, 'must be an IPv4 address like 192.168.10.1');
const ipv4Cidr = z.string().regex(/^[^/]+\/\d{1,2}$/, 'must be an IPv4 CIDR like 10.244.0.0/16')
  .refine((s) => IPV4.test(s.split('/')[0]!) && Number(s.split('/')[1]) <= 32, 'must be an IPv4 CIDR like 10.244.0.0/16');
const label = z.string().regex(RFC1123_LABEL, 'must be an RFC 1123 label: lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit');
const port = z.number().int().min(1).max(65535);
const httpUrl = z.string().regex(HTTP_URL, 'must be an http(s) URL without query, credentials or spaces');
const absPath = z.string().regex(ABS_PATH, 'must be an absolute path of letters, digits, ".", "_", "-" and "/"');

export const MirrorEndpointSchema = z.union([
  httpUrl,
  z.strictObject({
    url: httpUrl,
    /** A CA certificate file on the node to trust for this mirror. */
    caFile: absPath.optional(),
    /** Disables TLS verification; only ever set because the profile says so. */
    skipVerify: z.boolean().default(false),
    capabilities: z.array(z.enum(['pull', 'resolve', 'push'])).min(1).default(['pull', 'resolve']),
  }),
]);

const mac = z.string().regex(MAC, 'must be a MAC address like 52:54:00:00:10:11 (lower-case hex)');
/**
 * 1280 is the smallest MTU IPv6 allows (RFC 8200) and the floor CNIs assume; 9216 the largest
 * jumbo frame common data-centre switches carry.
 */
const mtu = z.number().int('must be a whole number of bytes')
  .min(1280, 'must be at least 1280 (the IPv6 minimum)')
  .max(9216, 'must be at most 9216 (the largest jumbo frame switches commonly carry)');
/** Kernel bonding modes kubeseed configures: LACP, failover, and static hashing. */
export const BOND_MODES = ['802.3ad', 'active-backup', 'balance-xor'] as const;
const bondMode = z.enum(BOND_MODES);
/** MII link monitoring interval in milliseconds (0 turns it off). */
const miimon = z.number().int().min(0).max(60000);
const lacpRate = z.enum(['slow', 'fast']);
const transmitHashPolicy = z.enum(['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4']);

export const BondSchema = z.strictObject({
  /** The bond's interface name, e.g. bond0. */
  name: label,
  /** The NICs in the bond, by MAC (named `<bond>p<index>` on the node). */
  members: z.array(mac).min(1, 'a bond needs at least one member NIC (by MAC)'),
  /** Defaults: spec.network.bond. */
  mode: bondMode.optional(),
  miimon: miimon.optional(),
  lacpRate: lacpRate.optional(),
  transmitHashPolicy: transmitHashPolicy.optional(),
});

export const VlanSchema = z.strictObject({
  id: z.number().int('must be a whole number').min(1, 'must be a VLAN id from 1 to 4094').max(4094, 'must be a VLAN id from 1 to 4094'),
  /** The interface the VLAN rides on: the node's NIC (`interface`) or one of its bonds. */
  link: label,
  /** Default: the node's MTU. */
  mtu: mtu.optional(),
});

export const NodeSchema = z.strictObject({
  name: label,
  role: z.enum(['control-plane', 'worker', 'etcd']),
  /** The node's address with its prefix length, e.g. 192.168.10.11/24. */
  ip: ipv4Cidr,
  gateway: ipv4.optional(),
  /** The node's NIC; required unless the node has bonds. */
  mac: mac.optional(),
  /** /sys/class/dmi/id/product_uuid from the inventory; checked at first boot when given. */
  productUuid: z.string().regex(UUID, 'must be a lower-case UUID like 4c4c4544-0042-3610-8052-b4c04f4b4d32').optional(),
  dns: z.array(ipv4).optional(),
  /** Name the NIC of `mac` gets (network-config set-name). */
  interface: label.optional(),
  bonds: z.array(BondSchema).optional(),
  vlans: z.array(VlanSchema).optional(),
  /** MTU of the node's NIC, bonds and VLANs; default spec.network.mtu. */
  mtu: mtu.optional(),
  /** The interface that carries `ip` and the default route; needed when the node has bonds or VLANs. */
  addressOn: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be an interface name of this node, like bond0 or bond0.100').optional(),
});

export const ProfileSchema = z.strictObject({
  apiVersion: z.literal('kubeseed.io/v1alpha1'),
  kind: z.literal('ClusterProfile'),
  metadata: z.strictObject({ name: label }),
  spec: z.strictObject({
    kubernetes: z.strictObject({
      version: z.string().regex(K8S_VERSION, 'must be a Kubernetes version like v1.30.6'),
      podSubnet: ipv4Cidr.default('10.244.0.0/16'),
      // /16 rather than kubeadm's /12: the /12 (10.96-10.111) would hold the default VIP 10.103.97.2.
      serviceSubnet: ipv4Cidr.default('10.96.0.0/16'),
      dnsDomain: z.string().regex(RFC1123_SUBDOMAIN, 'must be a DNS domain like cluster.local').default('cluster.local'),
      proxyMode: z.enum(['ipvs', 'iptables']).default('ipvs'),
      imageRepository: z.string().regex(/^[a-z0-9]([a-z0-9.:/-]*[a-z0-9])?$/, 'must be a registry path like registry.k8s.io').default('registry.k8s.io'),
    }),
    controlPlane: z.strictObject({
      endpoint: z.strictObject({
        host: z.string().regex(RFC1123_SUBDOMAIN, 'must be a DNS name like apiserver.cluster.local').default('apiserver.cluster.local'),
        port: port.default(6443),
      }).prefault({}),
      loadBalancer: z.strictObject({
        mode: z.enum(['ipvs', 'none']).default('ipvs'),
        vip: ipv4.default('10.103.97.2'),
        scheduler: z.enum(['rr', 'wrr', 'lc', 'sh']).default('rr'),
        /** Also balance on control-plane nodes (after their own apiserver is up). */
        onControlPlane: z.boolean().default(false),
        healthCheck: z.strictObject({
          intervalSeconds: z.number().int().min(1).max(60).default(2),
          timeoutSeconds: z.number().int().min(1).max(30).default(1),
          /** Consecutive failures before a backend is removed (it is drained at the first). */
          failuresToRemove: z.number().int().min(1).max(100).default(3),
        }).prefault({}),
      }).prefault({}),
      etcd: z.strictObject({ topology: z.enum(['stacked', 'external']).default('stacked') }).prefault({}),
    }).prefault({}),
    os: z.strictObject({
      family: z.enum(['ubuntu', 'debian', 'rocky', 'rhel', 'flatcar', 'fcos']),
      version: z.string().regex(/^[0-9][0-9.]*$/, 'must be a version like "22.04" or "9"').optional(),
      /** Default per family: legacy where the OS packages it, nft elsewhere. */
      iptables: z.enum(['legacy', 'nft']).optional(),
      selinux: z.enum(['permissive', 'enforcing', 'disabled']).default('permissive'),
      ntpServers: z.array(z.string().regex(RFC1123_SUBDOMAIN, 'must be a host name or IPv4 address')).default([]),
      /** Open the role's ports with ufw/firewalld when that tool is present on the node. */
      firewall: z.enum(['auto', 'none']).default('auto'),
    }),
    containerd: z.strictObject({
      /** Default: the version table's containerd for the Kubernetes release. */
      version: z.string().regex(SEMVER, 'must be a containerd version like 1.7.30').optional(),
      sandboxImage: z.string().regex(IMAGE_REF, 'must be an image reference like registry.k8s.io/pause:3.9').optional(),
      mirrors: z.record(z.string().regex(REGISTRY_HOST, 'must be a registry host like docker.io or registry.local:5000'), z.array(MirrorEndpointSchema).min(1)).default({}),
    }).prefault({}),
    artifacts: z.strictObject({
      source: z.enum(['bundle', 'mirror', 'online']).default('online'),
      mirror: z.strictObject({ url: httpUrl, caFile: absPath.optional() }).optional(),
      /** Where a VM template carries the bundle; when absent the node looks on removable media. */
      bundlePath: absPath.optional(),
      /**
       * How compile --iso delivers the bundle (source bundle, no bundlePath): shared (default, in
       * the plan) writes it once as OUT/<cluster>.bundle/bundle.iso, volume id KSBUNDLE, for every
       * node beside its small seed; seed puts it into each node's seed ISO (one medium per node).
       */
      bundleMedium: z.enum(['shared', 'seed']).optional(),
      arch: z.enum(['amd64', 'arm64']).default('amd64'),
      /** Site images bundled and imported beside the release's, each pinned by its index digest. */
      extraImages: z.array(z.string().superRefine(pinnedImage)).superRefine(uniqueImages).default([]),
    }).prefault({}),
    access: z.strictObject({
      user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name').default('kubeseed'),
      sshAuthorizedKeys: z.array(z.string().regex(SSH_KEY, 'must be one OpenSSH public key line')).default([]),
    }).prefault({}),
    pki: z.strictObject({ keyAlgorithm: z.enum(['rsa', 'ecdsa']).default('rsa') }).prefault({}),
    bootstrapToken: z.strictObject({
      /** kubeadm ttl: 0 never expires; otherwise e.g. 24h, 7d. */
      ttl: z.string().regex(DURATION, 'must be 0 or a duration like 24h, 90m, 7d').default('24h'),
    }).prefault({}),
    /**
     * The pod network the first control-plane node applies after kubeadm init. flannel by
     * default: pinned end to end by the version table and a small manifest (README explains).
     */
    cni: z.strictObject({
      plugin: z.enum(['calico', 'flannel', 'none']).default('flannel'),
      /** A release the version table lists for the Kubernetes minor; default: the newest. */
      version: z.string().regex(K8S_VERSION, 'must be a release like v3.30.7').optional(),
      /** The pods' MTU; default: a 1500-byte interface minus the plugin's encapsulation header. */
      mtu: z.number().int().positive().optional(),
    }).prefault({}),
    network: z.strictObject({
      dns: z.array(ipv4).default([]),
      searchDomains: z.array(z.string().regex(RFC1123_SUBDOMAIN, 'must be a DNS domain')).default([]),
      /** Every node's MTU unless the node sets its own; unset: the kernel's (1500 on Ethernet). */
      mtu: mtu.optional(),
      /** Bond settings every bond gets unless it sets its own. */
      bond: z.strictObject({
        mode: bondMode.default('active-backup'),
        miimon: miimon.default(100),
        lacpRate: lacpRate.optional(),
        transmitHashPolicy: transmitHashPolicy.optional(),
      }).prefault({}),
    }).prefault({}),
    /**
     * The network boot entry (kubeseed serve, compile --netboot): the kernel, initrds and extra
     * kernel arguments every node boots with; kubeseed adds the arguments that point the OS at
     * the node's own configuration. Absent: no netboot files are written (unless --netboot).
     * Defaults per family are in src/plan/os-families.ts.
     */
    netboot: z.strictObject({
      kernel: z.string().regex(ASSET_PATH, 'must be a file below the boot assets directory, like vmlinuz or debian/vmlinuz').optional(),
      initrd: z.array(z.string().regex(ASSET_PATH, 'must be a file below the boot assets directory, like initrd.img')).min(1).optional(),
      args: z.array(z.string().regex(KERNEL_ARG, 'must be one kernel argument without spaces, quotes, "$", "#", "&", ";" or "|", like console=ttyS0,115200n8')).default([]),
      /** Fedora CoreOS: the live rootfs image (coreos.live.rootfs_url). */
      rootfs: z.string().regex(ASSET_PATH, 'must be a file below the boot assets directory').optional(),
      /** Fedora CoreOS: the disk coreos-installer writes the OS to (coreos.inst.install_dev). */
      installDevice: absPath.optional(),
    }).optional(),
    nodes: z.array(NodeSchema).min(1, 'at least one node is needed'),
  }),
});

export type Profile = z.output<typeof ProfileSchema>;
export type ProfileNode = Profile['spec']['nodes'][number];
export type ProfileBond = NonNullable<ProfileNode['bonds']>[number];
export type ProfileVlan = NonNullable<ProfileNode['vlans']>[number];
export type MirrorEndpoint = z.output<typeof MirrorEndpointSchema>;
