/**
 * test/e2e/search-disk.sh, the host-side search of a VM disk for the cluster's secrets, on small
 * ext4 images made here with `mkfs.ext4 -d` from a tree that plants the token and the state's
 * keys in allowed and forbidden places, a foreign private key, an OS host key, a gzip'd log, a
 * token across a 16 MiB read boundary, and a deleted file whose blocks still hold the token.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterState } from '../../src/pki/cluster-state.js';
import { writeState } from '../../src/state/write.js';
import { needRoot, needTools, run, type Skippable } from '../helpers/tools.js';

const SCRIPT = join(import.meta.dirname, '..', 'e2e', 'search-disk.sh');
let root: string;
let state: string;
let token: string;
const key = (f: string): string => readFileSync(join(state, f), 'utf8');

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kubeseed-search-disk-'));
  state = join(root, 'state');
  writeState(state, createClusterState({
    keyAlgorithm: 'ecdsa', now: new Date(), tokenTtlSeconds: 0, clusterName: 'c',
    kubernetesVersion: 'v1.31.12', endpoint: { host: 'api.c', port: 6443 },
  }));
  token = JSON.parse(key('state.json')).bootstrapToken.token;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function canRun(ctx: Skippable): void {
  needTools(ctx, 'mkfs.ext4:e2fsprogs', 'debugfs:e2fsprogs', 'qemu-img:qemu-utils', 'partx:util-linux', 'python3:python3');
  // mkfs.ext4 -d copies owners, and the dumped tree holds root-only files.
  needRoot(ctx, 'the disk search test');
}

function plant(tree: string, files: Record<string, { content: string | Buffer; mode: number }>): void {
  for (const [path, { content, mode }] of Object.entries(files)) {
    const p = join(tree, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    chmodSync(p, mode);
  }
}

/** An ext4 image of `tree` as qcow2; with `partitioned`, the file system sits at 1 MiB behind an MBR. */
function image(name: string, tree: string, after: string[] = [], partitioned = false): string {
  const fs = join(root, `${name}.ext4`);
  expect(run('mkfs.ext4', ['-q', '-F', '-d', tree, fs, '64M']).status).toBe(0);
  for (const cmd of after) expect(run('debugfs', ['-w', '-R', cmd, fs]).status).toBe(0);
  let rawImage = fs;
  if (partitioned) {
    const mbr = Buffer.alloc(1 << 20);
    const entry = 446;
    mbr[entry + 4] = 0x83;
    mbr.writeUInt32LE(2048, entry + 8);
    mbr.writeUInt32LE((64 << 20) / 512, entry + 12);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    rawImage = join(root, `${name}.disk`);
    writeFileSync(rawImage, Buffer.concat([mbr, readFileSync(fs)]));
  }
  const qcow2 = join(root, `${name}.qcow2`);
  expect(run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawImage, qcow2]).status).toBe(0);
  return qcow2;
}

function search(...args: string[]) {
  const r = run('bash', [SCRIPT, ...args]);
  // The secrets themselves are never printed, only named.
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(token);
    expect(text).not.toContain('PRIVATE KEY-----');
  }
  return r;
}

const bodyLine = (pem: string): string => pem.split('\n').find((l) => l.length >= 64 && !l.startsWith('-----'))!;
const foreignKey = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const tokenId = (): string => token.split('.')[0]!;

/** What a node may hold: the allowed places, and the OS's own host key. */
const ALLOWED = () => ({
  'etc/kubernetes/pki/ca.key': { content: key('ca.key'), mode: 0o600 },
  'etc/kubernetes/kubeadm/kubeadm.yaml': { content: `token: ${token}\n`, mode: 0o600 },
  'var/lib/kubelet/pki/kubelet.key': { content: foreignKey(), mode: 0o600 },
  'var/lib/cloud/instances/i-1/user-data.txt': { content: `write_files:\n  - content: |\n      ${key('etcd/ca.key').split('\n').join('\n      ')}\n    token: ${token}\n`, mode: 0o600 },
  'etc/ssh/ssh_host_ed25519_key': { content: foreignKey().replaceAll('PRIVATE KEY', 'OPENSSH PRIVATE KEY'), mode: 0o600 },
  'etc/hostname': { content: 'cp1\n', mode: 0o644 },
});

describe('search-disk.sh', () => {
  it('finds the token and the keys outside the allowed places, in gzip, across a read boundary, and in a deleted file\'s blocks', (ctx) => {
    canRun(ctx);
    const tree = join(root, 'dirty');
    plant(tree, {
      ...ALLOWED(),
      'var/lib/cloud/instances/i-1/user-data.txt.i': { content: `token ${token}\n`, mode: 0o644 },
      'var/log/kubeseed/firstboot.log': { content: `kubeadm join --token ${token}\n`, mode: 0o600 },
      'var/log/cloud-init-output.log.1.gz': { content: gzipSync(`a line\n${key('sa.key')}`), mode: 0o640 },
      'root/notes.pem': { content: foreignKey(), mode: 0o600 },
      // An OS package's example key (cloud-init ships some) is no leak; under /usr/local it would be.
      'usr/lib/python3/dist-packages/example.py': { content: `EXAMPLE = '''${foreignKey()}'''\n`, mode: 0o644 },
      'usr/local/lib/kubeseed/leak.sh': { content: `# ${foreignKey()}`, mode: 0o755 },
      // The token straddles the first 16 MiB read of the scan.
      'var/lib/big.bin': { content: Buffer.concat([Buffer.alloc((16 << 20) - 10), Buffer.from(token)]), mode: 0o644 },
      'tmp/leak': { content: `${token}\n`.repeat(10), mode: 0o600 },
      'tmp/admin.conf': { content: readFileSync(join(state, 'admin.conf')), mode: 0o600 },
    });
    const disk = image('dirty', tree, ['rm /tmp/leak']);
    const r = search('--state', state, disk);
    expect(r.status, r.stderr).toBe(1);
    const id = tokenId();
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      `allowed  token ${id} in /etc/kubernetes/kubeadm/kubeadm.yaml, mode 0600: /etc/kubernetes`,
      'allowed  key ca.key in /etc/kubernetes/pki/ca.key, mode 0600: /etc/kubernetes',
      `os-key   a private key in /etc/ssh/ssh_host_ed25519_key (the OS made it for itself), mode 0600`,
      'FOUND    a PEM private key in /root/notes.pem, mode 0600',
      'FOUND    key admin.conf client key (base64) in /tmp/admin.conf, mode 0600',
      'os-file  a PEM private key block in /usr/lib/python3/dist-packages/example.py: a file the OS packages ship (an example or test key), mode 0644',
      'FOUND    a PEM private key in /usr/local/lib/kubeseed/leak.sh, mode 0755',
      `FOUND    token ${id} in /var/lib/big.bin, mode 0644`,
      "allowed  key etcd/ca.key in /var/lib/cloud/instances/i-1/user-data.txt, mode 0600: cloud-init's private cache",
      `allowed  token ${id} in /var/lib/cloud/instances/i-1/user-data.txt, mode 0600: cloud-init's private cache`,
      `FOUND    token ${id} in /var/lib/cloud/instances/i-1/user-data.txt.i, mode 0644`,
      'allowed  a PEM private key in /var/lib/kubelet/pki/kubelet.key, mode 0600: /var/lib/kubelet',
      'FOUND    key sa.key in /var/log/cloud-init-output.log.1.gz (gunzipped), mode 0640',
      `FOUND    token ${id} in /var/log/kubeseed/firstboot.log, mode 0600`,
      `FOUND    token ${id} in the raw image: free space (data of a deleted or rewritten file) (10 places)`,
      'search-disk: 8 findings outside the allowed places',
    ]);
  });

  it('passes a disk that holds them only in the allowed places; --nothing-allowed fails the same disk; a partitioned disk is searched at its offset', (ctx) => {
    canRun(ctx);
    const tree = join(root, 'clean');
    plant(tree, ALLOWED());
    const id = tokenId();
    for (const disk of [image('clean', tree), image('clean-mbr', tree, [], true)]) {
      const ok = search('--state', state, disk);
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^search-disk: 0 findings outside the allowed places\n$/m);
      expect(ok.stdout).toContain(`allowed  token ${id} in /var/lib/cloud/instances/i-1/user-data.txt, mode 0600: cloud-init's private cache`);

      const none = search('--nothing-allowed', '--key', join(state, 'ca.key'), disk, token);
      expect(none.status).toBe(1);
      expect(none.stdout.split('\n').filter((l) => l.startsWith('FOUND'))).toEqual([
        `FOUND    token ${id} in /etc/kubernetes/kubeadm/kubeadm.yaml, mode 0600`,
        'FOUND    key ca.key in /etc/kubernetes/pki/ca.key, mode 0600',
        `FOUND    token ${id} in /var/lib/cloud/instances/i-1/user-data.txt, mode 0600`,
        'FOUND    a PEM private key in /var/lib/kubelet/pki/kubelet.key, mode 0600',
      ]);
    }
  });

  it('a cache file cloud-init left readable by others is not allowed', (ctx) => {
    canRun(ctx);
    const tree = join(root, 'loose');
    plant(tree, { 'var/lib/cloud/instance/obj.pkl': { content: `userdata ${token}`, mode: 0o644 } });
    const r = search(image('loose', tree), token);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`FOUND    token ${tokenId()} in /var/lib/cloud/instance/obj.pkl, mode 0644\n`);
  });

  it('bad usage exits 2', () => {
    expect(run('bash', [SCRIPT]).status).toBe(2);
    expect(run('bash', [SCRIPT, '/nonexistent.qcow2', 'abcdef.0123456789abcdef']).status).toBe(2);
  });
});
