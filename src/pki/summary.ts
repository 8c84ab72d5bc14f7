/**
 * What `kubeseed state show` prints: for each certificate its SHA-256 fingerprint, validity,
 * days left and subject; the token's public id (never the secret) and expiry. Pure: takes a
 * ClusterState and the time to count days left from.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ClusterState } from './cluster-state.js';
import type { KeyAlgorithm } from './keys.js';
import { daysLeft, stateCertificates } from './expiry.js';
import { parsePublicKeyPem, spkiDer } from './keys.js';
import { tokenId } from './token.js';

export interface CertificateRow {
  /** File in the state directory the certificate lives in. */
  readonly name: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
  readonly sha256: string;
  /** ISO 8601. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** Whole days until notAfter from the time given (negative once expired). */
  readonly daysLeft: number;
  /** e.g. `O=kubeadm:cluster-admins, CN=kubernetes-admin`. */
  readonly subject: string;
}

export interface StateSummary {
  readonly clusterName: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly createdAt: string;
  readonly certificates: readonly CertificateRow[];
  /** SHA-256 (hex) of sa.pub's DER SubjectPublicKeyInfo. */
  readonly serviceAccountKeySha256: string;
  readonly discoveryHash: string;
  readonly token: { readonly id: string; readonly ttlSeconds: number; readonly expires: string | null };
}

function row(name: string, pem: string, now: Date): CertificateRow {
  const c = new X509Certificate(pem);
  const notAfter = new Date(c.validTo);
  return {
    name,
    sha256: c.fingerprint256,
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
    subject: c.subject.split('\n').join(', '),
  };
}

export function stateSummary(state: ClusterState, now: Date): StateSummary {
  return {
    clusterName: state.clusterName,
    keyAlgorithm: state.keyAlgorithm,
    createdAt: state.createdAt,
    certificates: stateCertificates(state).map((c) => row(c.name, c.pem, now)),
    serviceAccountKeySha256: createHash('sha256').update(spkiDer(parsePublicKeyPem(state.serviceAccount.pub))).digest('hex'),
    discoveryHash: state.discoveryHash,
    token: {
      id: tokenId(state.bootstrapToken.token),
      ttlSeconds: state.bootstrapToken.ttlSeconds,
      expires: state.bootstrapToken.expires,
    },
  };
}
