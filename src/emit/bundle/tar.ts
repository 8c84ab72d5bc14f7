/**
 * A deterministic tar written as a stream with archiver: entries in the caller's (sorted) order,
 * one fixed mtime, uid/gid 0, no user or group names, fixed modes. The same inputs give the same
 * bytes. File contents stream through a hash, so every byte written is checked against the digest
 * the bundle promises, and no file is ever held in memory.
 */
import archiver from 'archiver';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { DigestMismatchError, HashingStream } from './digest.js';

export type TarEntry =
  | { type: 'directory'; path: string; mode: number }
  | { type: 'buffer'; path: string; mode: number; content: Buffer }
  | {
      type: 'file';
      path: string;
      mode: number;
      /** File on disk to stream from. */
      source: string;
      size: number;
      sha256: string;
      /** How a mismatch names the file. */
      label: string;
    };

export interface TarOptions {
  mtime: Date;
  /** Called as bytes reach the output file. */
  onBytes?: (written: number) => void;
  /** Also hash the tar as it is written (an image archive, listed in SHA256SUMS). */
  sha256?: boolean;
}

export interface TarResult {
  bytes: number;
  /** The tar's own sha256 (hex) when asked for; null otherwise. */
  sha256: string | null;
}

/** Writes `entries` to `dest` as a tar; rejects (leaving `dest` for the caller to remove) on any error. */
export async function writeTar(dest: string, entries: readonly TarEntry[], opts: TarOptions): Promise<TarResult> {
  const archive = archiver('tar');
  const out = createWriteStream(dest);
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
  };
  archive.on('error', fail);
  archive.on('warning', fail);
  out.on('error', fail);
  let written = 0;
  const whole = opts.sha256 ? createHash('sha256') : null;
  archive.on('data', (chunk: Buffer) => {
    written += chunk.length;
    whole?.update(chunk);
    opts.onBytes?.(written);
  });
  archive.pipe(out);

  const entryDone = () =>
    new Promise<void>((resolve, reject) => {
      const onEntry = () => {
        cleanup();
        resolve();
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        archive.off('entry', onEntry);
        archive.off('error', onError);
      };
      archive.on('entry', onEntry);
      archive.on('error', onError);
    });

  try {
    for (const e of entries) {
      const base = { name: e.path, date: opts.mtime, mode: e.mode };
      if (e.type === 'directory') {
        const done = entryDone();
        // A name ending in '/' makes archiver write a directory entry.
        archive.append(Buffer.alloc(0), { ...base, name: `${e.path.replace(/\/$/, '')}/` });
        await done;
      } else if (e.type === 'buffer') {
        const done = entryDone();
        archive.append(e.content, base);
        await done;
      } else {
        const hasher = new HashingStream();
        const input = createReadStream(e.source, { highWaterMark: 1 << 20 });
        const readFailed = new Promise<never>((_, reject) => {
          input.on('error', reject);
          hasher.on('error', reject);
        });
        input.pipe(hasher);
        const done = entryDone();
        // `stats.size` lets archiver stream the entry instead of buffering it to learn its size.
        archive.append(hasher, { ...base, stats: { size: e.size } as Stats });
        await Promise.race([done, readFailed]);
        if (hasher.bytes !== e.size) {
          throw new Error(`${e.label} changed size while being bundled: expected ${e.size} bytes, read ${hasher.bytes}`);
        }
        if (hasher.digest !== e.sha256) throw new DigestMismatchError(e.label, e.sha256, hasher.digest);
      }
      if (failure) throw failure;
    }
    const closed = once(out, 'close');
    await archive.finalize();
    await closed;
    if (failure) throw failure;
    return { bytes: written, sha256: whole ? whole.digest('hex') : null };
  } catch (err) {
    archive.abort();
    out.destroy();
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    throw err;
  }
}
