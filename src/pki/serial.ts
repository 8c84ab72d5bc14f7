/** Certificate serial numbers. */
import type { RandomBytes } from './random.js';

/**
 * 16 random bytes as a positive DER INTEGER: the top byte is forced into 0x40..0x7f, so it is
 * never negative and never needs a leading zero (127 random bits less one; RFC 5280 allows 20
 * octets, CA/B asks for at least 64 random bits).
 */
export function randomSerial(rng: RandomBytes): Uint8Array {
  const b = Uint8Array.from(rng(16));
  if (b.length !== 16) throw new Error(`rng returned ${b.length} bytes, expected 16`);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b;
}
