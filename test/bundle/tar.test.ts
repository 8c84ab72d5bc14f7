/**
 * The bundle's tar writer (tar.ts) read back by GNU tar and bsdtar: names (short, split into the
 * ustar prefix, in a PAX header when they cannot be split or are not ASCII), modes, sizes, mtime,
 * contents across the writer's 1 MiB buffer; the same bytes twice; the whole-tar sha256; and the
 * checks on each file: a digest or a size that is not the one promised fails the write.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../src/emit/bundle/digest.js';
import { writeTar, type TarEntry } from '../../src/emit/bundle/tar.js';
import { needTools, run } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeseed-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function source(name: string, size: number): { path: string; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 9)) & 255;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

const big = source('big', 2 * 1024 * 1024 + 513);
const odd = source('odd', 511);
const split = `packages/${'s'.repeat(98)}.deb`;
const paxLong = `packages/${'x'.repeat(120)}.deb`;
const entries: TarEntry[] = [
  { type: 'buffer', path: 'bundle.json', mode: 0o644, content: Buffer.from('{}\n') },
  { type: 'directory', path: 'files', mode: 0o755 },
  { type: 'file', path: 'files/big.bin', mode: 0o755, source: big.path, size: big.bytes.length, sha256: sha(big.bytes), label: 'big' },
  { type: 'file', path: split, mode: 0o600, source: odd.path, size: 511, sha256: sha(odd.bytes), label: 'odd' },
  { type: 'file', path: paxLong, mode: 0o644, source: odd.path, size: 511, sha256: sha(odd.bytes), label: 'odd' },
  { type: 'buffer', path: 'files/ünïcode.txt', mode: 0o644, content: Buffer.from('u\n') },
];
const MTIME = new Date(1_700_000_000_000);

describe('writeTar', () => {
  const tar = join(dir, 'a.tar');

  it('writes what GNU tar and bsdtar list and extract: names, modes, sizes, mtime, bytes', async (ctx) => {
    needTools(ctx, 'tar:tar', 'bsdtar:libarchive-tools');
    const r = await writeTar(tar, entries, { mtime: MTIME, sha256: true });
    expect(r.bytes).toBe(readFileSync(tar).length);
    expect(r.bytes % 512).toBe(0);
    expect(r.sha256).toBe(sha(readFileSync(tar)));
    const listed = run('tar', ['--numeric-owner', '--full-time', '-tvf', tar], { env: { ...process.env, TZ: 'UTC' } });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/))).toEqual([
      ['-rw-r--r--', '0/0', '3', '2023-11-14', '22:13:20', 'bundle.json'],
      ['drwxr-xr-x', '0/0', '0', '2023-11-14', '22:13:20', 'files/'],
      ['-rwxr-xr-x', '0/0', String(big.bytes.length), '2023-11-14', '22:13:20', 'files/big.bin'],
      ['-rw-------', '0/0', '511', '2023-11-14', '22:13:20', split],
      ['-rw-r--r--', '0/0', '511', '2023-11-14', '22:13:20', paxLong],
      ['-rw-r--r--', '0/0', '2', '2023-11-14', '22:13:20', 'files/ünïcode.txt'],
    ]);
    for (const [tool, args] of [['tar', ['-xf']], ['bsdtar', ['-xf']]] as const) {
      const out = mkdtempSync(join(dir, `${tool}-`));
      const x = run(tool, [...args, tar, '-C', out]);
      expect(x.status, x.stderr).toBe(0);
      expect(sha(readFileSync(join(out, 'files/big.bin')))).toBe(sha(big.bytes));
      expect(readFileSync(join(out, paxLong))).toEqual(odd.bytes);
      expect(readFileSync(join(out, 'files/ünïcode.txt'), 'utf8')).toBe('u\n');
    }
  });

  it('gives the same bytes for the same entries', async () => {
    const again = join(dir, 'b.tar');
    await writeTar(tar, entries, { mtime: MTIME });
    await writeTar(again, entries, { mtime: MTIME });
    expect(sha(readFileSync(again))).toBe(sha(readFileSync(tar)));
  });

  it('lets the event loop run while a large file is copied (images are pulled meanwhile)', async () => {
    const large = source('large', 40 * 1024 * 1024);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await writeTar(join(dir, 'large.tar'), [
        { type: 'file', path: 'images/large.tar', mode: 0o644, source: large.path, size: large.bytes.length, sha256: sha(large.bytes), label: 'large' },
      ], { mtime: MTIME });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('fails on a file whose sha256 or size is not the one promised', async () => {
    const bad = join(dir, 'bad.tar');
    const file = entries[2] as Extract<TarEntry, { type: 'file' }>;
    await expect(writeTar(bad, [{ ...file, sha256: '0'.repeat(64) }], { mtime: MTIME })).rejects.toThrow(DigestMismatchError);
    await expect(writeTar(bad, [{ ...file, size: file.size + 1 }], { mtime: MTIME }))
      .rejects.toThrow(`big changed size while being bundled: expected ${file.size + 1} bytes, read ${file.size}`);
    await expect(writeTar(bad, [{ ...file, size: file.size - 1 }], { mtime: MTIME }))
      .rejects.toThrow(`big changed size while being bundled: expected ${file.size - 1} bytes, read more`);
  });
});
