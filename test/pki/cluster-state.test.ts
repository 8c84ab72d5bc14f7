/**
 * The cluster's secrets checked with the real tool, openssl: chains verify, CAs carry kubeadm's
 * extensions, the discovery hash is what `kubeadm token create --print-join-command` would print,
 * and admin.conf's embedded credentials belong together. Both key algorithms.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CertKeyPem } from '../../src/pki/ca.js';
import { createClusterState, type ClusterState } from '../../src/pki/cluster-state.js';
import type { KeyAlgorithm } from '../../src/pki/keys.js';
import { parseAdminKubeconfig } from '../../src/pki/kubeconfig.js';
import { stateSummary } from '../../src/pki/summary.js';
import { needTools, run } from '../helpers/tools.js';
import { seededRng } from './seeded-rng.js';
import { isEncodedAs } from './pem-encoding.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function openssl(args: readonly string[], input?: string): string {
  const r = run('openssl', args, input === undefined ? {} : { input });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface Fixture {
  state: ClusterState;
  dir: string;
  etcdClient: CertKeyPem;
  path: (name: string) => string;
}

function writeFixture(alg: KeyAlgorithm, root: string): Fixture {
  const state = createClusterState({
    keyAlgorithm: alg,
    now: NOW,
    tokenTtlSeconds: 86400,
    clusterName: 'demo',
    kubernetesVersion: 'v1.30.6',
    endpoint: { host: 'apiserver.cluster.local', port: 6443 },
    rng: seededRng(`cluster-state-${alg}`),
  });
  // createClusterState makes it with issueClientCert(state.etcdCa, ...).
  const etcdClient = state.apiserverEtcdClient;
  const dir = join(root, alg);
  mkdirSync(join(dir, 'etcd'), { recursive: true });
  const admin = parseAdminKubeconfig(state.adminConf);
  const files: Record<string, string> = {
    'ca.crt': state.ca.cert,
    'ca.key': state.ca.key,
    'front-proxy-ca.crt': state.frontProxyCa.cert,
    'front-proxy-ca.key': state.frontProxyCa.key,
    'etcd/ca.crt': state.etcdCa.cert,
    'etcd/ca.key': state.etcdCa.key,
    'sa.key': state.serviceAccount.key,
    'sa.pub': state.serviceAccount.pub,
    'admin.conf': state.adminConf,
    'admin.crt': admin.clientCertPem,
    'admin.key': admin.clientKeyPem,
    'apiserver-etcd-client.crt': etcdClient.cert,
    'apiserver-etcd-client.key': etcdClient.key,
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  return { state, dir, etcdClient, path: (name) => join(dir, name) };
}

let root: string;
const fixtures = {} as Record<KeyAlgorithm, Fixture>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kubeseed-pki-'));
  fixtures.rsa = writeFixture('rsa', root);
  fixtures.ecdsa = writeFixture('ecdsa', root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CAS = [
  { file: 'ca.crt', key: 'ca.key', cn: 'kubernetes' },
  { file: 'front-proxy-ca.crt', key: 'front-proxy-ca.key', cn: 'front-proxy-ca' },
  { file: 'etcd/ca.crt', key: 'etcd/ca.key', cn: 'etcd-ca' },
] as const;

const EXPECTED = {
  rsa: {
    sigAlg: 'sha256WithRSAEncryption',
    keyEncoding: 'pkcs1',
    keyCheck: ['rsa', '-check', '-noout'],
    keyCheckOut: 'RSA key ok\n',
    publicKeyLine: 'Public-Key: (2048 bit)',
  },
  ecdsa: {
    sigAlg: 'ecdsa-with-SHA256',
    keyEncoding: 'sec1',
    keyCheck: ['ec', '-check', '-noout'],
    keyCheckOut: '',
    publicKeyLine: 'Public-Key: (256 bit)',
  },
} as const;

describe.each(['rsa', 'ecdsa'] as const)('createClusterState (%s) checked by openssl', (alg) => {
  beforeEach((ctx) => needTools(ctx, 'openssl:openssl'));
  const fx = () => fixtures[alg];

  it.each(CAS)('$file verifies as self-signed and carries kubeadm CA extensions', ({ file, key, cn }) => {
    const p = fx().path(file);
    expect(openssl(['verify', '-CAfile', p, p])).toBe(`${p}: OK\n`);
    expect(openssl(['x509', '-in', p, '-noout', '-subject', '-issuer', '-startdate', '-enddate'])).toBe(
      `subject=CN = ${cn}\nissuer=CN = ${cn}\n` +
        'notBefore=Mar  1 11:55:00 2026 GMT\nnotAfter=Feb 27 12:00:00 2036 GMT\n',
    );
    const ext = openssl(['x509', '-in', p, '-noout', '-ext', 'keyUsage,basicConstraints,subjectAltName,extendedKeyUsage']);
    expect(ext).toBe(
      'X509v3 Key Usage: critical\n    Digital Signature, Key Encipherment, Certificate Sign\n' +
        'X509v3 Basic Constraints: critical\n    CA:TRUE\n' +
        `X509v3 Subject Alternative Name: \n    DNS:${cn}\n`,
    );
    const ski = openssl(['x509', '-in', p, '-noout', '-ext', 'subjectKeyIdentifier']);
    expect(ski).toMatch(/^X509v3 Subject Key Identifier: \n {4}([0-9A-F]{2}:){19}[0-9A-F]{2}\n$/);
    const text = openssl(['x509', '-in', p, '-noout', '-text']);
    expect(text.split('\n').filter((l) => l.includes('Signature Algorithm:')).map((l) => l.trim())).toEqual([
      `Signature Algorithm: ${EXPECTED[alg].sigAlg}`,
      `Signature Algorithm: ${EXPECTED[alg].sigAlg}`,
    ]);
    expect(text).toContain(`\n                ${EXPECTED[alg].publicKeyLine}\n`);
    // The key file is kubeadm's encoding, is internally consistent, and belongs to the certificate.
    const kp = fx().path(key);
    expect(isEncodedAs(fx().state[file === 'ca.crt' ? 'ca' : file === 'etcd/ca.crt' ? 'etcdCa' : 'frontProxyCa'].key, EXPECTED[alg].keyEncoding)).toBe(true);
    expect(openssl([...EXPECTED[alg].keyCheck, '-in', kp])).toBe(EXPECTED[alg].keyCheckOut);
    expect(openssl(['pkey', '-in', kp, '-pubout'])).toBe(openssl(['x509', '-in', p, '-noout', '-pubkey']));
  });

  it('the three CAs have three different keys', () => {
    const pubs = CAS.map(({ file }) => openssl(['x509', '-in', fx().path(file), '-noout', '-pubkey']));
    expect(new Set(pubs).size).toBe(3);
  });

  it('the discovery hash equals openssl pkey | sha256sum over ca.crt', () => {
    const r = run('sh', ['-c', 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum', 'sh', fx().path('ca.crt')]);
    expect(r.status).toBe(0);
    const hex = r.stdout.split(' ')[0];
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(fx().state.discoveryHash).toBe(`sha256:${hex}`);
  });

  it('admin.conf parses as YAML and its embedded CA, certificate and key belong together', () => {
    const doc = parse(fx().state.adminConf) as Record<string, unknown>;
    const admin = parseAdminKubeconfig(fx().state.adminConf);
    expect(doc).toEqual({
      apiVersion: 'v1',
      clusters: [
        {
          cluster: {
            'certificate-authority-data': Buffer.from(fx().state.ca.cert).toString('base64'),
            server: 'https://apiserver.cluster.local:6443',
          },
          name: 'demo',
        },
      ],
      contexts: [{ context: { cluster: 'demo', user: 'kubernetes-admin' }, name: 'kubernetes-admin@demo' }],
      'current-context': 'kubernetes-admin@demo',
      kind: 'Config',
      preferences: {},
      users: [
        {
          name: 'kubernetes-admin',
          user: {
            'client-certificate-data': Buffer.from(admin.clientCertPem).toString('base64'),
            'client-key-data': Buffer.from(admin.clientKeyPem).toString('base64'),
          },
        },
      ],
    });
    const crt = fx().path('admin.crt');
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', fx().path('ca.crt'), crt])).toBe(`${crt}: OK\n`);
    expect(openssl(['pkey', '-in', fx().path('admin.key'), '-pubout'])).toBe(openssl(['x509', '-in', crt, '-noout', '-pubkey']));
    expect(openssl(['x509', '-in', crt, '-noout', '-subject', '-issuer', '-startdate', '-enddate'])).toBe(
      'subject=O = kubeadm:cluster-admins, CN = kubernetes-admin\nissuer=CN = kubernetes\n' +
        // kubeadm: notBefore is the CA's, notAfter one 365-day year from now.
        'notBefore=Mar  1 11:55:00 2026 GMT\nnotAfter=Mar  1 12:00:00 2027 GMT\n',
    );
    expect(openssl(['x509', '-in', crt, '-noout', '-ext', 'keyUsage,basicConstraints,extendedKeyUsage,subjectKeyIdentifier'])).toBe(
      'X509v3 Key Usage: critical\n    Digital Signature, Key Encipherment\n' +
        'X509v3 Extended Key Usage: \n    TLS Web Client Authentication\n' +
        'X509v3 Basic Constraints: critical\n    CA:FALSE\n',
    );
    // The authority key id is the CA's subject key id, as Go sets it.
    const aki = openssl(['x509', '-in', crt, '-noout', '-ext', 'authorityKeyIdentifier']).split('\n')[1]!.trim();
    const ski = openssl(['x509', '-in', fx().path('ca.crt'), '-noout', '-ext', 'subjectKeyIdentifier']).split('\n')[1]!.trim();
    expect(aki).toBe(ski);
  });

  it('the admin certificate does not verify against another CA (the check can fail)', () => {
    const r = run('openssl', ['verify', '-CAfile', fx().path('front-proxy-ca.crt'), fx().path('admin.crt')]);
    expect(r.status).not.toBe(0);
  });

  it('apiserver-etcd-client verifies against etcd/ca.crt only', () => {
    const crt = fx().path('apiserver-etcd-client.crt');
    expect(openssl(['verify', '-purpose', 'sslclient', '-CAfile', fx().path('etcd/ca.crt'), crt])).toBe(`${crt}: OK\n`);
    expect(run('openssl', ['verify', '-CAfile', fx().path('ca.crt'), crt]).status).not.toBe(0);
    expect(openssl(['x509', '-in', crt, '-noout', '-subject', '-issuer'])).toBe(
      'subject=CN = kube-apiserver-etcd-client\nissuer=CN = etcd-ca\n',
    );
    expect(openssl(['pkey', '-in', fx().path('apiserver-etcd-client.key'), '-pubout'])).toBe(
      openssl(['x509', '-in', crt, '-noout', '-pubkey']),
    );
    expect(isEncodedAs(fx().etcdClient.key, EXPECTED[alg].keyEncoding)).toBe(true);
  });

  it('sa.pub is the public half of sa.key', () => {
    expect(openssl(['pkey', '-in', fx().path('sa.key'), '-pubout'])).toBe(fx().state.serviceAccount.pub);
    expect(isEncodedAs(fx().state.serviceAccount.key, EXPECTED[alg].keyEncoding)).toBe(true);
  });

  it('stateSummary fingerprints match openssl and never show the token secret', () => {
    const s = stateSummary(fx().state, NOW);
    const fingerprint = (file: string) =>
      openssl(['x509', '-in', fx().path(file), '-noout', '-fingerprint', '-sha256']).replace(/^sha256 Fingerprint=/, '').trim();
    expect(s.certificates).toEqual([
      { name: 'ca.crt', sha256: fingerprint('ca.crt'), notBefore: '2026-03-01T11:55:00.000Z', notAfter: '2036-02-27T12:00:00.000Z', daysLeft: 3650, subject: 'CN=kubernetes' },
      { name: 'front-proxy-ca.crt', sha256: fingerprint('front-proxy-ca.crt'), notBefore: '2026-03-01T11:55:00.000Z', notAfter: '2036-02-27T12:00:00.000Z', daysLeft: 3650, subject: 'CN=front-proxy-ca' },
      { name: 'etcd/ca.crt', sha256: fingerprint('etcd/ca.crt'), notBefore: '2026-03-01T11:55:00.000Z', notAfter: '2036-02-27T12:00:00.000Z', daysLeft: 3650, subject: 'CN=etcd-ca' },
      { name: 'admin.conf', sha256: fingerprint('admin.crt'), notBefore: '2026-03-01T11:55:00.000Z', notAfter: '2027-03-01T12:00:00.000Z', daysLeft: 365, subject: 'O=kubeadm:cluster-admins, CN=kubernetes-admin' },
      { name: 'apiserver-etcd-client.crt', sha256: fingerprint('apiserver-etcd-client.crt'), notBefore: '2026-03-01T11:55:00.000Z', notAfter: '2027-03-01T12:00:00.000Z', daysLeft: 365, subject: 'CN=kube-apiserver-etcd-client' },
    ]);
    const [id, secret] = fx().state.bootstrapToken.token.split('.');
    expect(s.token).toEqual({ id, ttlSeconds: 86400, expires: '2026-03-02T12:00:00.000Z' });
    expect(JSON.stringify(s)).not.toContain(secret);
    const r = run('sh', ['-c', 'openssl pkey -pubin -in "$1" -outform der | sha256sum', 'sh', fx().path('sa.pub')]);
    expect(s.serviceAccountKeySha256).toBe(r.stdout.split(' ')[0]);
    expect(s.discoveryHash).toBe(fx().state.discoveryHash);
  });
});

describe('an independent parser (node-forge) agrees on the RSA chain', () => {
  it('forge parses ca.crt and verifies the admin certificate with it', () => {
    const ca = forge.pki.certificateFromPem(fixtures.rsa.state.ca.cert);
    const admin = forge.pki.certificateFromPem(parseAdminKubeconfig(fixtures.rsa.state.adminConf).clientCertPem);
    expect(ca.verify(ca)).toBe(true);
    expect(ca.verify(admin)).toBe(true);
    expect(admin.subject.getField('CN').value).toBe('kubernetes-admin');
    expect(ca.getExtension('basicConstraints')).toMatchObject({ cA: true, critical: true });
  });
});

describe('admin.conf group by Kubernetes version', () => {
  it.each([
    ['v1.28.15', 'system:masters'],
    ['1.29.0', 'kubeadm:cluster-admins'],
    ['v1.31.2', 'kubeadm:cluster-admins'],
  ])('%s → %s', async (version, group) => {
    const state = createClusterState({
      keyAlgorithm: 'ecdsa',
      now: NOW,
      tokenTtlSeconds: 0,
      clusterName: 'c',
      kubernetesVersion: version,
      endpoint: { host: '10.0.0.1', port: 6443 },
    });
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(parseAdminKubeconfig(state.adminConf).clientCertPem);
    expect(cert.subject).toBe(`O=${group}\nCN=kubernetes-admin`);
    expect(state.bootstrapToken.expires).toBeNull();
  });

  it('rejects a version it cannot read before making any key', () => {
    expect(() =>
      createClusterState({
        keyAlgorithm: 'rsa',
        now: NOW,
        tokenTtlSeconds: 0,
        clusterName: 'c',
        kubernetesVersion: 'latest',
        endpoint: { host: 'h', port: 6443 },
      }),
    ).toThrow('not a Kubernetes version: "latest" (expected e.g. v1.30.6)');
  });
});

describe('dates past 2049 use GeneralizedTime (RFC 5280)', () => {
  it('a CA made in 2045 expires in 2055 and openssl reads both dates', (ctx) => {
    needTools(ctx, 'openssl:openssl');
    const state = createClusterState({
      keyAlgorithm: 'ecdsa',
      now: new Date('2045-06-01T00:00:00Z'),
      tokenTtlSeconds: 0,
      clusterName: 'c',
      kubernetesVersion: 'v1.30.0',
      endpoint: { host: '::1', port: 6443 },
    });
    expect(openssl(['x509', '-noout', '-startdate', '-enddate'], state.ca.cert)).toBe(
      'notBefore=May 31 23:55:00 2045 GMT\nnotAfter=May 30 00:00:00 2055 GMT\n',
    );
    expect(parseAdminKubeconfig(state.adminConf).server).toBe('https://[::1]:6443');
  });
});
