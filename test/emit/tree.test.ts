import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abandonTree, commitTree, finishStaged, removeTree, stageTree, writeStaged } from '../../src/emit/tree.js';
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

async function compileTree(tag: string, list = files(tag), into = out): Promise<string> {
  const tree = stageTree(into, 'c');
  for (const f of list) writeStaged(tree, f);
  return commitTree(tree, into, 'c');
}

/** Every entry under dir, not following symlinks: type, mode, and a file's bytes. */
function layout(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      found[p.slice(dir.length + 1)] = `${kind} ${(st.mode & 0o7777).toString(8)}${st.isFile() ? ` ${readFileSync(p, 'utf8')}` : ''}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
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
    // Every directory, the tree's own included, is for its owner only: the tree holds secrets.
    for (const d of [target, join(target, 'nodes'), join(target, 'nodes/n7')]) expect((statSync(d).mode & 0o777).toString(8)).toBe('700');
    expect(readdirSync(out)).toEqual(['c']);
  });

  it('a re-compile replaces the tree, keeps the one it replaced as .c.previous, and leaves no staging directory behind', async () => {
    const first = layout(await compileTree('a'));
    const target = await compileTree('b');
    expect(readdirSync(out).sort()).toEqual(['.c.previous', 'c']);
    expect(layout(join(out, '.c.previous'))).toEqual(first);
    expect(readFileSync(join(target, 'admin.conf'), 'utf8')).toBe('admin b\n');
    expect(readFileSync(join(target, 'nodes/n3/user-data'), 'utf8')).toBe('#cloud-config b 3\n'.repeat(200));
  });

  it('a failed write fails the flush; abandoning leaves the previous tree exactly as it was', async () => {
    const target = await compileTree('a');
    const before = snapshot(out);
    const tree = stageTree(out, 'c');
    for (const f of files('b')) writeStaged(tree, f);
    // A file where a directory must go: mkdir of nodes/n0/user-data/ fails with EEXIST.
    expect(() => writeStaged(tree, { path: 'nodes/n0/user-data/x', content: 'x', mode: 0o644 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    abandonTree(tree);
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
    // Its other name is the previous tree's.
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(2);
    expect(statSync(join(out, '.c.previous', 'nodes/n1/meta-data')).ino).toBe(before.same);
    // Different content (same sizes): nothing is linked.
    const old = ino('admin.conf');
    target = await compileTree('b');
    expect(ino('admin.conf')).not.toBe(old);
    expect(readFileSync(join(target, 'admin.conf'), 'utf8')).toBe('admin b\n');
  });

  it('a failed re-compile leaves the previous files with one link each', async () => {
    const target = await compileTree('a');
    const tree = stageTree(out, 'c');
    for (const f of files('a')) writeStaged(tree, f);
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(2);
    abandonTree(tree);
    expect(statSync(join(target, 'nodes/n1/meta-data')).nlink).toBe(1);
    expect(readdirSync(out)).toEqual(['c']);
  });

  it('a third compile stages into the first one\'s tree: unchanged files and directories keep their inodes', async () => {
    const first = await compileTree('a');
    const ino = (root: string, p: string) => statSync(join(root, p)).ino;
    const firstDirs = { nodes: ino(first, 'nodes'), n5: ino(first, 'nodes/n5') };
    const file = ino(first, 'nodes/n5/user-data');
    await compileTree('a');
    const secondDirs = { nodes: ino(out, 'c/nodes'), n5: ino(out, 'c/nodes/n5') };
    const third = await compileTree('a');
    expect({ nodes: ino(third, 'nodes'), n5: ino(third, 'nodes/n5') }).toEqual(firstDirs);
    expect({ nodes: ino(out, '.c.previous/nodes'), n5: ino(out, '.c.previous/nodes/n5') }).toEqual(secondDirs);
    expect(ino(third, 'nodes/n5/user-data')).toBe(file);
    expect(statSync(join(third, 'nodes/n5/user-data')).nlink).toBe(2);
  });

  it('staging into the previous tree removes what is no longer compiled and anything put there, and follows no symlink', async () => {
    await compileTree('a');
    await compileTree('a');
    const prev = join(out, '.c.previous');
    const elsewhere = mkdtempSync(join(tmpdir(), 'kubeseed-elsewhere-'));
    try {
      writeFileSync(join(prev, 'nodes/n1/junk'), 'x');
      mkdirSync(join(prev, 'nodes/zz/deep'), { recursive: true });
      rmSync(join(prev, 'nodes/n2'), { recursive: true });
      symlinkSync(elsewhere, join(prev, 'nodes/n2'));
      // A file replaced (not edited in place: that would change the current tree's file too),
      // a file turned into a directory, a changed mode on a directory and on a file.
      unlinkSync(join(prev, 'nodes/n3/user-data'));
      writeFileSync(join(prev, 'nodes/n3/user-data'), 'edited', { mode: 0o600 });
      unlinkSync(join(prev, 'nodes/n4/meta-data'));
      mkdirSync(join(prev, 'nodes/n4/meta-data'));
      chmodSync(join(prev, 'nodes/n6'), 0o700);
      unlinkSync(join(prev, 'nodes/n7/run.sh'));
      writeFileSync(join(prev, 'nodes/n7/run.sh'), '#!/bin/sh\n', { mode: 0o777 });
      chmodSync(join(prev, 'nodes/n7/run.sh'), 0o777);
      // One node fewer than before.
      const fewer = files('b').filter((f) => !f.path.startsWith(`nodes/n${NODES - 1}/`));
      const target = await compileTree('b', fewer);
      const fresh = mkdtempSync(join(tmpdir(), 'kubeseed-fresh-'));
      try {
        expect(layout(target)).toEqual(layout(await compileTree('b', fewer, fresh)));
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(lstatSync(join(target, 'nodes/n2')).isDirectory()).toBe(true);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a failed compile that staged into the previous tree leaves the current tree exactly as it was', async () => {
    await compileTree('a');
    await compileTree('b');
    const before = layout(join(out, 'c'));
    const tree = stageTree(out, 'c');
    expect(existsSync(join(out, '.c.previous'))).toBe(false);
    for (const f of files('a')) writeStaged(tree, f);
    expect(() => writeStaged(tree, { path: 'nodes/n0/user-data/x', content: 'x', mode: 0o644 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    abandonTree(tree);
    expect(layout(join(out, 'c'))).toEqual(before);
    expect(readdirSync(out)).toEqual(['c']);
  });

  it('a file written by two writers of one tree (two threads) is refused before the commit', async () => {
    const { StageWriter } = await import('../../src/emit/stage-writer.js');
    const tree = stageTree(out, 'c');
    const other = new StageWriter(tree.place);
    writeStaged(tree, { path: 'nodes/n0/meta-data', content: 'a', mode: 0o644 });
    other.write({ path: 'nodes/n1/meta-data', content: 'b', mode: 0o644 });
    const entry = other.write({ path: 'nodes/n2/meta-data', content: 'c', mode: 0o644 });
    tree.entries.push(entry);
    // The same path again from the second writer (it cannot see the first one's files).
    expect(() => new StageWriter(tree.place).write({ path: 'nodes/n0/meta-data', content: 'a', mode: 0o644 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    tree.entries.push(entry);
    expect(() => finishStaged(tree)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    abandonTree(tree);
    expect(readdirSync(out)).toEqual([]);
  });

  it('removeTree removes a whole tree', async () => {
    const target = await compileTree('a');
    writeFileSync(join(target, 'nodes', 'extra'), 'x');
    await removeTree(target);
    expect(readdirSync(out)).toEqual([]);
  });
});
