import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCa, issueClientCert } from '../../src/pki/ca.js';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { certificateIssuerDer, certificateSubjectDer } from '../../src/pki/certificate-fields.js';
import { isEncodedAs } from './pem-encoding.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('issueClientCert', () => {
  const ca = createCa({ cn: 'etcd-ca', keyAlgorithm: 'ecdsa', now: NOW });

  it('copies the issuer name byte for byte from the CA subject', () => {
    const c = new X509Certificate(issueClientCert(ca, { cn: 'x', orgs: ['a', 'b'], now: NOW }).cert);
    const caCert = new X509Certificate(ca.cert);
    expect(c.issuer).toBe(caCert.subject);
    expect(c.subject).toBe('O=a\nO=b\nCN=x');
    expect(certificateIssuerDer(c.raw).toString('hex')).toBe(certificateSubjectDer(caCert.raw).toString('hex'));
    expect(certificateSubjectDer(c.raw).toString('hex')).not.toBe(certificateSubjectDer(caCert.raw).toString('hex'));
    expect(c.checkIssued(caCert)).toBe(true);
  });

  it('never outlives its CA', () => {
    const late = new Date('2036-01-01T00:00:00.000Z');
    const c = new X509Certificate(issueClientCert(ca, { cn: 'x', orgs: [], now: late }).cert);
    expect(new Date(c.validTo).toISOString()).toBe('2036-02-27T12:00:00.000Z');
    expect(new Date(c.validTo).toISOString()).toBe(new Date(new X509Certificate(ca.cert).validTo).toISOString());
  });

  it('uses the CA key type unless told otherwise', () => {
    expect(isEncodedAs(issueClientCert(ca, { cn: 'x', orgs: [], now: NOW }).key, 'sec1')).toBe(true);
    expect(isEncodedAs(issueClientCert(ca, { cn: 'x', orgs: [], now: NOW, keyAlgorithm: 'rsa' }).key, 'pkcs1')).toBe(true);
  });

  it('encodes a non-PrintableString name as UTF8String and keeps it intact', () => {
    const c = new X509Certificate(issueClientCert(ca, { cn: 'ops_ünïcode', orgs: ['grp*1'], now: NOW }).cert);
    expect(c.subject).toBe('O=grp*1\nCN=ops_ünïcode');
  });

  it('refuses a CA key that does not belong to the CA certificate', () => {
    const other = createCa({ cn: 'other', keyAlgorithm: 'ecdsa', now: NOW });
    expect(() => issueClientCert({ cert: ca.cert, key: other.key }, { cn: 'x', orgs: [], now: NOW })).toThrow(
      'CA key does not match CA certificate CN=etcd-ca',
    );
  });

  it('refuses to sign with a certificate that is not a CA', () => {
    const leaf = issueClientCert(ca, { cn: 'leaf', orgs: [], now: NOW });
    expect(() => issueClientCert(leaf, { cn: 'x', orgs: [], now: NOW })).toThrow('issuer certificate CN=leaf is not a CA');
  });
});

describe('createClusterState input checks', () => {
  const base = {
    keyAlgorithm: 'ecdsa',
    now: NOW,
    tokenTtlSeconds: 0,
    clusterName: 'demo',
    kubernetesVersion: 'v1.30.6',
    endpoint: { host: 'h', port: 6443 },
  } as const;
  it.each([
    [{ clusterName: '' }, 'clusterName must not be empty'],
    [{ endpoint: { host: 'h', port: 0 } }, 'endpoint port must be 1..65535, got 0'],
    [{ tokenTtlSeconds: -5 }, 'token ttl must be a whole number of seconds >= 0 (0 = never expires), got -5'],
    [{ now: new Date('nope') }, 'now is not a valid date'],
    [{ kubernetesVersion: 'v2.0.0' }, 'unsupported Kubernetes major version 2 in v2.0.0'],
  ])('%o → %s', (override, message) => {
    expect(() => createClusterState({ ...base, ...override })).toThrow(message);
  });
});
