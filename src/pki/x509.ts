/**
 * X.509 certificates: node-forge builds the ASN.1 (names, validity, extensions, DER), node:crypto
 * signs. node-forge cannot sign with ECDSA at all (it has no EC curves and no ecdsa-with-SHA256
 * signer), and node:crypto can sign but cannot build certificates, so the TBSCertificate is
 * assembled here from forge's own encoders and signed by node:crypto for both RSA and ECDSA
 * P-256 — one code path, checked with `openssl verify` for both algorithms. Reading certificates
 * needs no forge (certificate-fields.ts).
 */
import { sign, type KeyObject } from 'node:crypto';
import type Forge from 'node-forge';
import { subjectKeyId } from './certificate-fields.js';
import { loadForge } from './forge.js';
import { keyAlgorithmOf, spkiDer } from './keys.js';

type Asn1 = Forge.asn1.Asn1;

let forgeModule: typeof Forge | undefined;

/** node-forge, loaded on the first certificate made (forge.ts). */
function forge(): typeof Forge {
  forgeModule ??= loadForge();
  return forgeModule;
}

/** Signature algorithms as kubeadm (Go's crypto/x509) picks them for RSA and P-256 keys. */
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';

export interface Name {
  readonly cn: string;
  readonly orgs?: readonly string[];
}

export interface CertificateSpec {
  /** Positive serial, big-endian bytes, first byte in 0x01..0x7f (so the DER INTEGER is minimal). */
  readonly serial: Uint8Array;
  readonly subject: Name;
  /** A Name, or the issuer certificate's subject copied byte for byte (its DER). */
  readonly issuer: Name | { readonly der: Uint8Array };
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  /** DNS subject alternative names (kubeadm's CAs carry their own CN as one). */
  readonly dnsNames?: readonly string[];
  /** Extended key usages; only clientAuth is needed for the certificates made here. */
  readonly clientAuth?: boolean;
  readonly subjectPublicKey: KeyObject;
  /** Issuer's subject key identifier, for the authorityKeyIdentifier of a non-self-signed cert. */
  readonly authorityKeyId?: Uint8Array;
  readonly signingKey: KeyObject;
}

const bin = (b: Uint8Array): string => Buffer.from(b).toString('binary');
const bytes = (s: string): Buffer => Buffer.from(s, 'binary');

function seq(value: Asn1[]): Asn1 {
  const { asn1 } = forge();
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
}

function oid(id: string): Asn1 {
  const { asn1 } = forge();
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
}

/** Go's rule: PrintableString when every character allows it, UTF8String otherwise. */
function nameAttribute(type: string, value: string) {
  const { asn1 } = forge();
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  return { type, value, valueTagClass: printable ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8 };
}

/** Organization(s) before CN, one RDN each: the order Go's pkix.Name produces. */
function nameToAsn1(name: Name): Asn1 {
  const attributes = [...(name.orgs ?? []).map((o) => nameAttribute(OID_O, o)), nameAttribute(OID_CN, name.cn)];
  return forge().pki.distinguishedNameToAsn1({ attributes } as never);
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function timeToAsn1(date: Date): Asn1 {
  const { asn1 } = forge();
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** Parses DER without forge's habit of decoding BIT STRING contents, so re-encoding is exact. */
function parseDer(der: Uint8Array): Asn1 {
  const { asn1 } = forge();
  return asn1.fromDer(forge().util.createBuffer(bin(der)), { decodeBitStrings: false } as never);
}

function toDer(node: Asn1): Buffer {
  const { asn1 } = forge();
  return bytes(asn1.toDer(node).getBytes());
}

function signatureAlgorithm(signingKey: KeyObject): Asn1 {
  const { asn1 } = forge();
  return keyAlgorithmOf(signingKey) === 'rsa'
    ? seq([oid(SHA256_WITH_RSA), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')])
    : seq([oid(ECDSA_WITH_SHA256)]); // RFC 5758 3.2: parameters absent
}

function extensions(spec: CertificateSpec): Asn1 {
  const { asn1 } = forge();
  const list: object[] = [
    {
      name: 'keyUsage',
      critical: true,
      digitalSignature: true,
      keyEncipherment: true,
      keyCertSign: spec.isCA,
    },
  ];
  if (spec.clientAuth) list.push({ name: 'extKeyUsage', clientAuth: true });
  list.push({ name: 'basicConstraints', critical: true, cA: spec.isCA });
  if (spec.isCA) {
    const ski = subjectKeyId(spec.subjectPublicKey);
    list.push({
      id: '2.5.29.14',
      name: 'subjectKeyIdentifier',
      value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bin(ski)),
    });
  }
  if (spec.authorityKeyId) {
    list.push({
      id: '2.5.29.35',
      name: 'authorityKeyIdentifier',
      value: seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(spec.authorityKeyId))]),
    });
  }
  if (spec.dnsNames?.length) {
    list.push({ name: 'subjectAltName', altNames: spec.dnsNames.map((value) => ({ type: 2, value })) });
  }
  // forge fills in each extension's encoded value; only its certificate object exposes that step.
  const holder = forge().pki.createCertificate();
  holder.setExtensions(list as never);
  // Exported by node-forge's x509.js, absent from @types/node-forge.
  const pki = forge().pki as unknown as { certificateExtensionsToAsn1(exts: unknown): Asn1 };
  return pki.certificateExtensionsToAsn1(holder.extensions);
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(spec: CertificateSpec): Buffer {
  const { asn1 } = forge();
  const s = spec.serial;
  if (s.length === 0 || s.length > 20 || s[0]! === 0 || s[0]! > 0x7f) {
    throw new RangeError('serial must be 1..20 bytes, positive, without a leading zero byte');
  }
  const sigAlg = signatureAlgorithm(spec.signingKey);
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(2)), // v3
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bin(s)),
    sigAlg,
    'der' in spec.issuer ? parseDer(spec.issuer.der) : nameToAsn1(spec.issuer),
    seq([timeToAsn1(wholeSeconds(spec.notBefore)), timeToAsn1(wholeSeconds(spec.notAfter))]),
    nameToAsn1(spec.subject),
    parseDer(spkiDer(spec.subjectPublicKey)),
    extensions(spec),
  ]);
  const tbsDer = toDer(tbs);
  // RSA: PKCS#1 v1.5; ECDSA: DER-encoded (r, s) — what both signature algorithm OIDs expect.
  const signature = sign('sha256', tbsDer, spec.signingKey);
  const cert = seq([
    tbs,
    signatureAlgorithm(spec.signingKey),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${bin(signature)}`),
  ]);
  return toDer(cert);
}

export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
