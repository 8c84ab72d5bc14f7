/**
 * Reads fields out of DER certificates and SubjectPublicKeyInfos by walking their TLVs, without
 * node-forge: reading a certificate is on every compile's path (the discovery hash), and loading
 * forge there cost more than the whole state check. Each field comes back exactly as encoded in
 * its certificate — a slice of the DER, never a re-encoding.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

const SEQUENCE = 0x30;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
/** [0] EXPLICIT version and [3] EXPLICIT extensions of a TBSCertificate (context-specific, constructed). */
const VERSION_TAG = 0xa0;
const EXTENSIONS_TAG = 0xa3;
/** DER of OID 2.5.29.14 (subjectKeyIdentifier), without tag and length. */
const SUBJECT_KEY_ID_OID = Buffer.from([0x55, 0x1d, 0x0e]);

interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly body: number;
  /** Offset just past the content. */
  readonly end: number;
}

function readTlv(der: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('DER: truncated element');
  const tag = der[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in certificates');
  let len = der[pos + 1]!;
  let body = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i]!;
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new Error('DER: element runs past its parent');
  return { tag, start: pos, body, end };
}

function expectTag(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) throw new Error(`DER: ${what} has tag 0x${t.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return t;
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.body; pos < parent.end;) {
    const t = readTlv(der, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

function nth(list: readonly Tlv[], i: number, tag: number, what: string): Tlv {
  const t = list[i];
  if (!t) throw new Error(`DER: ${what} is missing`);
  return expectTag(t, tag, what);
}

function whole(der: Uint8Array, tag: number, what: string): Tlv {
  const t = expectTag(readTlv(der, 0, der.length), tag, what);
  if (t.end !== der.length) throw new Error(`DER: bytes after the ${what}`);
  return t;
}

const slice = (der: Uint8Array, t: Tlv): Buffer => Buffer.from(der.subarray(t.start, t.end));
const content = (der: Uint8Array, t: Tlv): Buffer => Buffer.from(der.subarray(t.body, t.end));

/** The TBSCertificate's fields, and where serialNumber is (after the optional [0] version). */
function tbsFields(certDer: Uint8Array): { fields: Tlv[]; offset: number } {
  const cert = whole(certDer, SEQUENCE, 'certificate');
  const tbs = nth(children(certDer, cert), 0, SEQUENCE, 'tbsCertificate');
  const fields = children(certDer, tbs);
  // A v3 certificate starts with the explicit [0] version; v1 ones have none.
  const offset = fields[0]?.tag === VERSION_TAG ? 1 : 0;
  return { fields, offset };
}

/** The certificate's issuer Name, DER-encoded as it appears in the certificate. */
export function certificateIssuerDer(certDer: Uint8Array): Buffer {
  const { fields, offset } = tbsFields(certDer);
  return slice(certDer, nth(fields, offset + 2, SEQUENCE, 'issuer'));
}

/** The certificate's subject Name, DER-encoded as it appears in the certificate. */
export function certificateSubjectDer(certDer: Uint8Array): Buffer {
  const { fields, offset } = tbsFields(certDer);
  return slice(certDer, nth(fields, offset + 4, SEQUENCE, 'subject'));
}

/**
 * The certificate's SubjectPublicKeyInfo exactly as encoded in it (what kubeadm hashes for
 * discovery-token-ca-cert-hash: x509.Certificate.RawSubjectPublicKeyInfo).
 */
export function certificateSpkiDer(certDer: Uint8Array): Buffer {
  const { fields, offset } = tbsFields(certDer);
  return slice(certDer, nth(fields, offset + 5, SEQUENCE, 'subjectPublicKeyInfo'));
}

/** Public key of a certificate's subject (node:crypto parses both RSA and EC SPKIs). */
export function certificatePublicKey(certDer: Uint8Array): KeyObject {
  return createPublicKey({ key: certificateSpkiDer(certDer), format: 'der', type: 'spki' });
}

/** The subjectKeyIdentifier extension's key id, if the certificate has one. */
export function certificateSubjectKeyId(certDer: Uint8Array): Buffer | undefined {
  const { fields } = tbsFields(certDer);
  const wrapper = fields.find((f) => f.tag === EXTENSIONS_TAG);
  if (!wrapper) return undefined;
  const list = nth(children(certDer, wrapper), 0, SEQUENCE, 'extensions');
  for (const ext of children(certDer, list)) {
    // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const parts = children(certDer, expectTag(ext, SEQUENCE, 'extension'));
    const id = nth(parts, 0, OID, 'extnID');
    if (!content(certDer, id).equals(SUBJECT_KEY_ID_OID)) continue;
    const value = content(certDer, nth(parts, parts.length - 1, OCTET_STRING, 'extnValue'));
    // SubjectKeyIdentifier ::= KeyIdentifier ::= OCTET STRING
    return content(value, whole(value, OCTET_STRING, 'subjectKeyIdentifier'));
  }
  return undefined;
}

/**
 * Subject key identifier by RFC 5280 4.2.1.2 method (1), as Go computes it: SHA-1 over the
 * subjectPublicKey BIT STRING's bits (its content after the unused-bits byte).
 */
export function subjectKeyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const parts = children(spki, whole(spki, SEQUENCE, 'subjectPublicKeyInfo'));
  const bits = nth(parts, 1, BIT_STRING, 'subjectPublicKey');
  return createHash('sha1').update(spki.subarray(bits.body + 1, bits.end)).digest();
}
