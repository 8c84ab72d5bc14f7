/**
 * The whole image layout, computed from names and sizes alone before any file is read: the
 * volume descriptors, path tables, both directory trees, Rock Ridge continuation areas and the
 * block of every file extent. Pure: the same files and options give the same bytes.
 *
 * Block map (2048-byte logical blocks):
 *   0-15 system area (zero) | 16 primary VD | 17 Joliet supplementary VD | 18 terminator |
 *   path tables (primary L, M; Joliet L, M) | primary directories, each followed by its Rock
 *   Ridge continuation areas | Joliet directories | file data, in path order, block-aligned.
 */
import { BLOCK, blocksFor, dirDate, putAscii, putBoth16, putBoth32, putUcs2, ucs2be, volumeDate } from './encode.js';
import { comparePrimaryIds, compareJolietIds, jolietIds, primaryIds } from './names.js';
import { CE_LENGTH, ce, erRrip, nm, px, sp, tf } from './susp.js';
import type { IsoFile } from './types.js';

/**
 * Files larger than one extent can describe (its length field is 32 bits) are split into
 * several extents, each recorded by its own directory record with the multi-extent flag on all
 * but the last (ECMA-119 9.1.6 bit 7, interchange level 3). Every extent but the last is a whole
 * number of blocks, so the largest is 4 GiB - 2 KiB.
 */
export const MAX_EXTENT = 0xffff_f800;

/** ECMA-119 6.8.2.1: at most 8 levels of directories, the root included. */
const MAX_DEPTH = 8;
const DIR_MODE = 0o040755;
const S_IFREG = 0o100000;
const FLAG_DIRECTORY = 0x02;
const FLAG_MULTI_EXTENT = 0x80;
const FIRST_VD_BLOCK = 16;
/** A directory record's length is one byte and must be even. */
const MAX_RECORD = 254;

export interface Extent {
  readonly block: number;
  readonly size: number;
}

export interface PlannedFile {
  readonly file: IsoFile;
  /** Byte offset of the file's first extent; extents follow each other without gaps. */
  readonly offset: number;
  readonly size: number;
}

export interface IsoLayout {
  /** Every byte before the first file's data: descriptors, path tables, directories. */
  readonly header: Buffer;
  /** Files in the order their data follows the header, each padded to a block boundary. */
  readonly files: readonly PlannedFile[];
  readonly totalBytes: number;
}

export interface LayoutOptions {
  readonly volumeId: string;
  readonly epochSeconds: number;
  /** Only for tests: a smaller extent limit exercises multi-extent files without 4 GiB inputs. */
  readonly maxExtent?: number;
}

interface FileNode {
  readonly kind: 'file';
  readonly name: string;
  readonly file: IsoFile;
  extents: Extent[];
}

interface TreeLayout {
  number: number;
  block: number;
  blocks: number;
  records: Rec[];
}

interface DirNode {
  readonly kind: 'dir';
  readonly name: string;
  readonly parent: DirNode | null;
  readonly children: Map<string, FileNode | DirNode>;
  readonly depth: number;
  primary: TreeLayout;
  joliet: TreeLayout;
}

type Node = FileNode | DirNode;

interface Rec {
  readonly id: Buffer;
  readonly flags: number;
  readonly extent: () => Extent;
  readonly inline: Buffer[];
  readonly overflow: Buffer[];
  ceAt: { block: number; offset: number } | null;
}

function fail(message: string): never {
  throw new Error(`iso: ${message}`);
}

function emptyTree(): TreeLayout {
  return { number: 0, block: 0, blocks: 0, records: [] };
}

function validate(files: readonly IsoFile[], opts: LayoutOptions): void {
  if (!/^[\x20-\x7e]{1,32}$/.test(opts.volumeId)) {
    fail(`volume id ${JSON.stringify(opts.volumeId)} must be 1-32 printable ASCII characters`);
  }
  const year = new Date(opts.epochSeconds * 1000).getUTCFullYear();
  if (!Number.isInteger(opts.epochSeconds) || opts.epochSeconds < 0 || year > 2155) {
    fail(`epochSeconds ${opts.epochSeconds} must be a whole number of seconds from 1970 to 2155`);
  }
  for (const f of files) {
    if (!Number.isSafeInteger(f.size) || f.size < 0) fail(`${f.path}: size ${f.size} is not a byte count`);
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) {
      fail(`${f.path}: mode ${f.mode.toString(8)} is not a permission mode (0-7777 octal)`);
    }
    const parts = f.path.split('/');
    for (const part of parts) {
      if (part === '' || part === '.' || part === '..') {
        fail(`${JSON.stringify(f.path)}: paths are relative, '/'-separated, without empty, '.' or '..' parts`);
      }
      if (Buffer.byteLength(part, 'utf8') > 255) fail(`${f.path}: a name is longer than 255 bytes`);
      if (part.includes('\0')) fail(`${JSON.stringify(f.path)}: names cannot hold NUL`);
    }
    if (parts.length > MAX_DEPTH) {
      fail(`${f.path}: ISO 9660 allows ${MAX_DEPTH - 1} directory levels below the root`);
    }
  }
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function buildTree(files: readonly IsoFile[]): DirNode {
  const root: DirNode = {
    kind: 'dir', name: '', parent: null, children: new Map(), depth: 1,
    primary: emptyTree(), joliet: emptyTree(),
  };
  for (const file of files) {
    const parts = file.path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.children.get(part);
      if (next === undefined) {
        next = {
          kind: 'dir', name: part, parent: dir, children: new Map(), depth: dir.depth + 1,
          primary: emptyTree(), joliet: emptyTree(),
        };
        dir.children.set(part, next);
      } else if (next.kind === 'file') {
        fail(`${file.path}: ${parts.slice(0, parts.indexOf(part) + 1).join('/')} is a file`);
      }
      dir = next;
    }
    const leaf = parts[parts.length - 1] as string;
    const existing = dir.children.get(leaf);
    if (existing !== undefined) {
      fail(existing.kind === 'dir' ? `${file.path}: is also a directory` : `${file.path}: given twice`);
    }
    dir.children.set(leaf, { kind: 'file', name: leaf, file, extents: [] });
  }
  return root;
}

/** Children with their identifiers in one tree, sorted the way that tree's records must be. */
interface Named {
  readonly node: Node;
  readonly id: string;
}

function primaryChildren(dir: DirNode): Named[] {
  const nodes = [...dir.children.values()].sort((a, b) => byUtf8(a.name, b.name));
  const ids = primaryIds(nodes.map((n) => ({ name: n.name, dir: n.kind === 'dir' })));
  return nodes.map((node, i) => ({ node, id: ids[i] as string })).sort((a, b) => comparePrimaryIds(a.id, b.id));
}

function jolietChildren(dir: DirNode): Named[] {
  const nodes = [...dir.children.values()].sort((a, b) => byUtf8(a.name, b.name));
  const ids = jolietIds(nodes.map((n) => n.name));
  return nodes.map((node, i) => ({ node, id: ids[i] as string })).sort((a, b) => compareJolietIds(a.id, b.id));
}

function subdirCount(dir: DirNode): number {
  let n = 0;
  for (const c of dir.children.values()) if (c.kind === 'dir') n++;
  return n;
}

function recordBase(idLen: number): number {
  return 33 + idLen + (idLen % 2 === 0 ? 1 : 0);
}

function recordLength(rec: Rec): number {
  const su = rec.inline.reduce((s, e) => s + e.length, 0) + (rec.overflow.length > 0 ? CE_LENGTH : 0);
  const len = recordBase(rec.id.length) + su;
  return len + (len % 2);
}

/** Keeps entries in the record while they fit; the rest go to a continuation area (SUSP 5.1). */
function splitSystemUse(idLen: number, entries: Buffer[]): { inline: Buffer[]; overflow: Buffer[] } {
  const base = recordBase(idLen);
  const total = entries.reduce((s, e) => s + e.length, 0);
  if (base + total <= MAX_RECORD) return { inline: entries, overflow: [] };
  let used = base + CE_LENGTH;
  let i = 0;
  while (i < entries.length && used + (entries[i] as Buffer).length <= MAX_RECORD) {
    used += (entries[i] as Buffer).length;
    i++;
  }
  return { inline: entries.slice(0, i), overflow: entries.slice(i) };
}

function dirExtent(tree: TreeLayout): () => Extent {
  return () => ({ block: tree.block, size: tree.blocks * BLOCK });
}

/** Records of one directory in the primary tree, Rock Ridge entries included. */
function primaryRecords(dir: DirNode, date7: Buffer): Rec[] {
  const timeEntry = tf(date7);
  const self = dir.primary;
  const parent = (dir.parent ?? dir).primary;
  const selfSu: Buffer[] = [];
  if (dir.parent === null) selfSu.push(sp());
  selfSu.push(px(DIR_MODE, 2 + subdirCount(dir)), timeEntry);
  if (dir.parent === null) selfSu.push(erRrip());
  const recs: Rec[] = [];
  const add = (id: Buffer, flags: number, extent: () => Extent, su: Buffer[]) => {
    recs.push({ id, flags, extent, ...splitSystemUse(id.length, su), ceAt: null });
  };
  add(Buffer.from([0]), FLAG_DIRECTORY, dirExtent(self), selfSu);
  add(Buffer.from([1]), FLAG_DIRECTORY, dirExtent(parent),
    [px(DIR_MODE, 2 + subdirCount(dir.parent ?? dir)), timeEntry]);
  for (const { node, id } of primaryChildren(dir)) {
    const idBytes = Buffer.from(id, 'latin1');
    if (node.kind === 'dir') {
      add(idBytes, FLAG_DIRECTORY, dirExtent(node.primary),
        [px(DIR_MODE, 2 + subdirCount(node)), timeEntry, ...nm(node.name)]);
    } else {
      const su = [px(S_IFREG | node.file.mode, 1), timeEntry, ...nm(node.name)];
      node.extents.forEach((_, i) => {
        const last = i === node.extents.length - 1;
        // Every extent's record carries the Rock Ridge entries: readers take the name from one
        // record and the attributes from another (Linux: name from the last, inode from the first).
        add(idBytes, last ? 0 : FLAG_MULTI_EXTENT, () => node.extents[i] as Extent, su);
      });
    }
  }
  return recs;
}

function jolietRecords(dir: DirNode): Rec[] {
  const recs: Rec[] = [];
  const add = (id: Buffer, flags: number, extent: () => Extent) => {
    recs.push({ id, flags, extent, inline: [], overflow: [], ceAt: null });
  };
  add(Buffer.from([0]), FLAG_DIRECTORY, dirExtent(dir.joliet));
  add(Buffer.from([1]), FLAG_DIRECTORY, dirExtent((dir.parent ?? dir).joliet));
  for (const { node, id } of jolietChildren(dir)) {
    const idBytes = ucs2be(id);
    if (node.kind === 'dir') add(idBytes, FLAG_DIRECTORY, dirExtent(node.joliet));
    else {
      node.extents.forEach((_, i) => {
        const last = i === node.extents.length - 1;
        add(idBytes, last ? 0 : FLAG_MULTI_EXTENT, () => node.extents[i] as Extent);
      });
    }
  }
  return recs;
}

/** ECMA-119 6.8.1.1: a record never crosses a block boundary; the rest of a block stays zero. */
function directoryBlocks(recs: readonly Rec[]): number {
  let off = 0;
  for (const rec of recs) {
    const len = recordLength(rec);
    if ((off % BLOCK) + len > BLOCK) off += BLOCK - (off % BLOCK);
    off += len;
  }
  return Math.max(1, blocksFor(off));
}

function renderRecord(rec: Rec, date7: Buffer): Buffer {
  const len = recordLength(rec);
  const buf = Buffer.alloc(len);
  const { block, size } = rec.extent();
  buf[0] = len;
  buf[1] = 0;
  putBoth32(buf, 2, block);
  putBoth32(buf, 10, size);
  date7.copy(buf, 18);
  buf[25] = rec.flags;
  putBoth16(buf, 28, 1);
  buf[32] = rec.id.length;
  rec.id.copy(buf, 33);
  let off = recordBase(rec.id.length);
  for (const e of rec.inline) off += e.copy(buf, off);
  if (rec.ceAt !== null) {
    const length = rec.overflow.reduce((s, e) => s + e.length, 0);
    ce(rec.ceAt.block, rec.ceAt.offset, length).copy(buf, off);
  }
  return buf;
}

function renderDirectory(tree: TreeLayout, date7: Buffer, header: Buffer): void {
  let off = tree.block * BLOCK;
  const start = off;
  for (const rec of tree.records) {
    const bytes = renderRecord(rec, date7);
    if (((off - start) % BLOCK) + bytes.length > BLOCK) off += BLOCK - ((off - start) % BLOCK);
    off += bytes.copy(header, off);
  }
}

/** Directories in path-table order (ECMA-119 6.9.1): by level, then parent number, then name. */
function pathTableOrder(root: DirNode, children: (d: DirNode) => Named[]): DirNode[] {
  const order: DirNode[] = [root];
  for (let i = 0; i < order.length; i++) {
    for (const { node } of children(order[i] as DirNode)) if (node.kind === 'dir') order.push(node);
  }
  return order;
}

function pathTable(dirs: readonly DirNode[], ids: Map<DirNode, Buffer>, tree: 'primary' | 'joliet', little: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const dir of dirs) {
    const id = ids.get(dir) ?? Buffer.from([0]);
    const rec = Buffer.alloc(8 + id.length + (id.length % 2));
    rec[0] = id.length;
    const layout = dir[tree];
    const parentNumber = (dir.parent ?? dir)[tree].number;
    if (little) {
      rec.writeUInt32LE(layout.block, 2);
      rec.writeUInt16LE(parentNumber, 6);
    } else {
      rec.writeUInt32BE(layout.block, 2);
      rec.writeUInt16BE(parentNumber, 6);
    }
    id.copy(rec, 8);
    parts.push(rec);
  }
  return Buffer.concat(parts);
}

interface DescriptorFacts {
  readonly totalBlocks: number;
  readonly pathTableSize: number;
  readonly lTable: number;
  readonly mTable: number;
  readonly root: TreeLayout;
}

/** ECMA-119 8.4 (primary) and 8.5 (supplementary; Joliet marks it with escape sequence %/E). */
function volumeDescriptor(joliet: boolean, facts: DescriptorFacts, opts: LayoutOptions, date7: Buffer): Buffer {
  const vd = Buffer.alloc(BLOCK);
  const text = joliet ? putUcs2 : putAscii;
  vd[0] = joliet ? 2 : 1;
  vd.write('CD001', 1, 'latin1');
  vd[6] = 1;
  text(vd, 8, 32, '');
  text(vd, 40, 32, joliet ? opts.volumeId.slice(0, 16) : opts.volumeId);
  putBoth32(vd, 80, facts.totalBlocks);
  if (joliet) vd.write('%/E', 88, 'latin1');
  putBoth16(vd, 120, 1);
  putBoth16(vd, 124, 1);
  putBoth16(vd, 128, BLOCK);
  putBoth32(vd, 132, facts.pathTableSize);
  vd.writeUInt32LE(facts.lTable, 140);
  vd.writeUInt32BE(facts.mTable, 148);
  const root = renderRecord(
    { id: Buffer.from([0]), flags: FLAG_DIRECTORY, extent: dirExtent(facts.root), inline: [], overflow: [], ceAt: null },
    date7,
  );
  root.copy(vd, 156);
  text(vd, 190, 128, '');
  text(vd, 318, 128, '');
  text(vd, 446, 128, '');
  text(vd, 574, 128, 'KUBESEED');
  text(vd, 702, 37, '');
  text(vd, 739, 37, '');
  text(vd, 776, 37, '');
  volumeDate(opts.epochSeconds).copy(vd, 813);
  volumeDate(opts.epochSeconds).copy(vd, 830);
  volumeDate(null).copy(vd, 847);
  volumeDate(null).copy(vd, 864);
  vd[881] = 1;
  return vd;
}

function terminator(): Buffer {
  const vd = Buffer.alloc(BLOCK);
  vd[0] = 255;
  vd.write('CD001', 1, 'latin1');
  vd[6] = 1;
  return vd;
}

export function planIso(input: readonly IsoFile[], opts: LayoutOptions): IsoLayout {
  validate(input, opts);
  const maxExtent = opts.maxExtent ?? MAX_EXTENT;
  if (maxExtent % BLOCK !== 0 || maxExtent <= 0 || maxExtent > MAX_EXTENT) {
    fail(`unreachable: extent limit ${maxExtent} is not a block multiple up to ${MAX_EXTENT}`);
  }
  const files = [...input].sort((a, b) => byUtf8(a.path, b.path));
  const root = buildTree(files);
  const date7 = dirDate(opts.epochSeconds);

  // Extent counts are known from sizes; their blocks are filled in once the metadata is sized.
  const fileNodes: FileNode[] = [];
  const walk = (dir: DirNode) => {
    for (const c of dir.children.values()) {
      if (c.kind === 'dir') walk(c);
      else {
        fileNodes.push(c);
        c.extents = Array.from({ length: Math.max(1, Math.ceil(c.file.size / maxExtent)) }, () => ({ block: 0, size: 0 }));
      }
    }
  };
  walk(root);

  const primaryOrder = pathTableOrder(root, primaryChildren);
  const jolietOrder = pathTableOrder(root, jolietChildren);
  const primaryIdOf = new Map<DirNode, Buffer>();
  const jolietIdOf = new Map<DirNode, Buffer>();
  for (const dir of primaryOrder) {
    for (const { node, id } of primaryChildren(dir)) if (node.kind === 'dir') primaryIdOf.set(node, Buffer.from(id, 'latin1'));
    for (const { node, id } of jolietChildren(dir)) if (node.kind === 'dir') jolietIdOf.set(node, ucs2be(id));
  }
  primaryOrder.forEach((d, i) => (d.primary.number = i + 1));
  jolietOrder.forEach((d, i) => (d.joliet.number = i + 1));
  if (primaryOrder.length > 0xffff) fail(`${primaryOrder.length} directories exceed the path table's 65535`);

  for (const dir of primaryOrder) {
    dir.primary.records = primaryRecords(dir, date7);
    dir.primary.blocks = directoryBlocks(dir.primary.records);
    dir.joliet.records = jolietRecords(dir);
    dir.joliet.blocks = directoryBlocks(dir.joliet.records);
  }

  const primaryTableSize = pathTable(primaryOrder, primaryIdOf, 'primary', true).length;
  const jolietTableSize = pathTable(jolietOrder, jolietIdOf, 'joliet', true).length;

  let next = FIRST_VD_BLOCK + 3;
  const alloc = (blocks: number) => {
    const at = next;
    next += blocks;
    return at;
  };
  const pL = alloc(blocksFor(primaryTableSize));
  const pM = alloc(blocksFor(primaryTableSize));
  const jL = alloc(blocksFor(jolietTableSize));
  const jM = alloc(blocksFor(jolietTableSize));
  // Each directory's continuation areas follow it directly, packed so that none crosses a block
  // (Linux reads each from one block). libarchive (bsdtar) reads a continuation area only when it
  // is the block after the directory it has just read, as libisofs lays them out.
  const overflowing: Rec[] = [];
  for (const dir of primaryOrder) {
    dir.primary.block = alloc(dir.primary.blocks);
    const ceStart = next;
    let ceOff = 0;
    for (const rec of dir.primary.records) {
      if (rec.overflow.length === 0) continue;
      const len = rec.overflow.reduce((s, e) => s + e.length, 0);
      if ((ceOff % BLOCK) + len > BLOCK) ceOff += BLOCK - (ceOff % BLOCK);
      rec.ceAt = { block: ceStart + Math.floor(ceOff / BLOCK), offset: ceOff % BLOCK };
      ceOff += len;
      overflowing.push(rec);
    }
    alloc(blocksFor(ceOff));
  }
  for (const dir of jolietOrder) dir.joliet.block = alloc(dir.joliet.blocks);

  const headerBlocks = next;
  const planned: PlannedFile[] = [];
  for (const node of fileNodes.sort((a, b) => byUtf8(a.file.path, b.file.path))) {
    const start = next;
    let left = node.file.size;
    node.extents = node.extents.map(() => {
      const size = Math.min(left, maxExtent);
      left -= size;
      // An empty file points at where the next data starts, as mkisofs and libisofs do.
      return { block: alloc(blocksFor(size)), size };
    });
    planned.push({ file: node.file, offset: start * BLOCK, size: node.file.size });
  }
  const totalBlocks = next;
  if (totalBlocks > 0xffff_ffff) fail(`image of ${totalBlocks} blocks exceeds ISO 9660's 32-bit block count`);

  const header = Buffer.alloc(headerBlocks * BLOCK);
  volumeDescriptor(false, { totalBlocks, pathTableSize: primaryTableSize, lTable: pL, mTable: pM, root: root.primary }, opts, date7)
    .copy(header, FIRST_VD_BLOCK * BLOCK);
  volumeDescriptor(true, { totalBlocks, pathTableSize: jolietTableSize, lTable: jL, mTable: jM, root: root.joliet }, opts, date7)
    .copy(header, (FIRST_VD_BLOCK + 1) * BLOCK);
  terminator().copy(header, (FIRST_VD_BLOCK + 2) * BLOCK);
  pathTable(primaryOrder, primaryIdOf, 'primary', true).copy(header, pL * BLOCK);
  pathTable(primaryOrder, primaryIdOf, 'primary', false).copy(header, pM * BLOCK);
  pathTable(jolietOrder, jolietIdOf, 'joliet', true).copy(header, jL * BLOCK);
  pathTable(jolietOrder, jolietIdOf, 'joliet', false).copy(header, jM * BLOCK);
  for (const dir of primaryOrder) renderDirectory(dir.primary, date7, header);
  for (const dir of jolietOrder) renderDirectory(dir.joliet, date7, header);
  for (const rec of overflowing) {
    const at = rec.ceAt as { block: number; offset: number };
    Buffer.concat(rec.overflow).copy(header, at.block * BLOCK + at.offset);
  }
  return { header, files: planned, totalBytes: totalBlocks * BLOCK };
}
