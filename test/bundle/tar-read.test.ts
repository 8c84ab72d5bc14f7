/**
 * readTarMember against tars written by the bundle's own writer (tar.ts) and checked by the real
 * tar: a member found by name (short, ustar-prefixed, pax-long), a missing one, and a size limit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTarMember } from '../../src/emit/bundle/tar-read.js';
import { writeTar, type TarEntry } from '../../src/emit/bundle/tar.js';
import { needTools, run } from '../helpers/tools.js';
import { sha256 } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeseed-tar-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const prefixed = `files/${'p'.repeat(110)}/manifest.yaml`;
const long = `files/${'l'.repeat(300)}.yaml`;
const big = Buffer.alloc(3 << 20, 7);
const bigPath = join(dir, 'big');
writeFileSync(bigPath, big);

const entries: TarEntry[] = [
  { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from('{}\n') },
  { type: 'directory', path: 'files', mode: 0o755 },
  { type: 'file', path: 'files/big.bin', mode: 0o644, source: bigPath, size: big.length, sha256: sha256(big), label: 'big' },
  { type: 'buffer', path: 'files/kube-flannel.yml', mode: 0o644, content: Buffer.from('kind: ConfigMap\n') },
  { type: 'buffer', path: prefixed, mode: 0o644, content: Buffer.from('prefixed\n') },
  { type: 'buffer', path: long, mode: 0o644, content: Buffer.from('long\n') },
];

describe('readTarMember', () => {
  const tar = join(dir, 'b.tar');

  it('finds members after a large one, by short, prefixed and pax-long names, as tar lists them', async (ctx) => {
    await writeTar(tar, entries, { mtime: new Date(0) });
    expect((await readTarMember(tar, 'files/kube-flannel.yml'))?.toString()).toBe('kind: ConfigMap\n');
    expect((await readTarMember(tar, prefixed))?.toString()).toBe('prefixed\n');
    expect((await readTarMember(tar, long))?.toString()).toBe('long\n');
    expect((await readTarMember(tar, 'bundle.json'))?.toString()).toBe('{}\n');
    needTools(ctx, 'tar:tar');
    const r = run('tar', ['-tf', tar]);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['bundle.json', 'files/', 'files/big.bin', 'files/kube-flannel.yml', prefixed, long]);
  });

  it('gives undefined for a member the tar lacks, and for a directory', async () => {
    await writeTar(tar, entries, { mtime: new Date(0) });
    expect(await readTarMember(tar, 'files/calico.yaml')).toBeUndefined();
    expect(await readTarMember(tar, 'files')).toBeUndefined();
  });

  it('refuses a member above its size limit', async () => {
    await writeTar(tar, entries, { mtime: new Date(0) });
    await expect(readTarMember(tar, 'files/big.bin', 1 << 20)).rejects.toThrow(`${tar}: files/big.bin is ${big.length} bytes, more than the ${1 << 20} read here`);
  });
});
