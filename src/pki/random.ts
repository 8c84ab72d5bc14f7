/**
 * The one source of randomness for serial numbers and bootstrap tokens. Injectable so tests can
 * pin them; key pairs always come from node:crypto's CSPRNG, which cannot be seeded.
 */
import { randomBytes } from 'node:crypto';

/** Returns `size` random bytes. */
export type RandomBytes = (size: number) => Uint8Array;

export const defaultRandomBytes: RandomBytes = (size) => randomBytes(size);
