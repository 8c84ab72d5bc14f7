/**
 * How long the state's certificates have left, and what a compile does about it: a certificate
 * with less than RENEW_WARNING_DAYS left is a warning, an expired one that the compile would ship
 * stops it. Pure: `now` is handed in.
 */
import { X509Certificate } from 'node:crypto';
import type { ClusterState } from './cluster-state.js';
import { parseAdminKubeconfig } from './kubeconfig.js';
import { formatDuration, tokenId } from './token.js';

/** kubeadm's `certs check-expiration` counts in days; under this many left, compile warns. */
export const RENEW_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** The leaf certificates `kubeseed state renew` re-issues; the CAs cannot be renewed in place. */
export const RENEWABLE = Object.freeze(['admin.conf', 'apiserver-etcd-client.crt'] as const);

export interface StateCertificate {
  /** The state file that holds it. */
  readonly name: string;
  readonly pem: string;
}

/** Every certificate of the state, CAs first, named by the file that holds it. */
export function stateCertificates(state: ClusterState): StateCertificate[] {
  return [
    { name: 'ca.crt', pem: state.ca.cert },
    { name: 'front-proxy-ca.crt', pem: state.frontProxyCa.cert },
    { name: 'etcd/ca.crt', pem: state.etcdCa.cert },
    { name: 'admin.conf', pem: parseAdminKubeconfig(state.adminConf).clientCertPem },
    { name: 'apiserver-etcd-client.crt', pem: state.apiserverEtcdClient.cert },
  ];
}

/** Whole days from `now` to notAfter, rounded down: 0 on the last day, negative once expired. */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

export interface ExpiryReport {
  /** Expired certificates the compile would ship: it must stop. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Checks every certificate against `now`. `shipped` says whether this compile puts a certificate
 * on a node or in the output tree (apiserver-etcd-client goes out with external etcd only).
 */
export function checkExpiry(state: ClusterState, now: Date, shipped: (name: string) => boolean): ExpiryReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const { name, pem } of stateCertificates(state)) {
    const cert = new X509Certificate(pem);
    const notAfter = new Date(cert.validTo);
    const left = daysLeft(notAfter, now);
    const what = `certificate ${name} (${cert.subject.split('\n').join(', ')})`;
    const how = (RENEWABLE as readonly string[]).includes(name)
      ? 'renew it with "kubeseed state renew PROFILE"'
      : 'kubeseed cannot renew a CA in place: every node trusts it (plan a CA rotation)';
    if (notAfter.getTime() <= now.getTime()) {
      if (shipped(name)) errors.push(`${what} expired on ${notAfter.toISOString()}; ${how}`);
      else warnings.push(`${what} expired on ${notAfter.toISOString()} (not shipped by this compile); ${how}`);
    } else if (left < RENEW_WARNING_DAYS) {
      warnings.push(`${what} expires on ${notAfter.toISOString()}, in ${left} days; ${how}`);
    }
  }
  return { errors, warnings };
}

/**
 * A warning when the state's bootstrap token has most likely expired. kubeadm counts the ttl from
 * when it installs the token (kubeadm init, or kubeadm token create), which is after the state
 * recorded it, so this names the token's public id and the earliest it can have expired.
 */
export function tokenExpiryWarning(state: ClusterState, now: Date): string | null {
  const { expires, token } = state.bootstrapToken;
  if (expires === null || Date.parse(expires) > now.getTime()) return null;
  return `the bootstrap token ${tokenId(token)} (ttl ${formatDuration(state.bootstrapToken.ttlSeconds)}) has expired unless the cluster installed it after ${expires}: ` +
    'nodes compiled with it cannot join. Make a new one with "kubeseed state new-token PROFILE", run the kubeadm token create it prints, and compile again';
}
