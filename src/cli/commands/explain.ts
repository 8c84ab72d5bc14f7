import { resolve } from 'node:path';
import type { ClusterPlan, ClusterSecrets, NodePlan } from '../../plan/types.js';
import { BUNDLE_ISO, BUNDLE_VOLUME_ID } from '../../plan/bundle-medium.js';
import { lbView } from '../../render/ipvs/view.js';
import { nodeFiles } from '../../render/node.js';
import { readState } from '../../state/read.js';
import { secretsFromState } from '../../state/plan-secrets.js';
import { goDuration, durationSeconds } from '../../plan/duration.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import { sourceDateEpoch } from '../source-date-epoch.js';
import type { Io } from '../io.js';
import {
  builtBundle, cniManifestFor, defaultBundleDir, defaultCacheDir, defaultStateDir, outputEpoch, planFor, profileOrExit, recordedDigests, type CliEnv,
} from './pipeline.js';

const USAGE = `usage: kubeseed explain PROFILE [--node NAME] [--format cloud-init|ignition] [--out DIR] [--state DIR] [--cache DIR]

Prints the resolved plan without writing anything: each node's role, bring-up order, addresses,
interfaces, load-balancer view, phases, the pod network (plugin, release, pod CIDR, MTU, images and their
digests, where its manifest comes from), and every file a node receives (secrets marked), with
where the values came from (explicit in the profile, a default, or derived). It downloads
nothing: the pod network's manifest is looked for in OUT/<cluster>.bundle/ and the cache.

  --node NAME    only this node
  --format F     the plan as compile --format F makes it (default: by spec.os.family)
  --out DIR      where compile keeps the state and bundle (default: out)
  --state DIR    the state directory, when not OUT/<cluster>.state
  --cache DIR    the artifacts cache (default: $KUBESEED_CACHE or ~/.cache/kubeseed/artifacts)`;

/** Shown when no state exists yet: explain never creates state. */
const NO_STATE: ClusterSecrets = {
  caCert: '', caKey: '', frontProxyCaCert: '', frontProxyCaKey: '', etcdCaCert: '', etcdCaKey: '',
  saKey: '', saPub: '', token: '(made at first compile)', tokenTtl: '', caCertHash: '(made at first compile)',
  apiserverEtcdClient: { cert: '', key: '' },
};

function lbLines(plan: ClusterPlan, node: NodePlan): string[] {
  const v = lbView(plan, node);
  if (!v) return [`  lb: none on this node (endpoint ${plan.endpoint.host} → ${node.endpointIp})`];
  return [
    `  lb: IPVS virtual server ${v.vip}:${v.port} (${v.scheduler}, masquerade), reached by a host route`,
    ...v.backends.map((b) => `      backend ${b.name} ${b.ip}:${b.port}`),
    `      checker: https://<backend>/healthz every ${v.checker.intervalSeconds}s, timeout ${v.checker.timeoutSeconds}s, drain at 1 failure, remove at ${v.checker.failuresToRemove}`,
  ];
}

/** The pod network: plugin, release, pods' CIDR and MTU, each image and its digest, the manifest's origin. */
export function cniLines(plan: ClusterPlan): string[] {
  const cni = plan.cni;
  const origin = (key: string): string => {
    const x = plan.origins[key];
    return x ? `${x.kind}: ${x.from}` : '';
  };
  if (cni.plugin === 'none') return [`  pod network none (${origin('cni.plugin')}): kubeseed applies none; the nodes stay NotReady until you apply one`];
  return [
    `  pod network ${cni.plugin} (${origin('cni.plugin')}) ${cni.version} (${origin('cni.version')})`,
    `    pods ${cni.podSubnet}, MTU ${cni.mtu} (${origin('cni.mtu')}; ${cni.encapsulation.name} header ${cni.encapsulation.overhead} bytes)`,
    `    manifest ${cni.manifest.fileName} sha256:${cni.manifest.sha256} ${cni.manifest.url}`,
    cni.upstream
      ? `      from ${cni.upstream.origin}; patched copy ${cni.manifest.path} on the first control-plane node, applied after kubeadm init`
      : '      NOT AT HAND: no pod network is compiled in (explain looks in the built bundle and the cache; compile also reads --from, and downloads it for artifacts source online or mirror)',
    ...cni.images.flatMap((i) => [
      `    image ${i.pinned}${i.ref === i.upstream ? '' : ` (pulled as ${i.upstream})`}`,
      i.digest ? `      digest from ${i.digestSource}` : `      NOT PINNED: digest pinned at bundle time: ${i.digestSource}`,
    ]),
    `    firewall ${[...cni.firewall.ports, ...cni.firewall.ipProtocols.map((p) => `IP protocol ${p}`)].join(', ')} on control-plane and worker nodes`,
  ];
}

function interfaceLines(node: NodePlan): string[] {
  const o = node.origins.mtu;
  const macs = new Map(node.nics.map((n) => [n.name, n.mac]));
  return [
    `  interfaces (address and default route on ${node.interface}, MTU ${node.mtu}${o ? ` ${o.kind}: ${o.from}` : ''}):`,
    ...node.interfaces.map((x) => {
      const mtu = x.mtu === undefined ? '' : `, MTU ${x.mtu}`;
      switch (x.kind) {
        case 'ethernet':
          return `    ${x.name}: NIC ${macs.get(x.name)}${mtu}${x.bond ? `, in ${x.bond}` : ''}`;
        case 'bond':
          return `    ${x.name}: bond of ${x.members.join(', ')}, ${x.mode}, miimon ${x.miimon}ms${x.lacpRate ? `, LACP rate ${x.lacpRate}` : ''}${x.transmitHashPolicy ? `, hash ${x.transmitHashPolicy}` : ''}${mtu}`;
        case 'vlan':
          return `    ${x.name}: VLAN ${x.id} on ${x.link}${mtu}`;
      }
    }),
  ];
}

function nodeLines(plan: ClusterPlan, node: NodePlan): string[] {
  const o = node.origins;
  const lines = [
    `node ${node.name}`,
    `  role ${node.role} (${o.role?.kind}), action ${node.action}, order ${node.order}${node.waitFor.length ? `, waits for ${node.waitFor.join(', ')}` : ''}`,
    `  address ${node.ip}/${node.prefix}${node.gateway ? ` via ${node.gateway}` : ''} on ${node.interface} (MAC ${node.mac})${node.productUuid ? `, product_uuid ${node.productUuid}` : ''}`,
    ...interfaceLines(node),
    `  dns ${node.dns.join(', ') || '(none)'} (${o.dns?.kind} ${o.dns?.from})`,
    `  endpoint ${plan.endpoint.host} → ${node.endpointIp}${node.endpointIpWhenReady ? ` at boot, → ${node.endpointIpWhenReady} once its apiserver answers` : ''}`,
    ...lbLines(plan, node),
    `  firewall ${[...node.firewallPorts, ...node.firewallProtocols.map((p) => `proto:${p}`)].join(' ')}`,
    `  phases ${node.phases.join(' → ')}`,
    '  files:',
    ...nodeFiles(plan, node).map((f) => `    ${`0${f.mode.toString(8)}`} ${f.path}${f.secret ? '  [secret]' : ''}`),
  ];
  return lines;
}

function netbootLines(plan: ClusterPlan): string[] {
  const nb = plan.netboot;
  if (!nb) return [];
  const how = nb.config.kind === 'nocloud' ? `NoCloud over HTTP (ds=${nb.config.datasource}), network-config on the command line`
    : nb.config.kind === 'flatcar' ? 'Ignition (ignition.config.url)'
    : `coreos-installer to ${nb.config.installDevice} (rootfs ${nb.config.rootfs})`;
  return [
    `  netboot: kernel ${nb.kernel}, initrd ${nb.initrds.join(' ')}${nb.args.length ? `, args ${nb.args.join(' ')}` : ''}`,
    `      config: ${how} (${plan.origins['netboot.config']?.kind}: ${plan.origins['netboot.config']?.from})${nb.bundle ? `; bundle from assets/${nb.bundle}` : ''}`,
  ];
}

export function explainText(plan: ClusterPlan, only?: string): string {
  const k = plan.kubernetes;
  const origin = (key: string): string => {
    const x = plan.origins[key];
    return x ? `${x.kind}: ${x.from}` : '';
  };
  const head = [
    `cluster ${plan.name}`,
    `  kubernetes ${k.version} (${origin('kubernetes.version')}), kubeadm API ${k.kubeadmApi} (${origin('kubernetes.kubeadmApi')})`,
    `  pods ${k.podSubnet} (${origin('kubernetes.podSubnet')}), services ${k.serviceSubnet} (${origin('kubernetes.serviceSubnet')}), proxy ${k.proxyMode}`,
    `  endpoint ${plan.endpoint.host}:${plan.endpoint.port}; load balancer ${plan.lb.mode}${plan.lb.mode === 'ipvs' ? ` VIP ${plan.lb.vip} (${origin('lb.vip')})` : ''}`,
    `  etcd ${plan.etcd.topology}: ${plan.etcd.members.map((m) => m.name).join(', ')}`,
    `  os ${plan.os.family} ${plan.os.version}, ${plan.os.format}, iptables ${plan.os.iptables} (${origin('os.iptables')}), selinux ${plan.os.hasSelinux ? plan.os.selinux : 'n/a'}`,
    `  containerd ${plan.containerd.version} (config v${plan.containerd.configVersion}), sandbox ${plan.containerd.sandboxImage}, mirrors ${plan.containerd.mirrors.map((m) => m.registry).join(', ') || 'none'}`,
    `  artifacts ${plan.artifacts.source} (${plan.artifacts.arch})${bundleMediumText(plan)}`,
    ...cniLines(plan),
    `  bootstrap token ttl ${plan.secrets.tokenTtl}, CA hash ${plan.secrets.caCertHash}`,
    `  secret files: staged in ${plan.secretStaging} by ${plan.os.format === 'ignition' ? 'Ignition' : 'user-data (a seed ISO carries them apart, under kubeseed/secrets/)'}; the secrets phase installs them after the preflight`,
    `  bring-up order: ${plan.nodes.map((n) => `${n.name}(${n.action})`).join(' → ')}`,
    ...netbootLines(plan),
    '',
  ];
  const nodes = plan.nodes.filter((n) => only === undefined || n.name === only);
  return [...head, ...nodes.flatMap((n) => [...nodeLines(plan, n), ''])].join('\n');
}

/** Where compile --iso puts the bundle, and where the node looks for it. */
function bundleMediumText(plan: ClusterPlan): string {
  const a = plan.artifacts;
  if (a.source !== 'bundle') return '';
  const o = plan.origins['artifacts.bundleMedium'];
  const how = a.bundleMedium === 'shared'
    ? `bundle medium shared: compile --iso writes it once as ${plan.name}.bundle/${BUNDLE_ISO} (volume id ${BUNDLE_VOLUME_ID}) for every node`
    : a.bundleMedium === 'seed' ? 'bundle medium seed: compile --iso puts the bundle into every seed ISO' : `bundle at ${a.bundlePath}`;
  return `; ${how}${o ? ` (${o.kind}: ${o.from})` : ''}; nodes look for it at ${[...(a.bundlePath ? [a.bundlePath] : []), ...a.media.map((m) => `the ${m.what} (label ${m.label})`), 'kubeseed.bundle= (netboot)'].join(', then ')}`;
}

export async function explainCommand(argv: string[], io: Io, env: CliEnv = {}): Promise<number> {
  const { values, positionals } = parse(argv, {
    node: { type: 'string' },
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    format: { type: 'string' },
    cache: { type: 'string' },
  }, USAGE);
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io, env.table);
  if (typeof loaded === 'number') return loaded;
  const format = values.format;
  if (format !== undefined && format !== 'cloud-init' && format !== 'ignition') throw new UsageError('--format must be cloud-init or ignition');
  if (values.node !== undefined && !loaded.profile.spec.nodes.some((n) => n.name === values.node)) {
    io.err(`kubeseed explain: no node named ${JSON.stringify(values.node)} in ${loaded.file}`);
    return EXIT.badInput;
  }
  const cluster = loaded.profile.metadata.name;
  const stateDir = resolve(values.state ?? defaultStateDir(resolve(values.out), cluster));
  const found = readState(stateDir);
  const ttl = goDuration(durationSeconds(loaded.profile.spec.bootstrapToken.ttl));
  const secrets = found.status === 'present' ? secretsFromState(found.state, ttl) : { ...NO_STATE, tokenTtl: ttl };
  const epoch = outputEpoch(sourceDateEpoch(), found.status === 'present' ? found.state.createdAt : undefined);
  if (found.status !== 'present') io.err(`note: no state in ${stateDir} yet; compile creates it`);
  const bundleDir = defaultBundleDir(resolve(values.out), cluster);
  const bundle = builtBundle(loaded.profile, bundleDir);
  // Where compile would find the pod network's manifest; explain downloads nothing.
  const cni = await cniManifestFor(loaded.profile, { bundleDir, cacheDir: resolve(values.cache ?? defaultCacheDir()), offline: true, table: env.table });
  io.out(explainText(planFor(loaded, secrets, {
    epoch,
    ...(format ? { format } : {}),
    ...(bundle ? { bundle } : {}),
    ...(env.table ? { table: env.table } : {}),
    ...(cni && 'text' in cni ? { cniManifest: cni } : {}),
    recordedDigests: recordedDigests(bundleDir),
  }), values.node));
  return EXIT.ok;
}
