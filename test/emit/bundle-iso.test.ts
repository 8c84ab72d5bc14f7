/**
 * The shared bundle medium (src/emit/bundle-iso.ts), read back with the real tools: isoinfo and
 * blkid name its volume KSBUNDLE, xorriso extracts the bundle's three files byte for byte; a second
 * write from unchanged files writes nothing (same inode, times and bytes), and any change to an
 * input rewrites it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_ISO_RECORD, writeBundleIso } from '../../src/emit/bundle-iso.js';
import { needTools, run } from '../helpers/tools.js';

const EPOCH = 1_700_000_000;
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Bytes that do not repeat, so a misplaced block cannot pass for the right one. */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A bundle directory as kubeseed bundle leaves it (the writer does not look inside the tar). */
function bundleDir(tarBytes = pattern(3 * 1024 * 1024 + 17, 1)): string {
  const root = mkdtempSync(join(tmpdir(), 'kubeseed-bundle-iso-'));
  roots.push(root);
  const dir = join(root, 'lab.bundle');
  mkdirSync(dir);
  writeFileSync(join(dir, 'kubeseed-bundle.tar'), tarBytes);
  writeFileSync(join(dir, 'bundle.json'), '{"kind":"KubeseedBundle","version":2}\n');
  writeFileSync(join(dir, 'SHA256SUMS'), `${'a'.repeat(64)}  files/kubeadm\n`);
  return dir;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
/** What a rewrite would change: the inode, the times and the bytes. */
const identity = (path: string): string => {
  const s = statSync(path, { bigint: true });
  return `${s.ino} ${s.mtimeNs} ${s.ctimeNs} ${sha256(readFileSync(path))}`;
};

describe('the shared bundle medium (bundle.iso)', () => {
  it('is an ISO 9660 volume KSBUNDLE holding the bundle\'s tar, bundle.json and SHA256SUMS, byte for byte', async (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso', 'blkid:util-linux');
    const dir = bundleDir();
    const r = await writeBundleIso(dir, { epochSeconds: EPOCH });
    const iso = join(dir, 'bundle.iso');
    expect(r).toEqual({ path: iso, volumeId: 'KSBUNDLE', sha256: sha256(readFileSync(iso)), size: statSync(iso).size, reused: false });
    expect((statSync(iso).mode & 0o777).toString(8)).toBe('644');
    const info = run('isoinfo', ['-d', '-i', iso]);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^Volume id: KSBUNDLE$/m);
    expect(info.stdout).toMatch(/^Joliet with UCS level 3 found$/m);
    expect(info.stdout).toMatch(/^Rock Ridge signatures version 1 found$/m);
    // libblkid, which blkid -L and udev's /dev/disk/by-label/ use on the node.
    const label = run('blkid', ['-o', 'value', '-s', 'LABEL', iso]);
    expect(label.stdout.trim(), label.stderr).toBe('KSBUNDLE');
    const listing = run('isoinfo', ['-f', '-R', '-i', iso]);
    expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual(['/SHA256SUMS', '/bundle.json', '/kubeseed-bundle.tar']);
    const out = join(dir, '..', 'extracted');
    const x = run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
    expect(x.status, x.stderr).toBe(0);
    for (const f of ['kubeseed-bundle.tar', 'bundle.json', 'SHA256SUMS']) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(dir, f))), f).toBe(true);
    }
    // What it was made from, for the next compile and for audit.
    const record = JSON.parse(readFileSync(join(dir, BUNDLE_ISO_RECORD), 'utf8'));
    expect(record.files.map((f: { path: string; sha256: string }) => `${f.path} ${f.sha256}`)).toEqual(
      ['kubeseed-bundle.tar', 'bundle.json', 'SHA256SUMS'].map((f) => `${f} ${sha256(readFileSync(join(dir, f)))}`));
    expect(record.iso.sha256).toBe(r.sha256);
    expect(record.epoch).toBe(EPOCH);
    // Nothing temporary is left beside it.
    expect(readdirSync(dir).sort()).toEqual(['SHA256SUMS', 'bundle.iso', BUNDLE_ISO_RECORD, 'bundle.json', 'kubeseed-bundle.tar'].sort());
  });

  it('is kept, not written, when the bundle and the timestamp are unchanged; the same inputs give the same bytes', async () => {
    const dir = bundleDir();
    const first = await writeBundleIso(dir, { epochSeconds: EPOCH });
    const iso = join(dir, 'bundle.iso');
    const before = identity(iso);
    const record = readFileSync(join(dir, BUNDLE_ISO_RECORD));
    let progress = 0;
    const again = await writeBundleIso(dir, { epochSeconds: EPOCH, onProgress: () => { progress += 1; } });
    expect(again).toEqual({ ...first, reused: true });
    expect(progress).toBe(0);
    expect(identity(iso)).toBe(before);
    expect(readFileSync(join(dir, BUNDLE_ISO_RECORD)).equals(record)).toBe(true);
    // Another directory with the same files writes the same image.
    const other = bundleDir();
    expect((await writeBundleIso(other, { epochSeconds: EPOCH })).sha256).toBe(first.sha256);
  });

  it('is written again when the bundle tar changes, even with its size and modification time kept', async () => {
    const dir = bundleDir();
    const tar = join(dir, 'kubeseed-bundle.tar');
    // Whole seconds, so that the modification time can be put back exactly (as cp -p or rsync do).
    utimesSync(tar, EPOCH, EPOCH);
    const first = await writeBundleIso(dir, { epochSeconds: EPOCH });
    const other = pattern(statSync(tar).size, 2);
    writeFileSync(tar, other);
    utimesSync(tar, EPOCH, EPOCH);
    expect(statSync(tar, { bigint: true }).mtimeNs).toBe(BigInt(EPOCH) * 1_000_000_000n);
    const r = await writeBundleIso(dir, { epochSeconds: EPOCH });
    expect(r.reused).toBe(false);
    expect(r.sha256).not.toBe(first.sha256);
    const record = JSON.parse(readFileSync(join(dir, BUNDLE_ISO_RECORD), 'utf8'));
    expect(record.files[0].sha256).toBe(sha256(other));
  });

  it('is written again for another timestamp, a changed bundle.json, or a damaged or missing image', async () => {
    const dir = bundleDir();
    const iso = join(dir, 'bundle.iso');
    await writeBundleIso(dir, { epochSeconds: EPOCH });
    expect((await writeBundleIso(dir, { epochSeconds: EPOCH + 1 })).reused).toBe(false);
    writeFileSync(join(dir, 'bundle.json'), '{"kind":"KubeseedBundle","version":2,"changed":true}\n');
    expect((await writeBundleIso(dir, { epochSeconds: EPOCH + 1 })).reused).toBe(false);
    const good = readFileSync(iso);
    writeFileSync(iso, Buffer.concat([good.subarray(0, 100), Buffer.from('x'), good.subarray(101)]));
    const repaired = await writeBundleIso(dir, { epochSeconds: EPOCH + 1 });
    expect(repaired.reused).toBe(false);
    expect(readFileSync(iso).equals(good)).toBe(true);
    rmSync(iso);
    expect((await writeBundleIso(dir, { epochSeconds: EPOCH + 1 })).reused).toBe(false);
    expect(sha256(readFileSync(iso))).toBe(sha256(good));
  });

  it('names the missing bundle file and writes nothing', async () => {
    const dir = bundleDir();
    rmSync(join(dir, 'SHA256SUMS'));
    await expect(writeBundleIso(dir, { epochSeconds: EPOCH })).rejects.toThrow(`${join(dir, 'SHA256SUMS')} is missing: run "kubeseed bundle" first (artifacts.source is bundle)`);
    expect(readdirSync(dir).sort()).toEqual(['bundle.json', 'kubeseed-bundle.tar']);
  });
});
