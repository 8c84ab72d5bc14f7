import { resolve } from 'node:path';
import type { ClusterPlan, ClusterSecrets, NodePlan } from '../../plan/types.js';
import { lbView } from '../../render/ipvs/view.js';
import { nodeFiles } from '../../render/node.js';
import { readState } from '../../state/read.js';
import { secretsFromState } from '../../state/plan-secrets.js';
import { goDuration, durationSeconds } from '../../plan/duration.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { builtBundle, defaultBundleDir, defaultStateDir, outputEpoch, planFor, profileOrExit } from './pipeline.js';

const USAGE = `usage: kubeseed explain PROFILE [--node NAME] [--out DIR] [--state DIR]

Prints the resolved plan without writing anything: each node's role, bring-up order, addresses,
interfaces, load-balancer view, phases, and every file it receives (secrets marked), with where the values
came from (explicit in the profile, a default, or derived).`;

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
    `  firewall ${node.firewallPorts.join(' ')}`,
    `  phases ${node.phases.join(' → ')}`,
    '  files:',
    ...nodeFiles(plan, node).map((f) => `    ${`0${f.mode.toString(8)}`} ${f.path}${f.secret ? '  [secret]' : ''}`),
  ];
  return lines;
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
    `  artifacts ${plan.artifacts.source} (${plan.artifacts.arch})`,
    `  bootstrap token ttl ${plan.secrets.tokenTtl}, CA hash ${plan.secrets.caCertHash}`,
    `  bring-up order: ${plan.nodes.map((n) => `${n.name}(${n.action})`).join(' → ')}`,
    '',
  ];
  const nodes = plan.nodes.filter((n) => only === undefined || n.name === only);
  return [...head, ...nodes.flatMap((n) => [...nodeLines(plan, n), ''])].join('\n');
}

export function explainCommand(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    node: { type: 'string' },
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    format: { type: 'string' },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io);
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
  const epoch = found.status === 'present' ? outputEpoch(found.state.createdAt) : 0;
  if (found.status !== 'present') io.err(`note: no state in ${stateDir} yet; compile creates it`);
  const bundle = builtBundle(loaded.profile, defaultBundleDir(resolve(values.out), cluster));
  io.out(explainText(planFor(loaded, secrets, epoch, format, bundle), values.node));
  return EXIT.ok;
}
