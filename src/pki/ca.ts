/**
 * Certificate authorities and the client certificates they sign, with the fields and extensions
 * kubeadm gives its own (cmd/kubeadm/app/util/pkiutil/pki_helpers.go and client-go's
 * util/cert NewSelfSignedCACert):
 *  - CA: keyUsage digitalSignature, keyEncipherment, keyCertSign (critical); basicConstraints
 *    CA:TRUE (critical); subjectKeyIdentifier; SAN DNS:<CN>; notBefore backdated 5 minutes
 *    (kubeadm CertificateBackdate); notAfter now + 10 × 365 days (CACertificateValidityPeriod).
 *  - client: keyUsage digitalSignature, keyEncipherment (critical); extKeyUsage clientAuth;
 *    basicConstraints CA:FALSE (critical); authorityKeyIdentifier; notBefore = the CA's
 *    notBefore (as kubeadm's NewSignedCert); notAfter now + 365 days (CertificateValidityPeriod),
 *    never past the CA's own notAfter.
 */
import { X509Certificate } from 'node:crypto';
import { generateKeyPair, keyAlgorithmOf, parsePrivateKeyPem, privateKeyPem, isKeyPair, type KeyAlgorithm } from './keys.js';
import { defaultRandomBytes, type RandomBytes } from './random.js';
import { randomSerial } from './serial.js';
import { certificateSubjectDer, certificateSubjectKeyId, subjectKeyId } from './certificate-fields.js';
import { buildCertificate, derToPem } from './x509.js';

/** A certificate and its private key, both PEM text exactly as stored on disk. */
export interface CertKeyPem {
  readonly cert: string;
  readonly key: string;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
export const CERTIFICATE_BACKDATE_MS = 5 * MINUTE;
export const CA_VALIDITY_MS = 10 * 365 * DAY;
export const CERT_VALIDITY_MS = 365 * DAY;

export interface CaOptions {
  readonly cn: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly now: Date;
  readonly rng?: RandomBytes;
}

/** A self-signed CA as kubeadm makes `ca`, `front-proxy-ca` and `etcd/ca`. */
export function createCa(opts: CaOptions): CertKeyPem {
  const { privateKey, publicKey } = generateKeyPair(opts.keyAlgorithm);
  const name = { cn: opts.cn };
  const der = buildCertificate({
    serial: randomSerial(opts.rng ?? defaultRandomBytes),
    subject: name,
    issuer: name,
    notBefore: new Date(opts.now.getTime() - CERTIFICATE_BACKDATE_MS),
    notAfter: new Date(opts.now.getTime() + CA_VALIDITY_MS),
    isCA: true,
    dnsNames: [opts.cn],
    subjectPublicKey: publicKey,
    signingKey: privateKey,
  });
  return { cert: derToPem(der), key: privateKeyPem(privateKey) };
}

export interface ClientCertOptions {
  readonly cn: string;
  /** Subject organizations: Kubernetes reads them as the user's groups. */
  readonly orgs: readonly string[];
  readonly now: Date;
  /** Key type of the new certificate; defaults to the CA key's type. */
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly rng?: RandomBytes;
}

/**
 * A client certificate (extKeyUsage clientAuth) signed by `ca`, e.g. `kubernetes-admin` for
 * admin.conf or `kube-apiserver-etcd-client` for an external etcd. Returns a new PEM pair.
 */
export function issueClientCert(ca: CertKeyPem, opts: ClientCertOptions): CertKeyPem {
  const caCert = new X509Certificate(ca.cert);
  const caKey = parsePrivateKeyPem(ca.key);
  if (!caCert.ca) throw new Error(`issuer certificate ${caCert.subject} is not a CA`);
  if (!isKeyPair(caKey, caCert.publicKey)) throw new Error(`CA key does not match CA certificate ${caCert.subject}`);
  const { privateKey, publicKey } = generateKeyPair(opts.keyAlgorithm ?? keyAlgorithmOf(caKey));
  const caNotAfter = new Date(caCert.validTo).getTime();
  const der = buildCertificate({
    serial: randomSerial(opts.rng ?? defaultRandomBytes),
    subject: { cn: opts.cn, orgs: opts.orgs },
    issuer: { der: certificateSubjectDer(caCert.raw) },
    notBefore: new Date(caCert.validFrom),
    notAfter: new Date(Math.min(opts.now.getTime() + CERT_VALIDITY_MS, caNotAfter)),
    isCA: false,
    clientAuth: true,
    subjectPublicKey: publicKey,
    // Go copies the issuer's own SKI extension; computing it is the fallback for CAs without one.
    authorityKeyId: certificateSubjectKeyId(caCert.raw) ?? subjectKeyId(caCert.publicKey),
    signingKey: caKey,
  });
  return { cert: derToPem(der), key: privateKeyPem(privateKey) };
}
