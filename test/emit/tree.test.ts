import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abandonTree, commitTree, flushStaged, removeTree, settleStaged, stageTree, writeStaged } from '../../src/emit/tree.js';
import { snapshot } from '../helpers/cli.js';

let out: string;
beforeEach(() => { out = mkdtempSync(join(tmpdir(), 'kubeseed-tree-')); });
afterEach(() => { rmSync(out, { recursive: true, force: true }); });

const NODES = 40;
const files = (tag: string) => [
  { path: 'admin.conf', content: `admin ${tag}\n`, mode: 0o600 },
  ...Array.from({ length: NODES }, (_, i) => [
    { path: `nodes/n${i}/user-data`, content: `#cloud-config ${tag} ${i}\n`.repeat(200), mode: 0o600 },
    { path: `nodes/n${i}/meta-data`, content: Buffer.from(`instance-id: n${i}\n`), mode: 0o644 },
    // Bits the usual umask (022) takes away: the writer must put them back.
    { path: `nodes/n${i}/run.sh`, content: '#!/bin/sh\n', mode: 0o775 },
  ]).flat(),
];

async function compileTree(tag: string): Promise<string> {
  const tree = stageTree(out, 'c');
  for (const f of files(tag)) await writeStaged(tree, f);
  await settleStaged(tree);
  return commitTree(tree, out, 'c');
}

describe('staged tree', () => {
  it('writes every file with its exact mode and lists it in manifest.json', async () => {
    const target = await compileTree('a');
    const snap = snapshot(target);
    const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8'));
    const listed = Object.fromEntries(manifest.files.map((f: { path: string; mode: string; sha256: string }) => [f.path, `${f.mode.slice(1)} ${f.sha256}`]));
    const { 'manifest.json': _m, ...rest } = snap;
    expect(listed).toEqual(rest);
    expect(Object.keys(rest).length).toBe(1 + 3 * NODES);
    expect(snap['nodes/n7/run.sh']!.split(' ')[0]).toBe('775');
    expect(snap['nodes/n7/user-data']!.split(' ')[0]).toBe('600');
    expect(readFileSync(join(target, 'nodes/n7/user-data'), 'utf8')).toBe('#cloud-config a 7\n'.repeat(200));
    expect((statSync(join(target, 'nodes')).mode & 0o777).toString(8)).toBe('755');
    expect(readdirSync(out)).toEqual(['c']);
  });

  it('a re-compile replaces the tree and leaves no staging or old directory behind', async () => {
    await compileTree('a');
    const target = await compileTree('b');
    expect(readdirSync(out)).toEqual(['c']);
    expect(readFileSync(join(target, 'admin.conf'), 'utf8')).toBe('admin b\n');
    expect(readFileSync(join(target, 'nodes/n3/user-data'), 'utf8')).toBe('#cloud-config b 3\n'.repeat(200));
  });

  it('a failed write fails the flush; abandoning leaves the previous tree exactly as it was', async () => {
    const target = await compileTree('a');
    const before = snapshot(out);
    const tree = stageTree(out, 'c');
    for (const f of files('b')) await writeStaged(tree, f);
    // A file where a directory must go: mkdir of nodes/n0/user-data/ fails with ENOTDIR or EEXIST.
    await writeStaged(tree, { path: 'nodes/n0/user-data/x', content: 'x', mode: 0o644 });
    const failed = await flushStaged(tree).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
    expect(['ENOTDIR', 'EEXIST']).toContain(failed);
    await abandonTree(tree);
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(out)).toEqual(['c']);
    expect(existsSync(join(target, 'nodes/n0/user-data'))).toBe(true);
  });

  it('a re-compile links files whose bytes and mode are unchanged, and writes the others', async () => {
    let target = await compileTree('a');
    const ino = (p: string) => statSync(join(target, p)).ino;
    const before = { same: ino('nodes/n1/meta-data'), edited: ino('nodes/n2/meta-data'), chmodded: ino('nodes/n3/meta-data') };
    // Same size, other bytes; and other mode bits: neither may be reused.
    writeFileSync(join(target, 'nodes/n2/meta-data'), 'instance-id: nX\n');
    chmodSync(join(target, 'nodes/n3/meta-data'), 0o640);
    target = await compileTree('a');
    expect(ino('nodes/n1/meta-data')).toBe(before.same);
    expect(ino('nodes/n2/meta-data')).not.toBe(before.edited);
    expect(ino('nodes/n3/meta-data')).not.toBe(before.chmodded);
    expect(readFileSync(join(target, 'nodes/n2/meta-data'), 'utf8')).toBe('instance-id: n2\n');
    expect((statSync(join(target, 'nodes/n3/meta-data')).mode & 0o777).toString(8)).toBe('644');
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(1);
    // Different content (same sizes): nothing is linked.
    const old = ino('admin.conf');
    target = await compileTree('b');
    expect(ino('admin.conf')).not.toBe(old);
    expect(readFileSync(join(target, 'admin.conf'), 'utf8')).toBe('admin b\n');
  });

  it('a failed re-compile leaves the previous files with one link each', async () => {
    const target = await compileTree('a');
    const tree = stageTree(out, 'c');
    for (const f of files('a')) await writeStaged(tree, f);
    await flushStaged(tree);
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(2);
    await abandonTree(tree);
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(1);
    expect(readdirSync(out)).toEqual(['c']);
  });

  it('removeTree removes a whole tree', async () => {
    const target = await compileTree('a');
    writeFileSync(join(target, 'nodes', 'extra'), 'x');
    await removeTree(target);
    expect(readdirSync(out)).toEqual([]);
  });
});
