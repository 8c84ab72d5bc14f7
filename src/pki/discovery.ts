/**
 * kubeadm's CA pinning for token discovery (`--discovery-token-ca-cert-hash`): `sha256:` and the
 * hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo (cmd/kubeadm/app/util/pubkeypin).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { certificateSpkiDer } from './certificate-fields.js';

export function discoveryHash(caCertPem: string): string {
  const der = new X509Certificate(caCertPem).raw;
  return `sha256:${createHash('sha256').update(certificateSpkiDer(der)).digest('hex')}`;
}
