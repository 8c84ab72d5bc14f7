/**
 * The state directory: written once with private modes, read back byte for byte, and never
 * regenerated or overwritten — a missing or damaged file is an error naming that file.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueClientCert } from '../../src/pki/ca.js';
import { createClusterState, withNewBootstrapToken, type ClusterState, type CreateClusterStateOptions } from '../../src/pki/cluster-state.js';
import { adminKubeconfigYaml, parseAdminKubeconfig } from '../../src/pki/kubeconfig.js';
import { StateError, StateExistsError, StateFileError } from '../../src/state/errors.js';
import { STATE_FILES } from '../../src/state/layout.js';
import { loadOrCreateState } from '../../src/state/load.js';
import { readState } from '../../src/state/read.js';
import { replaceState, writeState } from '../../src/state/write.js';
import { seededRng } from '../pki/seeded-rng.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function options(alg: 'rsa' | 'ecdsa', overrides: Partial<CreateClusterStateOptions> = {}): CreateClusterStateOptions {
  return {
    keyAlgorithm: alg,
    now: NOW,
    tokenTtlSeconds: 0,
    clusterName: 'demo',
    kubernetesVersion: 'v1.31.2',
    endpoint: { host: 'apiserver.cluster.local', port: 6443 },
    rng: seededRng(`state-${alg}`),
    ...overrides,
  };
}

let root: string;
const states = {} as Record<'rsa' | 'ecdsa', ClusterState>;
let n = 0;
const freshDir = () => join(root, `s${n++}`, 'state');

/** Every file under dir, relative path → bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.set(r, readFileSync(join(dir, r)));
    }
  };
  walk('');
  return out;
}

function expectStateFileError(fn: () => unknown, file: string, problem: string, detail?: string): StateFileError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(StateFileError);
  const err = caught as StateFileError;
  expect({ file: err.file, problem: err.problem }).toEqual({ file, problem });
  if (detail !== undefined) expect(err.message).toBe(`state file ${err.path}: ${detail}`);
  return err;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kubeseed-state-'));
  states.rsa = createClusterState(options('rsa', { tokenTtlSeconds: 86400 }));
  states.ecdsa = createClusterState(options('ecdsa'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(['rsa', 'ecdsa'] as const)('writeState / readState (%s)', (alg) => {
  it('writes exactly the state files, 0600, in 0700 directories, and leaves no temporary directory', () => {
    const dir = freshDir();
    writeState(dir, states[alg]);
    expect([...snapshot(dir).keys()].sort()).toEqual([...STATE_FILES].sort());
    for (const f of STATE_FILES) expect((statSync(join(dir, f)).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(join(dir, 'etcd')).mode & 0o777).toString(8)).toBe('700');
    expect(readdirSync(join(dir, '..'))).toEqual(['state']);
  });

  it('round-trips: readState gives the same state, and writing it again gives byte-identical files', () => {
    const a = freshDir();
    const b = freshDir();
    writeState(a, states[alg]);
    const r = readState(a);
    expect(r.status).toBe('present');
    if (r.status !== 'present') return;
    expect(r.state).toEqual(states[alg]);
    expect(r.warnings).toEqual([]);
    writeState(b, r.state);
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(readFileSync(join(a, 'ca.crt'), 'utf8')).toBe(states[alg].ca.cert);
  });

  it('state.json holds the format version, token, expiry, creation time and algorithm', () => {
    const dir = freshDir();
    writeState(dir, states[alg]);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toEqual({
      formatVersion: 1,
      clusterName: 'demo',
      keyAlgorithm: alg,
      createdAt: '2026-03-01T12:00:00.000Z',
      discoveryHash: states[alg].discoveryHash,
      bootstrapToken: {
        token: states[alg].bootstrapToken.token,
        ttlSeconds: alg === 'rsa' ? 86400 : 0,
        expires: alg === 'rsa' ? '2026-03-02T12:00:00.000Z' : null,
      },
    });
  });
});

describe('readState', () => {
  let good: string;
  beforeAll(() => {
    good = freshDir();
    writeState(good, states.rsa);
  });
  /** A copy of the good state directory to damage. */
  function copy(): string {
    const dir = freshDir();
    mkdirSync(join(dir, 'etcd'), { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    for (const [f, b] of snapshot(good)) writeFileSync(join(dir, f), b, { mode: 0o600 });
    return dir;
  }

  it('says "absent" when the directory does not exist', () => {
    const dir = join(root, 'nothing-here');
    expect(readState(dir)).toEqual({ status: 'absent', dir });
  });

  it.each([...STATE_FILES])('a missing %s is an error naming it', (file) => {
    const dir = copy();
    unlinkSync(join(dir, file));
    const err = expectStateFileError(() => readState(dir), file, 'missing');
    expect(err.path).toBe(join(dir, file));
    expect(err.files).toEqual([file]);
    expect(err.message).toBe(
      `state file ${join(dir, file)}: missing from the state directory (also missing: nothing else); ` +
        "kubeseed will not regenerate part of a cluster's secrets — restore the file from a backup",
    );
  });

  it('an empty directory lists every missing file', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const err = expectStateFileError(() => readState(dir), 'state.json', 'missing');
    expect(err.files).toEqual([...STATE_FILES]);
  });

  it('a file that cannot be read as a file is "unreadable"', () => {
    const dir = copy();
    unlinkSync(join(dir, 'sa.pub'));
    mkdirSync(join(dir, 'sa.pub'));
    expectStateFileError(() => readState(dir), 'sa.pub', 'unreadable', 'cannot be read: not a regular file');
  });

  const damage: [string, string, (dir: string) => void, string?][] = [
    ['garbage in ca.key', 'ca.key', (d) => writeFileSync(join(d, 'ca.key'), 'not a key\n')],
    [
      'ca.key swapped with front-proxy-ca.key',
      'ca.key',
      (d) => writeFileSync(join(d, 'ca.key'), readFileSync(join(good, 'front-proxy-ca.key'))),
      'does not match ca.crt',
    ],
    [
      'etcd/ca.crt replaced by ca.crt',
      'etcd/ca.crt',
      (d) => writeFileSync(join(d, 'etcd/ca.crt'), readFileSync(join(good, 'ca.crt'))),
      'subject is "CN=kubernetes", expected CN=etcd-ca',
    ],
    [
      'truncated front-proxy-ca.crt',
      'front-proxy-ca.crt',
      (d) => writeFileSync(join(d, 'front-proxy-ca.crt'), readFileSync(join(good, 'front-proxy-ca.crt')).subarray(0, 200)),
    ],
    ['state.json not JSON', 'state.json', (d) => writeFileSync(join(d, 'state.json'), '{'), undefined],
    [
      'state.json from a future kubeseed',
      'state.json',
      (d) => {
        const doc = JSON.parse(readFileSync(join(good, 'state.json'), 'utf8'));
        writeFileSync(join(d, 'state.json'), JSON.stringify({ ...doc, formatVersion: 2 }));
      },
      'formatVersion 2 is not supported (this kubeseed reads 1)',
    ],
    [
      'a token kubeadm would refuse',
      'state.json',
      (d) => {
        const doc = JSON.parse(readFileSync(join(good, 'state.json'), 'utf8'));
        writeFileSync(join(d, 'state.json'), JSON.stringify({ ...doc, bootstrapToken: { ...doc.bootstrapToken, token: 'ABCDEF.0123456789abcdef' } }));
      },
      'bootstrapToken.token must match [a-z0-9]{6}.[a-z0-9]{16}',
    ],
    [
      'sa.pub from another key',
      'sa.pub',
      (d) => writeFileSync(join(d, 'sa.pub'), states.ecdsa.serviceAccount.pub),
      'does not match sa.key',
    ],
    [
      'admin.conf not YAML',
      'admin.conf',
      (d) => writeFileSync(join(d, 'admin.conf'), 'users: [\n'),
    ],
    [
      'admin.conf with a client certificate from another CA',
      'admin.conf',
      (d) => {
        const other = issueClientCert(states.rsa.frontProxyCa, { cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'], now: NOW });
        const server = parseAdminKubeconfig(states.rsa.adminConf).server;
        expect(server).toBe('https://apiserver.cluster.local:6443');
        writeFileSync(
          join(d, 'admin.conf'),
          adminKubeconfigYaml({
            clusterName: 'demo',
            endpoint: { host: 'apiserver.cluster.local', port: 6443 },
            caCertPem: states.rsa.ca.cert,
            clientCertPem: other.cert,
            clientKeyPem: other.key,
          }),
        );
      },
      'its client certificate was not signed by ca.crt',
    ],
    [
      'apiserver-etcd-client.crt signed by the cluster CA instead of the etcd CA',
      'apiserver-etcd-client.crt',
      (d) => {
        const wrong = issueClientCert(states.rsa.ca, { cn: 'kube-apiserver-etcd-client', orgs: [], now: NOW });
        writeFileSync(join(d, 'apiserver-etcd-client.crt'), wrong.cert);
        writeFileSync(join(d, 'apiserver-etcd-client.key'), wrong.key);
      },
      'was not signed by etcd/ca.crt',
    ],
  ];
  it.each(damage)('%s is an error naming %s', (_what, file, breakIt, detail) => {
    const dir = copy();
    breakIt(dir);
    const before = snapshot(dir);
    expectStateFileError(() => readState(dir), file, 'invalid', detail);
    expect(snapshot(dir)).toEqual(before); // reading never repairs
  });

  it('ECDSA keys under an "rsa" state.json are an error naming the key file', () => {
    const dir = copy();
    writeFileSync(join(dir, 'sa.key'), states.ecdsa.serviceAccount.key);
    expectStateFileError(() => readState(dir), 'sa.key', 'invalid', 'holds an ecdsa key but state.json says keyAlgorithm rsa');
  });

  it('warns about files others can read, and still reads them', () => {
    const dir = copy();
    expect(readState(dir)).toMatchObject({ status: 'present', warnings: [] });
    chmodSync(join(dir, 'ca.key'), 0o644);
    chmodSync(dir, 0o755);
    const r = readState(dir);
    expect(r.status === 'present' && r.warnings).toEqual([
      `${dir} has mode 0755; expected 0700 (it holds cluster secrets)`,
      `${join(dir, 'ca.key')} has mode 0644; expected 0600 (it holds cluster secrets)`,
    ]);
  });
});

describe('writeState never overwrites', () => {
  it('refuses an existing directory, even an empty one, and leaves it alone', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'keep'), 'x');
    expect(() => writeState(dir, states.rsa)).toThrow(StateExistsError);
    expect([...snapshot(dir).keys()]).toEqual(['keep']);
    const empty = freshDir();
    mkdirSync(empty, { recursive: true });
    expect(() => writeState(empty, states.rsa)).toThrow(`state directory ${empty} already exists; existing state is never overwritten`);
    expect(readdirSync(join(empty, '..'))).toEqual(['state']);
  });

  it('refuses to write a state that would not read back', () => {
    const dir = freshDir();
    const broken = { ...states.rsa, ca: { ...states.rsa.ca, key: states.rsa.etcdCa.key } };
    expectStateFileError(() => writeState(dir, broken), 'ca.key', 'invalid', 'does not match ca.crt');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('replaceState', () => {
  it('swaps in the new state, keeps every other file and earlier backups, and backs up what changed under a dated name', () => {
    const dir = freshDir();
    writeState(dir, states.rsa);
    writeFileSync(join(dir, 'NOTES'), 'ours\n');
    const before = snapshot(dir);
    const now = new Date('2027-02-03T04:05:06.789Z');
    const next = withNewBootstrapToken(states.rsa, { now, ttlSeconds: 60, rng: seededRng('replace') });
    expect(replaceState(dir, next, { now, why: 'new-token', changed: ['state.json'] })).toBe(join(dir, 'backup/20270203T040506Z-new-token'));
    // The same second again: a second backup beside the first, nothing overwritten.
    expect(replaceState(dir, states.rsa, { now, why: 'new-token', changed: ['state.json'] })).toBe(join(dir, 'backup/20270203T040506Z-new-token-2'));
    const after = snapshot(dir);
    expect([...after.keys()].sort()).toEqual([...before.keys(), 'backup/20270203T040506Z-new-token/state.json', 'backup/20270203T040506Z-new-token-2/state.json'].sort());
    for (const [k, v] of before) expect(after.get(k), k).toEqual(v);
    expect(after.get('backup/20270203T040506Z-new-token/state.json')).toEqual(before.get('state.json'));
    expect(readState(dir)).toMatchObject({ status: 'present', warnings: [] });
    expect(readdirSync(join(dir, '..'))).toEqual(['state']);
    for (const d of ['', 'backup', 'backup/20270203T040506Z-new-token']) expect(statSync(join(dir, d)).mode & 0o777).toBe(0o700);
  });
});

describe('an interrupted state replacement', () => {
  it('is an error naming the parked state, never an absent state to make anew', () => {
    const dir = freshDir();
    writeState(dir, states.rsa);
    // What replaceState leaves if it stops between its two renames.
    const parked = join(dir, '..', '.state.replaced-x1y2z3');
    renameSync(dir, parked);
    expect(() => readState(dir)).toThrow(`state directory ${dir} is missing, but ${parked} holds the state a "kubeseed state" command was replacing when it stopped: rename it back to ${dir}`);
    expect(() => loadOrCreateState(dir, options('rsa'))).toThrow(StateError);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('loadOrCreateState', () => {
  it('creates once, then reuses the same files untouched', () => {
    const dir = freshDir();
    const first = loadOrCreateState(dir, options('ecdsa'));
    expect(first.created).toBe(true);
    const files = snapshot(dir);
    const mtime = statSync(join(dir, 'ca.key')).mtimeMs;
    const second = loadOrCreateState(dir, options('ecdsa', { now: new Date('2027-01-01T00:00:00Z') }));
    expect(second).toEqual({ state: first.state, created: false, dir, warnings: [] });
    expect(snapshot(dir)).toEqual(files);
    expect(statSync(join(dir, 'ca.key')).mtimeMs).toBe(mtime);
  });

  it('keeps the existing state when the profile changed, and says what differs', () => {
    const dir = freshDir();
    loadOrCreateState(dir, options('rsa'));
    const again = loadOrCreateState(dir, options('ecdsa', { clusterName: 'other', endpoint: { host: '10.0.0.5', port: 443 } }));
    expect(again.created).toBe(false);
    expect(again.state.keyAlgorithm).toBe('rsa');
    expect(again.warnings).toEqual([
      'the state was created with rsa keys; the profile asks for ecdsa (keeping rsa: the CAs cannot change under a running cluster)',
      'the state was created for cluster "demo"; the profile names "other"',
      'admin.conf points at https://apiserver.cluster.local:6443; the profile\'s endpoint is https://10.0.0.5:443',
    ]);
  });

  it('a half-present state throws and is not regenerated', () => {
    const dir = freshDir();
    loadOrCreateState(dir, options('rsa'));
    unlinkSync(join(dir, 'etcd/ca.key'));
    const before = snapshot(dir);
    expectStateFileError(() => loadOrCreateState(dir, options('rsa')), 'etcd/ca.key', 'missing');
    expect(snapshot(dir)).toEqual(before);
  });
});
