/**
 * System Use Sharing Protocol (IEEE P1281, SUSP 1.12) and Rock Ridge (IEEE P1282, RRIP 1.10)
 * entries. Every entry is: two signature bytes, a length byte, a version byte (1), then data.
 * We write RRIP 1.10 (ER identifier "RRIP_1991A", 36-byte PX without a serial number), the form
 * Linux, libisofs and isoinfo all read.
 */
import { putBoth32 } from './encode.js';

function entry(sig: string, data: Buffer): Buffer {
  const len = 4 + data.length;
  if (len > 255) throw new Error(`unreachable: SUSP ${sig} entry of ${len} bytes`);
  return Buffer.concat([Buffer.from([sig.charCodeAt(0), sig.charCodeAt(1), len, 1]), data]);
}

/** SUSP 5.3: marks SUSP in use; only in the root's "." record, first in its System Use field. */
export function sp(): Buffer {
  return entry('SP', Buffer.from([0xbe, 0xef, 0]));
}

export const CE_LENGTH = 28;

/** SUSP 5.1: where the rest of this record's entries are (block, byte offset, byte length). */
export function ce(block: number, offset: number, length: number): Buffer {
  const data = Buffer.alloc(24);
  putBoth32(data, 0, block);
  putBoth32(data, 8, offset);
  putBoth32(data, 16, length);
  return entry('CE', data);
}

const RRIP_ID = 'RRIP_1991A';
const RRIP_DES = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const RRIP_SRC =
  'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

/** SUSP 5.5: names the extension in use (RRIP 1.10, section 4.3). In the root's "." record. */
export function erRrip(): Buffer {
  const head = Buffer.from([RRIP_ID.length, RRIP_DES.length, RRIP_SRC.length, 1]);
  return entry('ER', Buffer.concat([head, Buffer.from(RRIP_ID + RRIP_DES + RRIP_SRC, 'latin1')]));
}

/** RRIP 4.1.1: st_mode (type bits included), st_nlink, st_uid, st_gid. */
export function px(mode: number, nlink: number): Buffer {
  const data = Buffer.alloc(32);
  putBoth32(data, 0, mode);
  putBoth32(data, 8, nlink);
  putBoth32(data, 16, 0);
  putBoth32(data, 24, 0);
  return entry('PX', data);
}

/** RRIP 4.1.6: modify, access and attribute-change times, all the same fixed instant. */
export function tf(date7: Buffer): Buffer {
  const TF_MODIFY = 2;
  const TF_ACCESS = 4;
  const TF_ATTRIBUTES = 8;
  return entry('TF', Buffer.concat([Buffer.from([TF_MODIFY | TF_ACCESS | TF_ATTRIBUTES]), date7, date7, date7]));
}

const NM_CONTINUE = 1;
const NM_CHUNK = 250;

/** RRIP 4.1.4: the real name, split over several NM entries when longer than one can hold. */
export function nm(name: string): Buffer[] {
  const bytes = Buffer.from(name, 'utf8');
  const out: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += NM_CHUNK) {
    const part = bytes.subarray(off, off + NM_CHUNK);
    const last = off + NM_CHUNK >= bytes.length;
    out.push(entry('NM', Buffer.concat([Buffer.from([last ? 0 : NM_CONTINUE]), part])));
  }
  return out;
}
