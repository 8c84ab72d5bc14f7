/**
 * The state over a cluster's life, through the CLI: certificates that near their end are warned
 * about, an expired one stops the compile that would ship it, `state renew` re-issues the leaf
 * certificates from the unchanged CAs (checked with openssl verify) and the next compile ships
 * them; `state new-token` puts a new bootstrap token into the state and the next compile puts it
 * into every join with the same CA pin. States "made in the past" come from createClusterState's
 * injected clock.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { stateOptions } from '../../src/cli/commands/pipeline.js';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { parseAdminKubeconfig } from '../../src/pki/kubeconfig.js';
import { writeState } from '../../src/state/write.js';
import { profileFrom } from '../builders/plan.js';
import { cli, snapshot } from '../helpers/cli.js';
import { needTools, run } from '../helpers/tools.js';

const DAY = 86_400_000;
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kubeseed-lifecycle-'));
  roots.push(d);
  return d;
}

/** A state for `profile` as if the first compile had run `daysAgo` days ago. */
function stateMadeAgo(profile: string, dir: string, daysAgo: number, ttl?: number): void {
  const opts = stateOptions(profileFrom(readFileSync(profile, 'utf8'), profile), new Date(Date.now() - daysAgo * DAY));
  writeState(dir, createClusterState(ttl === undefined ? opts : { ...opts, tokenTtlSeconds: ttl }));
}

const notAfter = (pem: string): string => new Date(new X509Certificate(pem).validTo).toISOString();
const adminCert = (dir: string): string => parseAdminKubeconfig(readFileSync(join(dir, 'admin.conf'), 'utf8')).clientCertPem;

/** Each node's kubeadm configuration documents, from the staged file in its compiled user-data. */
function kubeadmConfigs(tree: string): Map<string, Record<string, any>[]> {
  const out = new Map<string, Record<string, any>[]>();
  for (const node of readdirSync(join(tree, 'nodes'))) {
    const ud = parse(readFileSync(join(tree, 'nodes', node, 'user-data'), 'utf8'));
    const f = ud.write_files.find((w: { path: string }) => w.path === '/run/kubeseed/secrets/etc/kubernetes/kubeadm/kubeadm.yaml');
    if (f) out.set(node, parseAllDocuments(f.content).map((d) => d.toJS()));
  }
  return out;
}

/** The token and CA pins each node's kubeadm configuration carries. */
function joins(tree: string): Record<string, { token: string; pins?: string[] }> {
  const out: Record<string, { token: string; pins?: string[] }> = {};
  for (const [node, docs] of kubeadmConfigs(tree)) {
    const init = docs.find((d) => d.kind === 'InitConfiguration');
    const join = docs.find((d) => d.kind === 'JoinConfiguration');
    if (init) out[node] = { token: init.bootstrapTokens[0].token };
    if (join) out[node] = { token: join.discovery.bootstrapToken.token, pins: join.discovery.bootstrapToken.caCertHashes };
  }
  return out;
}

describe('certificate lifecycle', () => {
  it('an expired admin certificate stops the compile (exit 1, naming it and its date) and changes nothing; state renew fixes it with the same CAs, and the compile after ships the renewed ones', async (ctx) => {
    needTools(ctx, 'openssl:openssl');
    const root = tmp();
    const out = join(root, 'out');
    const dir = join(root, 'state');
    stateMadeAgo('profiles/external-etcd.yaml', dir, 400);
    const before = snapshot(dir);
    const oldAdmin = adminCert(dir);
    const oldEtcdClient = readFileSync(join(dir, 'apiserver-etcd-client.crt'), 'utf8');

    const refused = await cli('compile', 'profiles/external-etcd.yaml', '--out', out, '--state', dir);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    const errors = refused.err.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([
      `error: state: certificate admin.conf (O=kubeadm:cluster-admins, CN=kubernetes-admin) expired on ${notAfter(oldAdmin)}; renew it with "kubeseed state renew PROFILE"`,
      `error: state: certificate apiserver-etcd-client.crt (CN=kube-apiserver-etcd-client) expired on ${notAfter(oldEtcdClient)}; renew it with "kubeseed state renew PROFILE"`,
    ]);
    expect(existsSync(out)).toBe(false);
    expect(snapshot(dir)).toEqual(before);

    const renewed = await cli('state', 'renew', 'profiles/external-etcd.yaml', '--state', dir);
    expect(renewed.code, renewed.err).toBe(0);
    // The CAs and everything but the three renewed files are byte for byte what they were.
    const after = snapshot(dir);
    const changed = Object.keys(after).filter((p) => !p.startsWith('backup/') && after[p] !== before[p]).sort();
    expect(changed).toEqual(['admin.conf', 'apiserver-etcd-client.crt', 'apiserver-etcd-client.key']);
    // The replaced files, in one dated backup inside the state directory.
    const [backup, ...more] = readdirSync(join(dir, 'backup'));
    expect(more).toEqual([]);
    expect(backup).toMatch(/^\d{8}T\d{6}Z-renew$/);
    for (const f of changed) expect(after[`backup/${backup}/${f}`]).toBe(before[f]);

    // openssl verifies each renewed certificate against the unchanged CA; each is valid a year from now.
    const work = join(root, 'certs');
    run('mkdir', ['-p', work]);
    writeFileSync(join(work, 'admin.crt'), adminCert(dir));
    for (const [cert, ca] of [[join(work, 'admin.crt'), join(dir, 'ca.crt')], [join(dir, 'apiserver-etcd-client.crt'), join(dir, 'etcd/ca.crt')]] as const) {
      const v = run('openssl', ['verify', '-CAfile', ca, cert]);
      expect(v.stdout, v.stderr).toBe(`${cert}: OK\n`);
    }
    for (const [now, old] of [[adminCert(dir), oldAdmin], [readFileSync(join(dir, 'apiserver-etcd-client.crt'), 'utf8'), oldEtcdClient]] as const) {
      expect(notAfter(now)).not.toBe(notAfter(old));
      expect(Math.abs(Date.parse(notAfter(now)) - (Date.now() + 365 * DAY))).toBeLessThan(10 * 60_000);
      expect(new X509Certificate(now).fingerprint256).not.toBe(new X509Certificate(old).fingerprint256);
    }
    expect(renewed.out).toContain(`renewed admin.conf: valid until ${notAfter(adminCert(dir))} (364 days)`);

    const shipped = await cli('compile', 'profiles/external-etcd.yaml', '--out', out, '--state', dir);
    expect(shipped.code, shipped.err).toBe(0);
    expect(shipped.err).not.toContain('warning: state:');
    expect(readFileSync(join(out, 'prod', 'admin.conf'), 'utf8')).toBe(readFileSync(join(dir, 'admin.conf'), 'utf8'));
    // Every control-plane node of the external-etcd cluster gets the renewed etcd client pair.
    for (const node of ['cp1', 'cp2', 'cp3']) {
      const ud = parse(readFileSync(join(out, 'prod', 'nodes', node, 'user-data'), 'utf8'));
      const file = (p: string) => ud.write_files.find((w: { path: string }) => w.path === p)?.content;
      expect(file('/etc/kubernetes/pki/apiserver-etcd-client.crt')).toBe(readFileSync(join(dir, 'apiserver-etcd-client.crt'), 'utf8'));
      expect(file('/run/kubeseed/secrets/etc/kubernetes/pki/apiserver-etcd-client.key')).toBe(readFileSync(join(dir, 'apiserver-etcd-client.key'), 'utf8'));
    }
  });

  it('warns under 30 days left, naming the certificate, its date and the days; an expired certificate the compile does not ship is a warning only', async () => {
    const root = tmp();
    const dir = join(root, 'state');
    // 350 days old: the two leaf certificates have 15 days left.
    stateMadeAgo('profiles/ha.yaml', dir, 350);
    const r = await cli('compile', 'profiles/ha.yaml', '--out', join(root, 'out'), '--state', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`warning: state: certificate admin.conf (O=kubeadm:cluster-admins, CN=kubernetes-admin) expires on ${notAfter(adminCert(dir))}, in 14 days; renew it with "kubeseed state renew PROFILE"`);

    // Stacked etcd ships no apiserver-etcd-client: expired, it is a warning, admin.conf (renewed here) ships.
    const old = join(root, 'old');
    stateMadeAgo('profiles/ha.yaml', old, 400);
    const etcdClient = readFileSync(join(old, 'apiserver-etcd-client.crt'), 'utf8');
    expect((await cli('state', 'renew', 'profiles/ha.yaml', '--state', old)).code).toBe(0);
    writeFileSync(join(old, 'apiserver-etcd-client.crt'), etcdClient);
    const key = readFileSync(join(old, 'backup', readdirSync(join(old, 'backup'))[0]!, 'apiserver-etcd-client.key'));
    writeFileSync(join(old, 'apiserver-etcd-client.key'), key);
    const stacked = await cli('compile', 'profiles/ha.yaml', '--out', join(root, 'out2'), '--state', old);
    expect(stacked.code, stacked.err).toBe(0);
    expect(stacked.err).toContain(`warning: state: certificate apiserver-etcd-client.crt (CN=kube-apiserver-etcd-client) expired on ${notAfter(etcdClient)} (not shipped by this compile)`);
  });

  it('state show: each certificate with its days left, and the loose permissions reading the state found', async () => {
    const root = tmp();
    const dir = join(root, 'state');
    stateMadeAgo('profiles/lab.yaml', dir, 100);
    chmodSync(join(dir, 'ca.key'), 0o644);
    const r = await cli('state', 'show', 'profiles/lab.yaml', '--state', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(`warning: state: ${join(dir, 'ca.key')} has mode 0644; expected 0600 (it holds cluster secrets)\n`);
    const shown = JSON.parse(r.out) as { certificates: { name: string; daysLeft: number }[] };
    expect(shown.certificates.map((c) => [c.name, c.daysLeft])).toEqual([
      ['ca.crt', 3549], ['front-proxy-ca.crt', 3549], ['etcd/ca.crt', 3549], ['admin.conf', 264], ['apiserver-etcd-client.crt', 264],
    ]);
  });
});

describe('kubeseed state new-token', () => {
  it('puts a new token into the state and prints the kubeadm token create line; the next compile has it in every join, with the same CA pin', async () => {
    const root = tmp();
    const out = join(root, 'out');
    expect((await cli('compile', 'profiles/ha.yaml', '--out', out)).code).toBe(0);
    const dir = join(out, 'ha.state');
    const first = joins(join(out, 'ha'));
    const old = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(new Set(Object.values(first).map((j) => j.token))).toEqual(new Set([old.bootstrapToken.token]));
    expect(Object.keys(first).sort()).toEqual(['cp1', 'cp2', 'cp3', 'w1', 'w2', 'w3']);

    const r = await cli('state', 'new-token', 'profiles/ha.yaml', '--out', out, '--ttl', '2h');
    expect(r.code, r.err).toBe(0);
    const now = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    const token = now.bootstrapToken.token as string;
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(token).not.toBe(old.bootstrapToken.token);
    expect(r.out).toBe(`kubeadm token create ${token} --ttl 2h0m0s\n`);
    expect(now.bootstrapToken.ttlSeconds).toBe(7200);
    expect(Math.abs(Date.parse(now.bootstrapToken.expires) - (Date.now() + 7200_000))).toBeLessThan(60_000);
    // Nothing else in the state changed; the old state.json is kept.
    expect({ ...now, bootstrapToken: old.bootstrapToken }).toEqual(old);
    const backups = readdirSync(join(dir, 'backup'));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'backup', backups[0]!, 'state.json'), 'utf8'))).toEqual(old);
    // The secret is printed on stdout only, for the operator to run; stderr names the token by its id.
    expect(r.err).not.toContain(token);
    expect(r.err).toContain(`new bootstrap token ${token.split('.')[0]} (ttl 2h0m0s`);

    const again = await cli('compile', 'profiles/ha.yaml', '--out', out);
    expect(again.code, again.err).toBe(0);
    const second = joins(join(out, 'ha'));
    expect(Object.keys(second).sort()).toEqual(Object.keys(first).sort());
    for (const [node, j] of Object.entries(second)) {
      expect(j.token, node).toBe(token);
      expect(j.pins, node).toEqual(first[node]!.pins);
    }
    for (const j of Object.values(second)) if (j.pins) expect(j.pins).toEqual([old.discoveryHash]);
    // The old token is nowhere in the new tree.
    for (const [path] of Object.entries(snapshot(join(out, 'ha')))) {
      expect(readFileSync(join(out, 'ha', path)).includes(old.bootstrapToken.token), path).toBe(false);
    }
  });

  it('compile warns about a token that has expired, naming its id and the command', async () => {
    const root = tmp();
    const dir = join(root, 'state');
    stateMadeAgo('profiles/lab.yaml', dir, 2, 3600);
    const id = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).bootstrapToken.token.split('.')[0];
    const r = await cli('compile', 'profiles/lab.yaml', '--out', join(root, 'out'), '--state', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`^warning: the bootstrap token ${id} \\(ttl 1h\\) has expired unless the cluster installed it after [0-9T:.-]+Z: nodes compiled with it cannot join\\. Make a new one with "kubeseed state new-token PROFILE"`, 'm'));
  });

  it('a bad --ttl is a usage error, and nothing changes', async () => {
    const root = tmp();
    const dir = join(root, 'state');
    stateMadeAgo('profiles/lab.yaml', dir, 1);
    const before = snapshot(dir);
    const r = await cli('state', 'new-token', 'profiles/lab.yaml', '--state', dir, '--ttl', '2 hours');
    expect(r.code).toBe(2);
    expect(r.err).toBe('kubeseed state: --ttl must be 0 or a duration like 24h, 90m, 7d, got "2 hours"\n');
    expect(snapshot(dir)).toEqual(before);
  });
});
