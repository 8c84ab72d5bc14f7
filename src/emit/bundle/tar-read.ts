/**
 * Reads one small member out of a bundle tar without reading the rest: only the 512-byte headers
 * are read, each member's data is skipped by its size, so a multi-GiB bundle costs a few reads
 * when the member comes early (files/ sorts before images/). Handles what tar.ts writes: ustar
 * headers (name with its prefix) and pax extended headers carrying a long `path`.
 */
import { promises as fs } from 'node:fs';

const BLOCK = 512;

function field(h: Buffer, at: number, len: number): string {
  const s = h.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
}

function octal(h: Buffer, at: number, len: number): number {
  const s = field(h, at, len).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

/** The pax `path` record of an extended header's data, if any (`<len> path=<value>\n`). */
function paxPath(data: Buffer): string | undefined {
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) return undefined;
    const len = Number(data.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) return undefined;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    if (rec.startsWith('path=')) return rec.slice(5);
    i += len;
  }
  return undefined;
}

/**
 * The bytes of `member` in the tar at `tarPath`, or undefined when the tar has no such regular
 * file. Members larger than `maxBytes` are refused: this reads small files only.
 */
export async function readTarMember(tarPath: string, member: string, maxBytes = 16 << 20): Promise<Buffer | undefined> {
  const fh = await fs.open(tarPath, 'r');
  try {
    const h = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    for (;;) {
      const { bytesRead } = await fh.read(h, 0, BLOCK, pos);
      if (bytesRead < BLOCK || h.every((b) => b === 0)) return undefined;
      const size = octal(h, 124, 12);
      const type = String.fromCharCode(h[156] ?? 0);
      const data = pos + BLOCK;
      pos = data + Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x') {
        const ext = Buffer.alloc(size);
        await fh.read(ext, 0, size, data);
        longName = paxPath(ext);
        continue;
      }
      const prefix = field(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = undefined;
      if (name !== member || (type !== '0' && type !== '\0')) continue;
      if (size > maxBytes) throw new Error(`${tarPath}: ${member} is ${size} bytes, more than the ${maxBytes} read here`);
      const out = Buffer.alloc(size);
      await fh.read(out, 0, size, data);
      return out;
    }
  } finally {
    await fh.close();
  }
}
