/** A reproducible RandomBytes for tests: SHA-256 in counter mode over a seed. */
import { createHash } from 'node:crypto';
import type { RandomBytes } from '../../src/pki/random.js';

export function seededRng(seed: string): RandomBytes {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (size) => {
    while (pool.length < size) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}:${counter++}`).digest()]);
    }
    const out = pool.subarray(0, size);
    pool = pool.subarray(size);
    return new Uint8Array(out);
  };
}

/** Returns the given bytes in order, then fails: pins exactly what a function draws. */
export function scriptedRng(bytes: readonly number[]): RandomBytes {
  let i = 0;
  return (size) => {
    if (i + size > bytes.length) throw new Error(`scripted rng exhausted: wanted ${size} at ${i} of ${bytes.length}`);
    const out = Uint8Array.from(bytes.slice(i, i + size));
    i += size;
    return out;
  };
}
