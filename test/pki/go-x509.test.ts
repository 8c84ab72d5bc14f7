/**
 * kubeadm is Go: its crypto/x509 parser is stricter than openssl's. A small checker
 * (gocheck/main.go, standard library only) reads a written state directory as kubeadm would —
 * parse, verify chains with key usages, pair keys, compute the discovery pin — and prints facts
 * compared here exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { writeState } from '../../src/state/write.js';
import { needTools, run } from '../helpers/tools.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kubeseed-go-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each([
  ['rsa', 'SHA256-RSA', 'v1.30.6', 'kubeadm:cluster-admins'],
  ['ecdsa', 'ECDSA-SHA256', 'v1.28.9', 'system:masters'],
] as const)('Go crypto/x509 reads the %s state', (alg, sig, version, group) => {
  it('as kubeadm would', (ctx) => {
    needTools(ctx, 'go:golang-go');
    const state = createClusterState({
      keyAlgorithm: alg,
      now: new Date('2026-03-01T12:00:00Z'),
      tokenTtlSeconds: 0,
      clusterName: 'demo',
      kubernetesVersion: version,
      endpoint: { host: '192.168.10.2', port: 6443 },
    });
    const dir = join(root, alg);
    writeState(dir, state);
    const r = run('go', ['run', 'main.go', dir], { cwd: join(import.meta.dirname, 'gocheck') });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const ca = (file: string, cn: string) =>
      `${file} CN=${cn} isCA=true basicConstraintsValid=true keyUsage=digitalSignature,keyEncipherment,keyCertSign ` +
      `skiIsGoMethod=true dns=[${cn}] sig=${sig} days=3650`;
    expect(r.stdout).toBe(
      [
        ca('ca.crt', 'kubernetes'),
        ca('front-proxy-ca.crt', 'front-proxy-ca'),
        ca('etcd/ca.crt', 'etcd-ca'),
        `pin ${state.discoveryHash}`,
        `admin CN=kubernetes-admin O=[${group}] isCA=false keyUsage=digitalSignature,keyEncipherment extKeyUsage=[2] akiMatchesCA=true`,
        'apiserver-etcd-client CN=kube-apiserver-etcd-client O=[] verifiesWithEtcdCA=true verifiesWithClusterCA=false',
        'token valid=true',
        'sa.pub ok',
        '',
      ].join('\n'),
    );
  });
});
