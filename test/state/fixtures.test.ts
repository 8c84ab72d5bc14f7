/**
 * Fixed test state directories under test/fixtures/pki/ (TEST ONLY keys), so golden tests of
 * later stages get the same secrets on every run. Regenerate with
 *   KUBESEED_UPDATE_PKI_FIXTURES=1 npx vitest run test/state/fixtures.test.ts
 * (git keeps their files 0644; readState reports that as warnings, not errors).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { stateSummary } from '../../src/pki/summary.js';
import { readState } from '../../src/state/read.js';
import { writeState } from '../../src/state/write.js';
import { seededRng } from '../pki/seeded-rng.js';

const PKI_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pki');

const FIXTURES = [
  { name: 'state-rsa', keyAlgorithm: 'rsa', tokenTtlSeconds: 0, tokenId: '2jhm9j' },
  { name: 'state-ecdsa', keyAlgorithm: 'ecdsa', tokenTtlSeconds: 86400, tokenId: 'wa9lan' },
] as const;

const update = process.env.KUBESEED_UPDATE_PKI_FIXTURES === '1';

describe.each(FIXTURES)('fixture $name', ({ name, keyAlgorithm, tokenTtlSeconds, tokenId }) => {
  const dir = join(PKI_FIXTURES, name);
  // Registered only on request, so ordinary runs show no skipped test.
  if (update) it('is regenerated', () => {
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    writeState(
      dir,
      createClusterState({
        keyAlgorithm,
        now: new Date('2026-01-01T00:00:00.000Z'),
        tokenTtlSeconds,
        clusterName: 'demo',
        kubernetesVersion: 'v1.30.6',
        endpoint: { host: 'apiserver.cluster.local', port: 6443 },
        rng: seededRng(`fixture-${name}`),
      }),
    );
  });

  it('reads back as a valid state', () => {
    const r = readState(dir);
    expect(r.status).toBe('present');
    if (r.status !== 'present') return;
    const s = stateSummary(r.state, new Date('2026-01-01T00:00:00Z'));
    expect({ ...s, certificates: s.certificates.map((c) => [c.name, c.subject, c.notBefore, c.notAfter]) }).toMatchObject({
      clusterName: 'demo',
      keyAlgorithm,
      createdAt: '2026-01-01T00:00:00.000Z',
      certificates: [
        ['ca.crt', 'CN=kubernetes', '2025-12-31T23:55:00.000Z', '2035-12-30T00:00:00.000Z'],
        ['front-proxy-ca.crt', 'CN=front-proxy-ca', '2025-12-31T23:55:00.000Z', '2035-12-30T00:00:00.000Z'],
        ['etcd/ca.crt', 'CN=etcd-ca', '2025-12-31T23:55:00.000Z', '2035-12-30T00:00:00.000Z'],
        ['admin.conf', 'O=kubeadm:cluster-admins, CN=kubernetes-admin', '2025-12-31T23:55:00.000Z', '2027-01-01T00:00:00.000Z'],
        ['apiserver-etcd-client.crt', 'CN=kube-apiserver-etcd-client', '2025-12-31T23:55:00.000Z', '2027-01-01T00:00:00.000Z'],
      ],
      token: { id: tokenId, ttlSeconds: tokenTtlSeconds, expires: tokenTtlSeconds ? '2026-01-02T00:00:00.000Z' : null },
    });
  });
});
