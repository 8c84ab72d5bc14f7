/**
 * Byte-level encodings shared by every ISO 9660 structure (ECMA-119 section 7 and 8.4.26.1,
 * 9.1.5). Numbers that the standard records "both-byte orders" carry a little-endian copy
 * followed by a big-endian copy, so readers of either endianness can use them directly.
 */

export const BLOCK = 2048;

export function blocksFor(bytes: number): number {
  return Math.ceil(bytes / BLOCK);
}

/** ECMA-119 7.2.3: 16-bit both-byte order (4 bytes). */
export function putBoth16(buf: Buffer, off: number, v: number): void {
  buf.writeUInt16LE(v, off);
  buf.writeUInt16BE(v, off + 2);
}

/** ECMA-119 7.3.3: 32-bit both-byte order (8 bytes). */
export function putBoth32(buf: Buffer, off: number, v: number): void {
  buf.writeUInt32LE(v, off);
  buf.writeUInt32BE(v, off + 4);
}

/** ECMA-119 9.1.5 (also RRIP TF short form): 7 bytes, years since 1900, UTC offset 0. */
export function dirDate(epochSeconds: number): Buffer {
  const d = new Date(epochSeconds * 1000);
  return Buffer.from([
    d.getUTCFullYear() - 1900,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    0,
  ]);
}

/** ECMA-119 8.4.26.1: 16 ASCII digits (hundredths included) and a UTC offset byte. */
export function volumeDate(epochSeconds: number | null): Buffer {
  const out = Buffer.alloc(17, 0);
  if (epochSeconds === null) {
    out.write('0'.repeat(16), 0, 'latin1');
    return out;
  }
  const d = new Date(epochSeconds * 1000);
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  const text =
    p(d.getUTCFullYear(), 4) + p(d.getUTCMonth() + 1, 2) + p(d.getUTCDate(), 2) +
    p(d.getUTCHours(), 2) + p(d.getUTCMinutes(), 2) + p(d.getUTCSeconds(), 2) + '00';
  out.write(text, 0, 'latin1');
  return out;
}

/** A fixed-width a/d-character field padded with spaces. */
export function putAscii(buf: Buffer, off: number, width: number, text: string): void {
  buf.fill(0x20, off, off + width);
  buf.write(text, off, width, 'latin1');
}

/**
 * Joliet writes descriptor text fields in UCS-2 big-endian, padded with U+0020. An odd width
 * (the 37-byte file identifier fields) leaves one trailing zero byte.
 */
export function putUcs2(buf: Buffer, off: number, width: number, text: string): void {
  buf.fill(0, off, off + width);
  const units = Math.floor(width / 2);
  for (let i = 0; i < units; i++) {
    const u = i < text.length ? text.charCodeAt(i) : 0x20;
    buf.writeUInt16BE(u, off + 2 * i);
  }
}

export function ucs2be(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), 2 * i);
  return out;
}
