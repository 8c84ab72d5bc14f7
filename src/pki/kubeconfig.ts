/**
 * The operator's admin kubeconfig, shaped as kubeadm writes admin.conf
 * (cmd/kubeadm/app/phases/kubeconfig): user `kubernetes-admin`, context
 * `kubernetes-admin@<cluster>`, credentials embedded as base64 `*-data` fields.
 */
import { parse as parseYaml } from 'yaml';
import { toYaml } from '../render/serialize.js';

export const ADMIN_USER = 'kubernetes-admin';

/**
 * The group in admin.conf's client certificate. kubeadm 1.29 split the old all-powerful
 * admin.conf: admin.conf now carries `kubeadm:cluster-admins` (bound to cluster-admin by a
 * ClusterRoleBinding kubeadm creates at init) and a separate super-admin.conf carries
 * `system:masters`. Before 1.29 admin.conf carried `system:masters`
 * (cmd/kubeadm/app/constants: SystemPrivilegedGroup, ClusterAdminsGroupAndClusterRoleBinding).
 */
export const SYSTEM_MASTERS = 'system:masters';
export const KUBEADM_CLUSTER_ADMINS = 'kubeadm:cluster-admins';

export function parseKubernetesVersion(version: string): { major: number; minor: number; patch: number } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!m) throw new Error(`not a Kubernetes version: ${JSON.stringify(version)} (expected e.g. v1.30.6)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function adminOrganization(kubernetesVersion: string): string {
  const v = parseKubernetesVersion(kubernetesVersion);
  if (v.major !== 1) throw new Error(`unsupported Kubernetes major version ${v.major} in ${kubernetesVersion}`);
  return v.minor >= 29 ? KUBEADM_CLUSTER_ADMINS : SYSTEM_MASTERS;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** `https://host:port`, with an IPv6 literal in brackets. */
export function serverUrl(endpoint: Endpoint): string {
  const host = endpoint.host.includes(':') && !endpoint.host.startsWith('[') ? `[${endpoint.host}]` : endpoint.host;
  return `https://${host}:${endpoint.port}`;
}

const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

export interface AdminKubeconfigInput {
  readonly clusterName: string;
  readonly endpoint: Endpoint;
  readonly caCertPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

/** The kubeconfig as a plain object (key order as kubectl writes it). */
export function adminKubeconfig(input: AdminKubeconfigInput): Record<string, unknown> {
  const context = `${ADMIN_USER}@${input.clusterName}`;
  return {
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          'certificate-authority-data': b64(input.caCertPem),
          server: serverUrl(input.endpoint),
        },
        name: input.clusterName,
      },
    ],
    contexts: [{ context: { cluster: input.clusterName, user: ADMIN_USER }, name: context }],
    'current-context': context,
    kind: 'Config',
    preferences: {},
    users: [
      {
        name: ADMIN_USER,
        user: {
          'client-certificate-data': b64(input.clientCertPem),
          'client-key-data': b64(input.clientKeyPem),
        },
      },
    ],
  };
}

export function adminKubeconfigYaml(input: AdminKubeconfigInput): string {
  return toYaml(adminKubeconfig(input));
}

export interface AdminCredentials {
  readonly server: string;
  readonly caCertPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

/** Reads back what adminKubeconfig wrote; throws saying which field is missing or malformed. */
export function parseAdminKubeconfig(text: string): AdminCredentials {
  const doc: unknown = parseYaml(text);
  const field = (path: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') throw new Error(`admin kubeconfig: ${path} is missing or not a string`);
    return v;
  };
  const get = (o: unknown, k: string | number): unknown =>
    o !== null && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined;
  const cluster = get(get(get(doc, 'clusters'), 0), 'cluster');
  const user = get(get(get(doc, 'users'), 0), 'user');
  const unb64 = (path: string, v: unknown): string => {
    const s = field(path, v);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) throw new Error(`admin kubeconfig: ${path} is not base64`);
    return Buffer.from(s, 'base64').toString('utf8');
  };
  return {
    server: field('clusters[0].cluster.server', get(cluster, 'server')),
    caCertPem: unb64('clusters[0].cluster.certificate-authority-data', get(cluster, 'certificate-authority-data')),
    clientCertPem: unb64('users[0].user.client-certificate-data', get(user, 'client-certificate-data')),
    clientKeyPem: unb64('users[0].user.client-key-data', get(user, 'client-key-data')),
  };
}
