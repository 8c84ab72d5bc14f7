/**
 * Streaming sha256: files are hashed as they flow past, never read whole into memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

/** A file whose sha256 is not the one the version table (or bundle) expects. */
export class DigestMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch for ${file}: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** A pass-through that hashes and counts what goes through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;
  private hex: string | null = null;

  constructor(seed?: Hash) {
    super();
    this.hash = seed ?? createHash('sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    cb();
  }

  /** The digest, available once the stream has ended. */
  get digest(): string {
    if (this.hex === null) throw new Error('HashingStream.digest read before the stream ended');
    return this.hex;
  }
}

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}
