import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/emit/bundle/build.js';
import { ContentStore } from '../../src/oci/content-store.js';
import { DigestMismatchError } from '../../src/emit/bundle/digest.js';
import { needTools, run } from '../helpers/tools.js';
import { bytesFor, makeFixture, sha256, writeFromDir } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'kubeseed-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (name: string) => join(root, `${name}-${++n}`);

const fx = makeFixture();
const fromDir = writeFromDir(dir('from'), fx);

describe('buildBundle from a --from directory', () => {
  it('writes a tar that tar extracts and sha256sum -c accepts', async (ctx) => {
    needTools(ctx, 'tar:tar', 'sha256sum:coreutils');
    const out = dir('out');
    const r = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: out, sourceDateEpoch: 1700000000 });
    expect(readdirSync(out).sort()).toEqual(['SHA256SUMS', 'bundle.json', 'kubeseed-bundle.tar']);

    const x = dir('x');
    run('mkdir', ['-p', x]);
    const ex = run('tar', ['-xf', r.tarPath, '-C', x]);
    expect(ex.status).toBe(0);
    const check = run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout).toBe(
      [
        'files/cni-plugins-linux-amd64-v1.8.0.tgz: OK',
        'files/containerd-1.7.30-linux-amd64.tar.gz: OK',
        'files/crictl-v1.31.1-linux-amd64.tar.gz: OK',
        'files/kubeadm: OK',
        'files/kubectl: OK',
        'files/kubelet: OK',
        'files/runc.amd64: OK',
        '',
      ].join('\n'),
    );
    // The tar carries the same SHA256SUMS and bundle.json as the files beside it.
    expect(readFileSync(join(x, 'SHA256SUMS'), 'utf8')).toBe(readFileSync(r.sha256sumsPath, 'utf8'));
    expect(readFileSync(join(x, 'bundle.json'), 'utf8')).toBe(readFileSync(r.bundleJsonPath, 'utf8'));
    for (const [name, body] of fx.content) expect(sha256(readFileSync(join(x, 'files', name)))).toBe(sha256(body));
  });

  it('stamps fixed owners, modes and mtime on every entry, in sorted order', async (ctx) => {
    needTools(ctx, 'tar:tar');
    const r = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: dir('out'), sourceDateEpoch: 1700000000 });
    const list = run('tar', ['--numeric-owner', '--full-time', '-tvf', r.tarPath], { env: { ...process.env, TZ: 'UTC' } });
    expect(list.status).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .map((c) => `${c[0]} ${c[1]} ${c[2]} ${c[3]} ${c[4]} ${c[5]}`);
    const t = '2023-11-14 22:13:20';
    const size = (f: string) => (fx.content.get(f) as Buffer).length;
    expect(rows).toEqual([
      `-rw-r--r-- 0/0 ${readFileSync(r.bundleJsonPath).length} ${t} bundle.json`,
      `-rw-r--r-- 0/0 ${readFileSync(r.sha256sumsPath).length} ${t} SHA256SUMS`,
      `drwxr-xr-x 0/0 0 ${t} files/`,
      `-rw-r--r-- 0/0 ${size('cni-plugins-linux-amd64-v1.8.0.tgz')} ${t} files/cni-plugins-linux-amd64-v1.8.0.tgz`,
      `-rw-r--r-- 0/0 ${size('containerd-1.7.30-linux-amd64.tar.gz')} ${t} files/containerd-1.7.30-linux-amd64.tar.gz`,
      `-rw-r--r-- 0/0 ${size('crictl-v1.31.1-linux-amd64.tar.gz')} ${t} files/crictl-v1.31.1-linux-amd64.tar.gz`,
      `-rwxr-xr-x 0/0 ${size('kubeadm')} ${t} files/kubeadm`,
      `-rwxr-xr-x 0/0 ${size('kubectl')} ${t} files/kubectl`,
      `-rwxr-xr-x 0/0 ${size('kubelet')} ${t} files/kubelet`,
      `-rwxr-xr-x 0/0 ${size('runc.amd64')} ${t} files/runc.amd64`,
    ]);
  });

  it('gives identical bytes for two builds, whatever the input files\' own times', async () => {
    const a = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: dir('out'), sourceDateEpoch: 0 });
    for (const name of fx.content.keys()) utimesSync(join(fromDir, name), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: dir('out'), sourceDateEpoch: 0 });
    expect(sha256(readFileSync(b.tarPath))).toBe(sha256(readFileSync(a.tarPath)));
    expect(readFileSync(b.tarPath).equals(readFileSync(a.tarPath))).toBe(true);
  });

  it('describes every artifact in bundle.json, and the kinds it leaves out', async () => {
    const r = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: dir('out') });
    const j = JSON.parse(readFileSync(r.bundleJsonPath, 'utf8'));
    expect(j.kind).toBe('KubeseedBundle');
    expect(j.version).toBe(2);
    expect(j.skipped).toEqual(['images']);
    expect(j.kubernetesVersion).toBe('v1.31.12');
    expect(j.arch).toBe('amd64');
    const kubeadm = fx.content.get('kubeadm') as Buffer;
    expect(j.artifacts.find((a: { name: string }) => a.name === 'kubeadm')).toEqual({
      name: 'kubeadm',
      kind: 'binary',
      version: 'v1.31.12',
      path: 'files/kubeadm',
      sha256: sha256(kubeadm),
      size: kubeadm.length,
      url: 'https://dl.k8s.io/release/v1.31.12/bin/linux/amd64/kubeadm',
      installTo: '/usr/local/bin/kubeadm',
      mode: '0755',
    });
    expect(j.artifacts).toHaveLength(7);
    expect(j.packages).toEqual(['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute2', 'iptables', 'ipvsadm', 'kmod', 'socat']
      .map((n) => ({ tool: n, manager: 'apt', name: n })));
  });

  it('takes an extracted bundle as a --from directory', async (ctx) => {
    needTools(ctx, 'tar:tar');
    const first = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: dir('out') });
    const x = dir('x');
    run('mkdir', ['-p', x]);
    expect(run('tar', ['-xf', first.tarPath, '-C', x]).status).toBe(0);
    const second = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir: x, cacheDir: dir('cache'), outDir: dir('out') });
    expect(readFileSync(second.tarPath).equals(readFileSync(first.tarPath))).toBe(true);
  });

  it('rejects a corrupted input naming file, expected and actual digest, and leaves no bundle', async () => {
    const from = writeFromDir(dir('from-bad'), fx);
    const good = fx.content.get('kubelet') as Buffer;
    const bad = Buffer.from(good);
    bad[100] = (bad[100] as number) ^ 0xff;
    writeFileSync(join(from, 'kubelet'), bad);
    const out = dir('out');
    const err = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir: from, cacheDir: dir('cache'), outDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toBe(`sha256 mismatch for ${join(from, 'kubelet')}: expected ${sha256(good)}, got ${sha256(bad)}`);
    expect(existsSync(out)).toBe(false);
  });

  it('a failed build leaves the previous bundle as it was: never a new tar with old SHA256SUMS or bundle.json', async () => {
    const parent = dir('parent');
    const out = join(parent, 'c.bundle');
    await buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir, cacheDir: dir('cache'), outDir: out });
    const before = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
    const from = writeFromDir(dir('from-bad'), fx);
    writeFileSync(join(from, 'kubelet'), Buffer.concat([fx.content.get('kubelet') as Buffer, Buffer.from('x')]));
    await expect(buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir: from, cacheDir: dir('cache'), outDir: out })).rejects.toThrow(DigestMismatchError);
    expect(Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]))).toEqual(before);
    // Nothing of the failed build is left beside it either.
    expect(readdirSync(parent)).toEqual(['c.bundle']);
  });

  it('reports a missing binary with where it looked', async () => {
    const from = writeFromDir(dir('from-missing'), fx);
    rmSync(join(from, 'runc.amd64'));
    const cache = dir('cache');
    await expect(buildBundle({ skip: ['images'], artifacts: fx.artifacts, fromDir: from, cacheDir: cache, outDir: dir('out') })).rejects.toThrow(
      `artifacts not found (--from ${from}, cache ${cache}, no mirror given): runc.amd64`,
    );
  });
});

describe('buildBundle from the cache', () => {
  it('drops a cache entry that no longer matches its digest', async () => {
    const cache = dir('cache');
    run('mkdir', ['-p', join(cache, 'sha256')]);
    for (const body of fx.content.values()) writeFileSync(new ContentStore(cache).path(`sha256:${sha256(body)}`), body);
    const ok = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, cacheDir: cache, outDir: dir('out') });
    expect(ok.files).toHaveLength(7);

    const crictl = fx.content.get('crictl-v1.31.1-linux-amd64.tar.gz') as Buffer;
    const p = new ContentStore(cache).path(`sha256:${sha256(crictl)}`);
    writeFileSync(p, Buffer.concat([crictl.subarray(0, 10), Buffer.from('X'), crictl.subarray(11)]));
    const out = dir('out');
    await expect(buildBundle({ skip: ['images'], artifacts: fx.artifacts, cacheDir: cache, outDir: out })).rejects.toThrow(
      /^sha256 mismatch for crictl-v1\.31\.1-linux-amd64\.tar\.gz \(cache .*\): expected [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
    expect(existsSync(p)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
