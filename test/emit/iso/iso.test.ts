import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoFileFromBuffer, isoFileFromPath, planIso, writeIso, type IsoFile } from '../../../src/emit/iso/index.js';
import { needTools, run } from '../../helpers/tools.js';
import { parseListing, summarize } from './listing.js';

const EPOCH = 1_700_000_000; // 2023-11-14T22:13:20Z
const OPTS = { volumeId: 'cidata', epochSeconds: EPOCH };

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const LONG = `${'a-very-long-name-'.repeat(12)}end.tar.gz`; // over 200 bytes: NM in a continuation area
const CONTENT: Record<string, { bytes: Buffer; mode: number }> = {
  'user-data': { bytes: Buffer.from('#cloud-config\nhostname: cp1\n'), mode: 0o600 },
  'meta-data': { bytes: Buffer.from('instance-id: cp1\nlocal-hostname: cp1\n'), mode: 0o644 },
  'network-config': { bytes: Buffer.from('version: 2\nethernets: {}\n'), mode: 0o644 },
  'kubeseed/bundle.tar': { bytes: pattern(300_001, 1), mode: 0o640 },
  'kubeseed/bin/kubeadm': { bytes: pattern(2048, 2), mode: 0o755 },
  'kubeseed/images/containerd-1.tar': { bytes: pattern(4097, 3), mode: 0o644 },
  'kubeseed/images/containerd-2.tar': { bytes: pattern(1, 4), mode: 0o644 },
  [`kubeseed/images/${LONG}`]: { bytes: pattern(10, 5), mode: 0o444 },
  'kubeseed/empty': { bytes: Buffer.alloc(0), mode: 0o644 },
};

function inputs(order: 'asc' | 'desc' = 'asc'): IsoFile[] {
  const paths = Object.keys(CONTENT).sort();
  if (order === 'desc') paths.reverse();
  return paths.map((p) => isoFileFromBuffer(p, CONTENT[p]!.bytes, CONTENT[p]!.mode));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** xorriso reports problems on stderr with these severities. */
function xorrisoProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /\b(SORRY|FAILURE|FATAL|WARNING|MISHAP|ABORT)\b/.test(l));
}

let dir: string;
let iso: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeseed-iso-'));
  iso = join(dir, 'seed.iso');
  await writeIso(inputs(), OPTS, iso);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seed ISO read back by isoinfo', () => {
  it('has volume id cidata, Joliet level 3 and Rock Ridge', (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage');
    const r = run('isoinfo', ['-d', '-i', iso]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('Volume id: cidata');
    expect(lines).toContain('Joliet with UCS level 3 found');
    expect(lines).toContain('Rock Ridge signatures version 1 found');
    expect(lines).toContain(`Volume size is: ${statSync(iso).size / 2048}`);
  });

  const expectedTree = (withMode: boolean, jolietLong = false) => {
    const m = (mode: number, dir = false) =>
      withMode ? `${dir ? 'd' : '-'}${[6, 3, 0].map((s) => { const b = (mode >> s) & 7; return `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`; }).join('')} ` : '';
    const f = (p: string, name: string) => `${m(CONTENT[p]!.mode)}${name}`;
    return {
      '/': [`${m(0o755, true)}kubeseed`, f('meta-data', 'meta-data'), f('network-config', 'network-config'), f('user-data', 'user-data')].sort(),
      '/kubeseed/': [`${m(0o755, true)}bin`, f('kubeseed/bundle.tar', 'bundle.tar'), f('kubeseed/empty', 'empty'), `${m(0o755, true)}images`].sort(),
      '/kubeseed/bin/': [f('kubeseed/bin/kubeadm', 'kubeadm')],
      '/kubeseed/images/': [
        f('kubeseed/images/containerd-1.tar', 'containerd-1.tar'),
        f('kubeseed/images/containerd-2.tar', 'containerd-2.tar'),
        f(`kubeseed/images/${LONG}`, jolietLong ? LONG.slice(0, 64) : LONG),
      ].sort(),
    };
  };

  it('lists the real names through Joliet (64-character Joliet limit)', (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage');
    const r = run('isoinfo', ['-J', '-l', '-i', iso]);
    expect(r.status).toBe(0);
    expect(summarize(parseListing(r.stdout), false)).toEqual(expectedTree(false, true));
  });

  it('lists the real names and modes through Rock Ridge', (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage');
    const r = run('isoinfo', ['-R', '-l', '-i', iso]);
    expect(r.status).toBe(0);
    expect(summarize(parseListing(r.stdout), true)).toEqual(expectedTree(true));
  });

  it('keeps ISO 9660 level 1 identifiers in the primary tree', (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage');
    const r = run('isoinfo', ['-l', '-i', iso]);
    expect(r.status).toBe(0);
    expect(summarize(parseListing(r.stdout), false)).toEqual({
      '/': ['KUBESEED', 'META_DAT.;1', 'NETWORK_.;1', 'USER_DAT.;1'],
      '/KUBESEED/': ['BIN', 'BUNDLE.TAR;1', 'EMPTY.;1', 'IMAGES'],
      '/KUBESEED/BIN/': ['KUBEADM.;1'],
      '/KUBESEED/IMAGES/': ['A_VERY_L.GZ;1', 'CONTAIN1.TAR;1', 'CONTAINE.TAR;1'],
    });
  });

  it('isoinfo -x gives the input bytes back', (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage');
    const r = spawnSync('isoinfo', ['-J', '-i', iso, '-x', '/kubeseed/bundle.tar']);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(CONTENT['kubeseed/bundle.tar']!.bytes)).toBe(true);
    const out = run('sh', ['-c', `isoinfo -R -i "$1" -x /kubeseed/bundle.tar | sha256sum`, 'sh', iso]);
    expect(out.stdout.split(' ')[0]).toBe(createHash('sha256').update(CONTENT['kubeseed/bundle.tar']!.bytes).digest('hex'));
  });
});

describe('seed ISO read back by xorriso', () => {
  it('loads without warnings and extracts every file byte for byte, with its mode', (ctx) => {
    needTools(ctx, 'xorriso:xorriso');
    const out = join(dir, 'extract');
    const r = run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
    expect(r.status).toBe(0);
    expect(xorrisoProblems(r.stderr)).toEqual([]);
    for (const [p, { bytes, mode }] of Object.entries(CONTENT)) {
      expect(readFileSync(join(out, p)).equals(bytes), p).toBe(true);
      expect(statSync(join(out, p)).mode & 0o7777, p).toBe(mode);
    }
    chmodSync(out, 0o755);
  });

  it('reports the same tree through its own Rock Ridge reader', (ctx) => {
    needTools(ctx, 'xorriso:xorriso');
    const r = run('xorriso', ['-indev', iso, '-find', '/', '-exec', 'lsdl', '--']);
    expect(r.status).toBe(0);
    expect(xorrisoProblems(r.stderr)).toEqual([]);
    const listed = r.stdout.split('\n').filter(Boolean).map((l) => {
      const m = /^(\S{10})\s.*'(.*)'$/.exec(l);
      return m ? `${m[1]} ${m[2]}` : l;
    });
    expect(listed).toContain("-rw------- /user-data");
    expect(listed).toContain("-rwxr-xr-x /kubeseed/bin/kubeadm");
    expect(listed).toContain(`-r--r--r-- /kubeseed/images/${LONG}`);
    expect(listed).toHaveLength(Object.keys(CONTENT).length + 4); // + / kubeseed bin images
  });
});

describe('seed ISO read back by bsdtar (libarchive, a one-pass reader)', () => {
  it('lists every path with its mode and extracts the input bytes', (ctx) => {
    needTools(ctx, 'bsdtar:libarchive-tools');
    const r = run('bsdtar', ['-tvf', iso]);
    expect(r.status).toBe(0);
    const listed = r.stdout.split('\n').filter(Boolean).map((l) => {
      const f = l.split(/\s+/);
      return `${f[0]} ${f.slice(8).join(' ')}`;
    });
    const files = Object.entries(CONTENT).map(([p, { mode }]) => `-${(mode | 0o100000).toString(8).slice(-3).split('').map((d) => ['---', '--x', '-w-', '-wx', 'r--', 'r-x', 'rw-', 'rwx'][Number(d)]).join('')} ${p}`);
    const dirs = ['.', 'kubeseed', 'kubeseed/bin', 'kubeseed/images'].map((d) => `drwxr-xr-x ${d}`);
    expect(listed.sort()).toEqual([...dirs, ...files].sort());
    const out = join(dir, 'bsdtar-x');
    run('mkdir', ['-p', out]);
    expect(run('bsdtar', ['-xf', iso, '-C', out]).status).toBe(0);
    for (const [p, { bytes }] of Object.entries(CONTENT)) expect(readFileSync(join(out, p)).equals(bytes), p).toBe(true);
  });
});

describe('seed ISO seen by blkid (how cloud-init finds a NoCloud seed)', () => {
  it('has LABEL cidata and TYPE iso9660', (ctx) => {
    needTools(ctx, 'blkid:util-linux');
    const r = run('blkid', ['-o', 'export', '-p', iso]);
    expect(r.status).toBe(0);
    const kv = Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => l.split('=', 2) as [string, string]));
    expect(kv.LABEL).toBe('cidata');
    expect(kv.TYPE).toBe('iso9660');
  });
});

describe('determinism and streaming contract', () => {
  it('builds identical bytes twice, whatever the input order', async () => {
    const again = join(dir, 'again.iso');
    await writeIso(inputs('desc'), OPTS, again);
    expect(sha256(again)).toBe(sha256(iso));
  });

  it('changes bytes when only the epoch changes (no clock involved)', async () => {
    const other = join(dir, 'other.iso');
    await writeIso(inputs(), { ...OPTS, epochSeconds: EPOCH + 1 }, other);
    expect(sha256(other)).not.toBe(sha256(iso));
    expect(statSync(other).size).toBe(statSync(iso).size);
  });

  it('reports progress up to the exact image size', async () => {
    const calls: [number, number][] = [];
    const p = join(dir, 'progress.iso');
    await writeIso(inputs(), { ...OPTS, onProgress: (w, t) => calls.push([w, t]) }, p);
    const size = statSync(p).size;
    expect(calls.at(-1)).toEqual([size, size]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  });

  it('streams files from disk with isoFileFromPath, mode from the file unless given', async () => {
    const src = join(dir, 'src.bin');
    writeFileSync(src, CONTENT['kubeseed/bundle.tar']!.bytes);
    chmodSync(src, 0o751);
    const f = await isoFileFromPath(src, 'kubeseed/bundle.tar');
    expect([f.size, f.mode]).toEqual([300_001, 0o751]);
    const g = await isoFileFromPath(src, 'kubeseed/bundle.tar', 0o640);
    const p = join(dir, 'frompath.iso');
    await writeIso([...inputs().filter((x) => x.path !== 'kubeseed/bundle.tar'), g], OPTS, p);
    expect(sha256(p)).toBe(sha256(iso));
  });

  it('writes a file read from disk as it writes the same bytes from memory, across its buffers', async () => {
    // Larger than the writer's 1 MiB buffer, between files, not a block multiple.
    const bytes = pattern(2 * 1024 * 1024 + 300_007, 6);
    const src = join(dir, 'big.bin');
    writeFileSync(src, bytes);
    const others = inputs().filter((x) => x.path !== 'kubeseed/bundle.tar');
    const fromDisk = join(dir, 'big-disk.iso');
    const fromMemory = join(dir, 'big-memory.iso');
    await writeIso([...others, await isoFileFromPath(src, 'kubeseed/bundle.tar', 0o640)], OPTS, fromDisk);
    await writeIso([...others, isoFileFromBuffer('kubeseed/bundle.tar', bytes, 0o640)], OPTS, fromMemory);
    expect(sha256(fromDisk)).toBe(sha256(fromMemory));
    expect(statSync(fromDisk).size % 2048).toBe(0);
  });

  it('shows every byte of a file to observe, in order, whether read from disk or streamed', async () => {
    const bytes = pattern(1024 * 1024 + 4097, 7);
    const src = join(dir, 'observed.bin');
    writeFileSync(src, bytes);
    const seen = { disk: createHash('sha256'), memory: createHash('sha256') };
    const onDisk = await isoFileFromPath(src, 'kubeseed/bundle.tar', 0o640);
    await writeIso([{ ...onDisk, observe: (p) => seen.disk.update(p) }], OPTS, join(dir, 'observed-disk.iso'));
    const inMemory = isoFileFromBuffer('kubeseed/bundle.tar', bytes, 0o640);
    await writeIso([{ ...inMemory, observe: (p) => seen.memory.update(p) }], OPTS, join(dir, 'observed-memory.iso'));
    const want = createHash('sha256').update(bytes).digest('hex');
    expect([seen.disk.digest('hex'), seen.memory.digest('hex')]).toEqual([want, want]);
  });

  it('rejects a file on disk that changed size after it was planned and removes the partial image', async () => {
    const src = join(dir, 'changing.bin');
    const p = join(dir, 'changed.iso');
    writeFileSync(src, Buffer.alloc(5000, 1));
    const shrunk = await isoFileFromPath(src, 'kubeseed/x.bin');
    writeFileSync(src, Buffer.alloc(4000, 1));
    await expect(writeIso([shrunk], OPTS, p)).rejects.toThrow(`iso: kubeseed/x.bin (${src}) has 4000 bytes, declared 5000`);
    expect(existsSync(p)).toBe(false);
    const grown = await isoFileFromPath(src, 'kubeseed/x.bin');
    writeFileSync(src, Buffer.alloc(4001, 1));
    await expect(writeIso([grown], OPTS, p)).rejects.toThrow(`iso: kubeseed/x.bin (${src}) has more than its declared 4000 bytes`);
    expect(existsSync(p)).toBe(false);
  });

  it('rejects a stream shorter or longer than its declared size and removes the partial image', async () => {
    const p = join(dir, 'bad.iso');
    const lying = (size: number, actual: number): IsoFile => ({
      path: 'user-data', size, mode: 0o600,
      open: () => (async function* () { yield Buffer.alloc(actual); })(),
    });
    await expect(writeIso([lying(10, 9)], OPTS, p)).rejects.toThrow('iso: user-data yielded 9 bytes, declared 10');
    expect(existsSync(p)).toBe(false);
    await expect(writeIso([lying(10, 11)], OPTS, p)).rejects.toThrow('iso: user-data yielded more than its declared 10 bytes');
    expect(existsSync(p)).toBe(false);
  });

  it.each([
    [[isoFileFromBuffer('a', 'x'), isoFileFromBuffer('a', 'y')], 'iso: a: given twice'],
    [[isoFileFromBuffer('a', 'x'), isoFileFromBuffer('a/b', 'y')], 'iso: a/b: a is a file'],
    [[isoFileFromBuffer('a/b', 'y'), isoFileFromBuffer('a', 'x')], 'iso: a/b: a is a file'],
    [[isoFileFromBuffer('/abs', 'x')], 'iso: "/abs": paths are relative'],
    [[isoFileFromBuffer('a/../b', 'x')], `iso: "a/../b": paths are relative`],
    [[isoFileFromBuffer('1/2/3/4/5/6/7/8/f', 'x')], 'iso: 1/2/3/4/5/6/7/8/f: ISO 9660 allows 7 directory levels below the root'],
    [[isoFileFromBuffer('x'.repeat(256), 'x')], 'a name is longer than 255 bytes'],
  ])('rejects bad trees (%#)', (files, message) => {
    expect(() => planIso(files, OPTS)).toThrow(message);
  });

  it('rejects a volume id that does not fit', () => {
    expect(() => planIso([], { ...OPTS, volumeId: 'x'.repeat(33) })).toThrow('must be 1-32 printable ASCII characters');
    expect(() => planIso([], { ...OPTS, volumeId: '' })).toThrow('must be 1-32 printable ASCII characters');
  });
});

describe('multi-extent files (how files over 4 GiB are recorded)', () => {
  // The same code path as a >4 GiB file, with the extent limit lowered to 4 KiB.
  const big = pattern(10_000, 9);
  const files = () => [isoFileFromBuffer('kubeseed/big.bin', big, 0o644), isoFileFromBuffer('user-data', 'u\n', 0o600)];

  it('splits into flagged extents that readers join again', async (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso', 'bsdtar:libarchive-tools');
    const p = join(dir, 'multi.iso');
    await writeIso(files(), { ...OPTS, maxExtent: 4096 } as typeof OPTS, p);
    const l = parseListing(run('isoinfo', ['-R', '-l', '-i', p]).stdout).get('/kubeseed/')!;
    expect(l.filter((e) => e.name === 'big.bin').map((e) => e.size)).toEqual([4096, 4096, 1808]);
    const out = join(dir, 'multi-x');
    const r = run('xorriso', ['-osirrox', 'on', '-indev', p, '-extract', '/', out]);
    expect(r.status).toBe(0);
    expect(xorrisoProblems(r.stderr)).toEqual([]);
    expect(readFileSync(join(out, 'kubeseed/big.bin')).equals(big)).toBe(true);
    const j = spawnSync('isoinfo', ['-J', '-i', p, '-x', '/kubeseed/big.bin']);
    expect(j.stdout.equals(big)).toBe(true);
    const bx = join(dir, 'multi-bsdtar');
    run('mkdir', ['-p', bx]);
    expect(run('bsdtar', ['-xf', p, '-C', bx]).status).toBe(0);
    expect(readFileSync(join(bx, 'kubeseed/big.bin')).equals(big)).toBe(true);
  });
});
