/**
 * The forge-free certificate readers, checked against openssl's reading of the same certificates
 * (RSA and ECDSA, CA and client) and against truncated or wrong DER.
 */
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCa, issueClientCert } from '../../src/pki/ca.js';
import {
  certificateIssuerDer,
  certificatePublicKey,
  certificateSpkiDer,
  certificateSubjectDer,
  certificateSubjectKeyId,
  subjectKeyId,
} from '../../src/pki/certificate-fields.js';
import { needTools } from '../helpers/tools.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'kubeseed-certfields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shell pipeline's stdout as bytes (run() returns text; a DER SPKI is not text). */
function sh(script: string, ...args: string[]): Buffer {
  const r = spawnSync('sh', ['-c', script, 'sh', ...args]);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sh -c ${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A field's DER where openssl finds it: the SPKI openssl extracts, or the element asn1parse locates. */
function opensslField(pem: string, field: 'subject' | 'issuer' | 'spki'): Buffer {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, pem);
  if (field === 'spki') return sh('openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der', file);
  // tbsCertificate fields in order: [0] version, serial, signature, issuer, validity, subject.
  const index = field === 'issuer' ? 3 : 5;
  const lines = sh('openssl asn1parse -in "$1"', file).toString('utf8').split('\n');
  const tbsChildren = lines.filter((l) => /^\s*\d+:d=2 /.test(l));
  const m = /^\s*(\d+):d=2\s+hl=\s*(\d+)\s+l=\s*(\d+)/.exec(tbsChildren[index]!)!;
  const [offset, header, length] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return new X509Certificate(pem).raw.subarray(offset, offset + header + length);
}

describe.each(['rsa', 'ecdsa'] as const)('certificate fields (%s) as openssl reads them', (alg) => {
  beforeEach((ctx) => needTools(ctx, 'openssl:openssl'));
  const ca = createCa({ cn: 'kubernetes', keyAlgorithm: alg, now: NOW });
  const client = issueClientCert(ca, { cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'], now: NOW });

  it.each([['CA', ca.cert], ['client', client.cert]])('%s: subject, issuer and SubjectPublicKeyInfo', (_what, pem) => {
    const raw = new X509Certificate(pem).raw;
    expect(certificateSubjectDer(raw).toString('hex')).toBe(opensslField(pem, 'subject').toString('hex'));
    expect(certificateIssuerDer(raw).toString('hex')).toBe(opensslField(pem, 'issuer').toString('hex'));
    expect(certificateSpkiDer(raw).toString('hex')).toBe(opensslField(pem, 'spki').toString('hex'));
    expect(certificatePublicKey(raw).equals(new X509Certificate(pem).publicKey)).toBe(true);
  });

  it('subject key identifier: the extension openssl prints, and the one computed from the key', () => {
    const file = join(dir, `ca-${alg}.pem`);
    writeFileSync(file, ca.cert);
    const printed = sh('openssl x509 -in "$1" -noout -ext subjectKeyIdentifier', file).toString('utf8');
    const hex = /\n\s*([0-9A-F:]+)\n/.exec(printed)![1]!.replaceAll(':', '').toLowerCase();
    const cert = new X509Certificate(ca.cert);
    expect(certificateSubjectKeyId(cert.raw)?.toString('hex')).toBe(hex);
    expect(subjectKeyId(cert.publicKey).toString('hex')).toBe(hex);
    // The cert's extension came from subjectKeyId itself; compute RFC 5280 method (1) independently:
    // SHA-1 over the subjectPublicKey BIT STRING (after its unused-bits byte) where asn1parse finds it.
    const spki = opensslField(ca.cert, 'spki');
    const spkiFile = join(dir, `spki-${alg}.der`);
    writeFileSync(spkiFile, spki);
    const bitString = sh('openssl asn1parse -inform DER -in "$1"', spkiFile).toString('utf8').split('\n').find((l) => /d=1 .*BIT STRING/.test(l))!;
    const m = /^\s*(\d+):d=1\s+hl=\s*(\d+)\s+l=\s*(\d+)/.exec(bitString)!;
    const body = Number(m[1]) + Number(m[2]);
    expect(createHash('sha1').update(spki.subarray(body + 1, body + Number(m[3]))).digest('hex')).toBe(hex);
    expect(certificateSubjectKeyId(new X509Certificate(client.cert).raw)).toBeUndefined();
  });
});

describe('certificate fields refuse what is not a certificate', () => {
  const raw = new X509Certificate(createCa({ cn: 'x', keyAlgorithm: 'ecdsa', now: NOW }).cert).raw;

  it('truncated DER', () => {
    expect(() => certificateSpkiDer(raw.subarray(0, raw.length - 1))).toThrow('DER: element runs past its parent');
  });

  it('bytes after the certificate', () => {
    expect(() => certificateSpkiDer(Buffer.concat([raw, Buffer.from([0])]))).toThrow('DER: bytes after the certificate');
  });

  it('something other than a SEQUENCE', () => {
    expect(() => certificateSubjectDer(Buffer.from([0x04, 0x01, 0x00]))).toThrow('DER: certificate has tag 0x4, expected 0x30');
  });

  it('a SEQUENCE without a tbsCertificate', () => {
    expect(() => certificateIssuerDer(Buffer.from([0x30, 0x00]))).toThrow('DER: tbsCertificate is missing');
  });
});
