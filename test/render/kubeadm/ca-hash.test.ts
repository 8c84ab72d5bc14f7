/**
 * With real cluster state (the fixed TEST ONLY fixtures), the caCertHashes of every
 * JoinConfiguration equal the pin openssl computes over the ca.crt that node receives:
 * `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUBEADM_CONFIG } from '../../../src/render/kubeadm/model.js';
import { nodeFiles } from '../../../src/render/node.js';
import { secretsFromState } from '../../../src/state/plan-secrets.js';
import { readState } from '../../../src/state/read.js';
import { EXAMPLE_PROFILES, planFromFile } from '../../builders/plan.js';
import { needTools, run } from '../../helpers/tools.js';
import { parseStream } from './plans.js';

const FIXTURES = ['state-rsa', 'state-ecdsa'];

function opensslPin(caPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-pin-'));
  writeFileSync(join(dir, 'ca.crt'), caPem);
  const r = run('sh', ['-c', 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum', 'sh', join(dir, 'ca.crt')]);
  if (r.status !== 0) throw new Error(r.stderr);
  return `sha256:${r.stdout.split(' ')[0]}`;
}

describe.each(FIXTURES)('fixture %s', (fixture) => {
  const state = readState(join(import.meta.dirname, '..', '..', 'fixtures', 'pki', fixture));
  if (state.status !== 'present') throw new Error(`fixture ${fixture} is missing`);
  const secrets = secretsFromState(state.state, '0');

  it.for(EXAMPLE_PROFILES)('%s: every JoinConfiguration pins the CA its node receives', (profile, ctx) => {
    needTools(ctx, 'openssl:openssl');
    const plan = planFromFile(profile, secrets);
    const joins = plan.nodes.filter((n) => n.action.startsWith('join-'));
    for (const node of joins) {
      const files = nodeFiles(plan, node);
      const ca = files.find((f) => f.path === '/etc/kubernetes/pki/ca.crt');
      expect(ca, `${node.name} receives ca.crt`).toBeDefined();
      const join = parseStream(String(files.find((f) => f.path === KUBEADM_CONFIG)!.content))
        .find((d) => d.kind === 'JoinConfiguration') as { discovery: { bootstrapToken: { caCertHashes: string[]; token: string } } };
      expect(join.discovery.bootstrapToken.caCertHashes).toEqual([opensslPin(String(ca!.content))]);
      expect(join.discovery.bootstrapToken.token).toBe(state.state.bootstrapToken.token);
    }
    // The lab has no joining node; the others must have checked some.
    expect(joins.length > 0).toBe(profile !== 'profiles/lab.yaml');
  });
});
