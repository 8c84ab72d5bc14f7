import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { durationSeconds, goDuration } from '../../plan/duration.js';
import { DURATION } from '../../profile/schema/v1alpha1.js';
import { renewLeafCertificates, withNewBootstrapToken, type ClusterState } from '../../pki/cluster-state.js';
import { daysLeft, stateCertificates } from '../../pki/expiry.js';
import { parseAdminKubeconfig } from '../../pki/kubeconfig.js';
import { stateSummary } from '../../pki/summary.js';
import { tokenId } from '../../pki/token.js';
import { readState } from '../../state/read.js';
import { replaceState } from '../../state/write.js';
import { HelpRequest, onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { defaultStateDir, profileOrExit, type CliEnv, type LoadedProfile } from './pipeline.js';

const USAGE = `usage: kubeseed state show PROFILE [--out DIR] [--state DIR]
       kubeseed state renew PROFILE [--out DIR] [--state DIR]
       kubeseed state new-token PROFILE [--ttl DURATION] [--out DIR] [--state DIR]

  show       each certificate's subject, sha256 fingerprint, validity and days left, and the
             bootstrap token's id and expiry (never its secret); loose permissions as warnings
  renew      re-issues the leaf certificates kubeseed made (admin.conf's client certificate and
             apiserver-etcd-client) from the same CAs, valid 365 days from now; the replaced
             files stay in STATE/backup/<time>-renew/. Compile again to ship them.
  new-token  puts a new bootstrap token into the state (--ttl: 0 never expires, or e.g. 90m,
             24h, 7d; default spec.bootstrapToken.ttl) and prints the kubeadm token create
             command that registers it on the running cluster. The old state.json stays in
             STATE/backup/<time>-new-token/. Compile again to put it into every join.`;

const SUBCOMMANDS = ['show', 'renew', 'new-token'] as const;

export function stateCommand(argv: string[], io: Io, env: CliEnv = {}): number {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') throw new HelpRequest(USAGE);
  if (!(SUBCOMMANDS as readonly (string | undefined)[]).includes(sub)) {
    throw new UsageError(`unknown state subcommand ${JSON.stringify(sub ?? '')}\n\n${USAGE}`);
  }
  const { values, positionals } = parse(rest, {
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    ...(sub === 'new-token' ? { ttl: { type: 'string' } } : {}),
  }, USAGE);
  const file = onePositional(positionals, 'profile', USAGE);
  const ttl = (values as { ttl?: string }).ttl;
  if (ttl !== undefined && !DURATION.test(ttl)) throw new UsageError(`--ttl must be 0 or a duration like 24h, 90m, 7d, got ${JSON.stringify(ttl)}`);
  const loaded = profileOrExit(file, io, env.table);
  if (typeof loaded === 'number') return loaded;
  const dir = resolve(values.state ?? defaultStateDir(resolve(values.out), loaded.profile.metadata.name));
  const found = readState(dir);
  if (found.status !== 'present') {
    io.err(`kubeseed state: no state in ${dir}; "kubeseed compile" creates it`);
    return EXIT.failure;
  }
  for (const w of found.warnings) io.err(`warning: state: ${w}`);
  const now = new Date();
  switch (sub) {
    case 'renew':
      return renew(found.state, dir, loaded, now, io);
    case 'new-token':
      return newToken(found.state, dir, ttl ?? loaded.profile.spec.bootstrapToken.ttl, now, io);
    default:
      io.out(JSON.stringify(stateSummary(found.state, now), null, 2));
      return EXIT.ok;
  }
}

/** admin.conf keeps the server it has: renewing changes credentials, nothing else. */
function endpointOf(state: ClusterState): { host: string; port: number } {
  const url = new URL(parseAdminKubeconfig(state.adminConf).server);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 443 };
}

function renew(state: ClusterState, dir: string, loaded: LoadedProfile, now: Date, io: Io): number {
  const next = renewLeafCertificates(state, {
    now,
    clusterName: state.clusterName,
    endpoint: endpointOf(state),
    kubernetesVersion: loaded.profile.spec.kubernetes.version,
  });
  const backup = replaceState(dir, next, { now, why: 'renew', changed: ['admin.conf', 'apiserver-etcd-client.crt', 'apiserver-etcd-client.key'] });
  for (const c of stateCertificates(next).filter((x) => x.name === 'admin.conf' || x.name === 'apiserver-etcd-client.crt')) {
    const notAfter = new Date(new X509Certificate(c.pem).validTo);
    io.out(`renewed ${c.name}: valid until ${notAfter.toISOString()} (${daysLeft(notAfter, now)} days)`);
  }
  io.out(`the replaced files are in ${backup}`);
  io.err('next: "kubeseed compile" ships them (admin.conf in the output tree, apiserver-etcd-client to new control-plane nodes of an external-etcd cluster); running control-plane nodes of such a cluster need the new pair copied to /etc/kubernetes/pki by hand');
  return EXIT.ok;
}

function newToken(state: ClusterState, dir: string, ttl: string, now: Date, io: Io): number {
  const seconds = durationSeconds(ttl);
  const next = withNewBootstrapToken(state, { now, ttlSeconds: seconds });
  const backup = replaceState(dir, next, { now, why: 'new-token', changed: ['state.json'] });
  // The one place kubeseed prints a token secret: the operator asked for it, to register it.
  io.out(`kubeadm token create ${next.bootstrapToken.token} --ttl ${goDuration(seconds)}`);
  io.err([
    `state: new bootstrap token ${tokenId(next.bootstrapToken.token)} (ttl ${goDuration(seconds)}${next.bootstrapToken.expires ? `, expires ${next.bootstrapToken.expires} if registered now` : ', never expires'}); the old state.json is in ${backup}`,
    'next: run the kubeadm token create line above as root on a control-plane node (it reads /etc/kubernetes/admin.conf),',
    'then "kubeseed compile" to put the new token into every join configuration, and boot the new nodes from that output',
  ].join('\n'));
  return EXIT.ok;
}
