/**
 * Turns the text of a state directory's files back into a ClusterState, checking everything that
 * can be checked without the network: each file parses, each key matches its certificate or
 * public key, the CAs are self-signed CAs with kubeadm's names, admin.conf's certificate was
 * signed by ca.crt, and state.json agrees with the files. The first problem is thrown as a
 * StateFileError naming the file.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { CertKeyPem } from '../pki/ca.js';
import { CA_COMMON_NAMES, STATE_FORMAT_VERSION, type ClusterState } from '../pki/cluster-state.js';
import { discoveryHash } from '../pki/discovery.js';
import { isKeyPair, keyAlgorithmOf, parsePrivateKeyPem, parsePublicKeyPem, type KeyAlgorithm } from '../pki/keys.js';
import { parseAdminKubeconfig } from '../pki/kubeconfig.js';
import { BOOTSTRAP_TOKEN_PATTERN } from '../pki/token.js';
import { StateFileError } from './errors.js';
import type { StateFileName } from './layout.js';

type Files = Readonly<Record<StateFileName, string>>;

class Checker {
  constructor(private readonly pathOf: (file: StateFileName) => string) {}

  fail(file: StateFileName, detail: string, cause?: unknown): never {
    throw new StateFileError({ file, path: this.pathOf(file), problem: 'invalid', detail, cause });
  }

  /** Runs `fn`; any exception becomes an 'invalid' error for `file`. */
  attempt<T>(file: StateFileName, what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StateFileError) throw e;
      return this.fail(file, `${what}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  }
}

interface ParsedDocument {
  formatVersion: typeof STATE_FORMAT_VERSION;
  clusterName: string;
  keyAlgorithm: KeyAlgorithm;
  createdAt: string;
  discoveryHash: string;
  token: string;
  ttlSeconds: number;
  expires: string | null;
}

function isIsoDate(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;
}

function parseDocument(c: Checker, text: string): ParsedDocument {
  const doc = c.attempt('state.json', 'not JSON', () => JSON.parse(text) as unknown);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) c.fail('state.json', 'not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.formatVersion !== STATE_FORMAT_VERSION) {
    c.fail('state.json', `formatVersion ${JSON.stringify(d.formatVersion)} is not supported (this kubeseed reads ${STATE_FORMAT_VERSION})`);
  }
  if (typeof d.clusterName !== 'string' || d.clusterName === '') c.fail('state.json', 'clusterName must be a non-empty string');
  if (d.keyAlgorithm !== 'rsa' && d.keyAlgorithm !== 'ecdsa') c.fail('state.json', 'keyAlgorithm must be "rsa" or "ecdsa"');
  if (!isIsoDate(d.createdAt)) c.fail('state.json', 'createdAt must be an ISO 8601 UTC time');
  if (typeof d.discoveryHash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.discoveryHash)) {
    c.fail('state.json', 'discoveryHash must be sha256:<64 hex digits>');
  }
  const t = d.bootstrapToken as Record<string, unknown> | null | undefined;
  if (t === null || typeof t !== 'object') c.fail('state.json', 'bootstrapToken must be an object');
  if (typeof t.token !== 'string' || !BOOTSTRAP_TOKEN_PATTERN.test(t.token)) {
    c.fail('state.json', 'bootstrapToken.token must match [a-z0-9]{6}.[a-z0-9]{16}');
  }
  if (typeof t.ttlSeconds !== 'number' || !Number.isSafeInteger(t.ttlSeconds) || t.ttlSeconds < 0) {
    c.fail('state.json', 'bootstrapToken.ttlSeconds must be a whole number >= 0');
  }
  if (t.ttlSeconds === 0 ? t.expires !== null : !isIsoDate(t.expires)) {
    c.fail('state.json', 'bootstrapToken.expires must be null when ttlSeconds is 0 and an ISO 8601 UTC time otherwise');
  }
  return {
    formatVersion: STATE_FORMAT_VERSION,
    clusterName: d.clusterName as string,
    keyAlgorithm: d.keyAlgorithm as KeyAlgorithm,
    createdAt: d.createdAt as string,
    discoveryHash: d.discoveryHash as string,
    token: t.token as string,
    ttlSeconds: t.ttlSeconds as number,
    expires: t.expires as string | null,
  };
}

function parseKey(c: Checker, file: StateFileName, pem: string, alg: KeyAlgorithm): KeyObject {
  const key = c.attempt(file, 'not a PEM private key', () => parsePrivateKeyPem(pem));
  const actual = c.attempt(file, 'unsupported key', () => keyAlgorithmOf(key));
  if (actual !== alg) c.fail(file, `holds an ${actual} key but state.json says keyAlgorithm ${alg}`);
  return key;
}

function parseCa(c: Checker, certFile: StateFileName, keyFile: StateFileName, pair: CertKeyPem, cn: string, alg: KeyAlgorithm): X509Certificate {
  const cert = c.attempt(certFile, 'not a PEM certificate', () => new X509Certificate(pair.cert));
  if (cert.subject !== `CN=${cn}`) c.fail(certFile, `subject is ${JSON.stringify(cert.subject)}, expected CN=${cn}`);
  if (!cert.ca) c.fail(certFile, 'is not a CA certificate (basicConstraints CA:TRUE missing)');
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey)) c.fail(certFile, 'is not self-signed');
  const key = parseKey(c, keyFile, pair.key, alg);
  if (!isKeyPair(key, cert.publicKey)) c.fail(keyFile, `does not match ${certFile}`);
  return cert;
}

/** Builds the ClusterState from file texts; `pathOf` names files in errors. */
export function stateFromFiles(files: Files, pathOf: (file: StateFileName) => string): ClusterState {
  const c = new Checker(pathOf);
  const doc = parseDocument(c, files['state.json']);
  const alg = doc.keyAlgorithm;

  const ca = { cert: files['ca.crt'], key: files['ca.key'] };
  const frontProxyCa = { cert: files['front-proxy-ca.crt'], key: files['front-proxy-ca.key'] };
  const etcdCa = { cert: files['etcd/ca.crt'], key: files['etcd/ca.key'] };
  const caCert = parseCa(c, 'ca.crt', 'ca.key', ca, CA_COMMON_NAMES.ca, alg);
  parseCa(c, 'front-proxy-ca.crt', 'front-proxy-ca.key', frontProxyCa, CA_COMMON_NAMES.frontProxyCa, alg);
  const etcdCaCert = parseCa(c, 'etcd/ca.crt', 'etcd/ca.key', etcdCa, CA_COMMON_NAMES.etcdCa, alg);

  const hash = discoveryHash(ca.cert);
  if (hash !== doc.discoveryHash) {
    c.fail('ca.crt', `its public key hash ${hash} differs from the discoveryHash ${doc.discoveryHash} recorded in state.json (was ca.crt replaced?)`);
  }

  const saKey = parseKey(c, 'sa.key', files['sa.key'], alg);
  const saPub = c.attempt('sa.pub', 'not a PEM public key', () => parsePublicKeyPem(files['sa.pub']));
  if (!isKeyPair(saKey, saPub)) c.fail('sa.pub', 'does not match sa.key');

  const admin = c.attempt('admin.conf', 'not a kubeconfig', () => parseAdminKubeconfig(files['admin.conf']));
  if (admin.caCertPem !== ca.cert) c.fail('admin.conf', 'its certificate-authority-data is not ca.crt');
  const adminCert = c.attempt('admin.conf', 'client-certificate-data is not a certificate', () => new X509Certificate(admin.clientCertPem));
  if (!adminCert.checkIssued(caCert) || !adminCert.verify(caCert.publicKey)) {
    c.fail('admin.conf', 'its client certificate was not signed by ca.crt');
  }
  const adminKey = c.attempt('admin.conf', 'client-key-data is not a private key', () => parsePrivateKeyPem(admin.clientKeyPem));
  if (!isKeyPair(adminKey, adminCert.publicKey)) c.fail('admin.conf', 'its client key does not match its client certificate');

  const etcdClient = { cert: files['apiserver-etcd-client.crt'], key: files['apiserver-etcd-client.key'] };
  const etcdClientCert = c.attempt('apiserver-etcd-client.crt', 'not a certificate', () => new X509Certificate(etcdClient.cert));
  if (!etcdClientCert.checkIssued(etcdCaCert) || !etcdClientCert.verify(etcdCaCert.publicKey)) {
    c.fail('apiserver-etcd-client.crt', 'was not signed by etcd/ca.crt');
  }
  const etcdClientKey = c.attempt('apiserver-etcd-client.key', 'not a private key', () => parsePrivateKeyPem(etcdClient.key));
  if (!isKeyPair(etcdClientKey, etcdClientCert.publicKey)) c.fail('apiserver-etcd-client.key', 'does not match apiserver-etcd-client.crt');

  return {
    formatVersion: doc.formatVersion,
    clusterName: doc.clusterName,
    keyAlgorithm: alg,
    createdAt: doc.createdAt,
    ca,
    frontProxyCa,
    etcdCa,
    serviceAccount: { key: files['sa.key'], pub: files['sa.pub'] },
    bootstrapToken: { token: doc.token, ttlSeconds: doc.ttlSeconds, expires: doc.expires },
    discoveryHash: hash,
    apiserverEtcdClient: etcdClient,
    adminConf: files['admin.conf'],
  };
}
