/**
 * The cluster's secrets, made once: three CAs, the service-account key pair, the bootstrap token
 * and the operator's admin kubeconfig. This is the only place that makes keys for a cluster;
 * src/state/ stores and reloads what it returns.
 */
import { createCa, issueClientCert, type CertKeyPem } from './ca.js';
import { discoveryHash } from './discovery.js';
import { generateKeyPair, privateKeyPem, publicKeyPem, type KeyAlgorithm } from './keys.js';
import { ADMIN_USER, adminKubeconfigYaml, adminOrganization, type Endpoint } from './kubeconfig.js';
import { defaultRandomBytes, type RandomBytes } from './random.js';
import { generateBootstrapToken, validateTtlSeconds, type BootstrapToken } from './token.js';

export const STATE_FORMAT_VERSION = 1;

/** Common names kubeadm gives its CAs (cmd/kubeadm/app/phases/certs/certlist.go). */
export const CA_COMMON_NAMES = Object.freeze({
  ca: 'kubernetes',
  frontProxyCa: 'front-proxy-ca',
  etcdCa: 'etcd-ca',
});

export interface ServiceAccountKeys {
  /** PEM private key (PKCS#1 for RSA, SEC1 for ECDSA), kubeadm's `sa.key`. */
  readonly key: string;
  /** PEM PKIX public key, kubeadm's `sa.pub`. */
  readonly pub: string;
}

export interface ClusterState {
  readonly formatVersion: typeof STATE_FORMAT_VERSION;
  readonly clusterName: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** ISO 8601 creation time (the `now` it was made with). */
  readonly createdAt: string;
  /** Cluster CA, `ca.crt` / `ca.key`, CN `kubernetes`. */
  readonly ca: CertKeyPem;
  /** `front-proxy-ca.crt` / `.key`, CN `front-proxy-ca`. */
  readonly frontProxyCa: CertKeyPem;
  /** `etcd/ca.crt` / `.key`, CN `etcd-ca`. */
  readonly etcdCa: CertKeyPem;
  readonly serviceAccount: ServiceAccountKeys;
  readonly bootstrapToken: BootstrapToken;
  /** `sha256:<hex>` over ca.crt's SubjectPublicKeyInfo, for `discovery-token-ca-cert-hash`. */
  readonly discoveryHash: string;
  /**
   * `apiserver-etcd-client.crt/.key`, signed by the etcd CA: how the apiservers reach an external
   * etcd. Made with the state (not at compile) so that re-compiles give the same bytes.
   */
  readonly apiserverEtcdClient: CertKeyPem;
  /** admin.conf: YAML kubeconfig with a `kubernetes-admin` client certificate signed by the CA. */
  readonly adminConf: string;
}

export interface CreateClusterStateOptions {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly now: Date;
  /** Bootstrap token lifetime; 0 = never expires. */
  readonly tokenTtlSeconds: number;
  readonly clusterName: string;
  /** Decides admin.conf's group: `system:masters` before 1.29, `kubeadm:cluster-admins` from 1.29. */
  readonly kubernetesVersion: string;
  /** The control-plane endpoint admin.conf points at. */
  readonly endpoint: Endpoint;
  /** Randomness for serial numbers and the token (keys always use node:crypto's CSPRNG). */
  readonly rng?: RandomBytes;
}

function checkOptions(opts: LeafOptions): string {
  if (!opts.clusterName) throw new Error('clusterName must not be empty');
  if (!Number.isInteger(opts.endpoint.port) || opts.endpoint.port < 1 || opts.endpoint.port > 65535) {
    throw new RangeError(`endpoint port must be 1..65535, got ${opts.endpoint.port}`);
  }
  if (Number.isNaN(opts.now.getTime())) throw new RangeError('now is not a valid date');
  return adminOrganization(opts.kubernetesVersion); // fail on a bad version before making keys
}

/**
 * The leaf certificates kubeseed issues from the CAs (kubeadm issues every other one on the
 * nodes): admin.conf's `kubernetes-admin` and `kube-apiserver-etcd-client`, as kubeadm's
 * certlist names it.
 */
function issueLeaves(ca: CertKeyPem, etcdCa: CertKeyPem, opts: LeafOptions, org: string): Pick<ClusterState, 'apiserverEtcdClient' | 'adminConf'> {
  const { now } = opts;
  const rng = opts.rng ?? defaultRandomBytes;
  const admin = issueClientCert(ca, { cn: ADMIN_USER, orgs: [org], now, rng });
  return {
    apiserverEtcdClient: issueClientCert(etcdCa, { cn: 'kube-apiserver-etcd-client', orgs: [], now, rng }),
    adminConf: adminKubeconfigYaml({
      clusterName: opts.clusterName,
      endpoint: opts.endpoint,
      caCertPem: ca.cert,
      clientCertPem: admin.cert,
      clientKeyPem: admin.key,
    }),
  };
}

export function createClusterState(opts: CreateClusterStateOptions): ClusterState {
  validateTtlSeconds(opts.tokenTtlSeconds);
  const org = checkOptions(opts);
  const rng = opts.rng ?? defaultRandomBytes;
  const { keyAlgorithm, now } = opts;

  const ca = createCa({ cn: CA_COMMON_NAMES.ca, keyAlgorithm, now, rng });
  const frontProxyCa = createCa({ cn: CA_COMMON_NAMES.frontProxyCa, keyAlgorithm, now, rng });
  const etcdCa = createCa({ cn: CA_COMMON_NAMES.etcdCa, keyAlgorithm, now, rng });
  const sa = generateKeyPair(keyAlgorithm);
  const leaves = issueLeaves(ca, etcdCa, opts, org);

  return {
    formatVersion: STATE_FORMAT_VERSION,
    clusterName: opts.clusterName,
    keyAlgorithm,
    createdAt: now.toISOString(),
    ca,
    frontProxyCa,
    etcdCa,
    serviceAccount: { key: privateKeyPem(sa.privateKey), pub: publicKeyPem(sa.publicKey) },
    bootstrapToken: generateBootstrapToken({ now, ttlSeconds: opts.tokenTtlSeconds, rng }),
    discoveryHash: discoveryHash(ca.cert),
    ...leaves,
  };
}

/** What re-issuing the leaf certificates needs: the names and endpoint admin.conf carries. */
export type LeafOptions = Omit<CreateClusterStateOptions, 'keyAlgorithm' | 'tokenTtlSeconds'>;

/**
 * The state with its leaf certificates (admin.conf's client certificate and
 * apiserver-etcd-client) issued again from the same CAs, with new keys and a validity counted
 * from `now`. Everything else, the CAs above all, stays as it is: nodes already running keep
 * trusting what they trust.
 */
export function renewLeafCertificates(state: ClusterState, opts: LeafOptions): ClusterState {
  const org = checkOptions(opts);
  return { ...state, ...issueLeaves(state.ca, state.etcdCa, opts, org) };
}

/**
 * The state with a new bootstrap token, for nodes that join after the first one expired. Its
 * expiry counts from `now`, when the operator registers it with `kubeadm token create`.
 */
export function withNewBootstrapToken(state: ClusterState, opts: { now: Date; ttlSeconds: number; rng?: RandomBytes }): ClusterState {
  validateTtlSeconds(opts.ttlSeconds);
  return { ...state, bootstrapToken: generateBootstrapToken({ now: opts.now, ttlSeconds: opts.ttlSeconds, rng: opts.rng ?? defaultRandomBytes }) };
}
