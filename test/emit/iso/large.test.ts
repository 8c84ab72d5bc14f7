/**
 * Large images: a generated 1 GiB file (memory must stay flat) and a sparse file over 4 GiB
 * (stored as several extents). The writer runs in a child process built from src with tsc, so
 * the peak RSS it reports is its own, not vitest's.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needTools, run } from '../../helpers/tools.js';
import { RSS_LIMIT_MIB } from './limits.js';
import { parseListing } from './listing.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const GIB = 1024 ** 3;
// Generous: these move gigabytes through the disk; nothing here asserts speed.
const TIMEOUT = 600_000;

let dir: string;
let modPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeseed-iso-large-'));
  const outDir = join(dir, 'build');
  const tsc = run(join(ROOT, 'node_modules/.bin/tsc'), [
    join(ROOT, 'src/emit/iso/index.ts'), '--outDir', outDir, '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--types', 'node', '--strict', '--skipLibCheck',
  ]);
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  modPath = join(outDir, 'index.js');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function child(out: string, kind: 'generated' | 'path', arg: string): { maxRssKiB: number; sha256: string | null } {
  const r = run(process.execPath, [join(ROOT, 'test/emit/iso/large-child.mjs'), modPath, out, kind, arg]);
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

/** sha256 of a command's stdout, hashed as it streams (no copy of the file on disk), and its stderr. */
function sha256OfOutput(cmd: string, args: string[]): Promise<{ sha256: string; stderr: string }> {
  return new Promise((ok, bad) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const h = createHash('sha256');
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => h.update(d));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('error', bad);
    p.on('close', (code) => (code === 0 ? ok({ sha256: h.digest('hex'), stderr }) : bad(new Error(`${cmd} exited ${code}: ${stderr}`))));
  });
}

function xorrisoProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /\b(SORRY|FAILURE|FATAL|WARNING|MISHAP)\b/.test(l));
}

function sha256OfFile(path: string): Promise<string> {
  return new Promise((ok, bad) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 }).on('data', (d) => h.update(d)).on('error', bad).on('end', () => ok(h.digest('hex')));
  });
}

describe('a generated 1 GiB file', () => {
  it(`is written with peak RSS under ${RSS_LIMIT_MIB} MiB and read back intact`, (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso');
    const size = GIB + 12_345; // not a block multiple: the padding after it is exercised too
    const iso = join(dir, 'gen.iso');
    const { maxRssKiB, sha256 } = child(iso, 'generated', String(size));
    console.log(`writeIso 1 GiB generated file: peak RSS ${(maxRssKiB / 1024).toFixed(1)} MiB`);
    expect(maxRssKiB / 1024).toBeLessThan(RSS_LIMIT_MIB);
    const x = run('xorriso', ['-indev', iso, '-find', '/kubeseed/images.tar', '-exec', 'lsdl', '--']);
    expect(xorrisoProblems(x.stderr)).toEqual([]);
    expect(x.stdout).toMatch(new RegExp(`^-rw-r----- +1 0 +0 +${size} .*'/kubeseed/images.tar'\\n$`));
    const piped = run('bash', ['-o', 'pipefail', '-c', 'isoinfo -R -i "$1" -x /kubeseed/images.tar | sha256sum', 'bash', iso]);
    expect(piped.status).toBe(0);
    expect(piped.stdout).toBe(`${sha256}  -\n`);
    rmSync(iso);
  }, TIMEOUT);
});

describe('a file over 4 GiB', () => {
  it('is stored as two extents that xorriso joins back', async (ctx) => {
    needTools(ctx, 'isoinfo:genisoimage', 'xorriso:xorriso');
    // A sparse source with markers around the extent boundary, so misplaced extents change the hash.
    const size = 4 * GIB + 3 * 1024 * 1024 + 5;
    const src = join(dir, 'huge.bin');
    const fd = openSync(src, 'w');
    ftruncateSync(fd, size);
    for (const at of [0, 0xffff_f800 - 1, 0xffff_f800, 4 * GIB, size - 7]) writeSync(fd, Buffer.from(`@${at}#`).subarray(0, Math.min(7, size - at)), 0, undefined, at);
    closeSync(fd);
    const iso = join(dir, 'huge.iso');
    const { maxRssKiB } = child(iso, 'path', src);
    console.log(`writeIso >4 GiB sparse file: peak RSS ${(maxRssKiB / 1024).toFixed(1)} MiB`);
    const expected = await sha256OfFile(src);

    const listing = parseListing(run('isoinfo', ['-R', '-l', '-i', iso]).stdout).get('/kubeseed/')!;
    expect(listing.filter((e) => e.name === 'huge.bin').map((e) => e.size)).toEqual([0xffff_f800, size - 0xffff_f800]);
    // genisoimage's isoinfo lists both extents but extracts only the last one of a file over
    // 4 GiB (it does the same with xorriso's own images), so the content check uses xorriso.
    const x = await sha256OfOutput('xorriso', ['-osirrox', 'on', '-indev', iso, '-concat', 'append', '-', '/kubeseed/huge.bin']);
    expect(xorrisoProblems(x.stderr)).toEqual([]);
    expect(x.sha256).toBe(expected);
    rmSync(iso);
  }, TIMEOUT);
});
