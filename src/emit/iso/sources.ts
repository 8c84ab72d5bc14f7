/** Ways to make an IsoFile: from a file on disk (streamed) or from bytes already in memory. */
import { open, stat } from 'node:fs/promises';
import type { IsoFile } from './types.js';

const READ_CHUNK = 1 << 20;

/**
 * Reads a file in 1 MiB chunks through one reused buffer: the writer copies each chunk before
 * asking for the next, so no per-chunk allocation waits for the garbage collector (which is what
 * kept the peak RSS of a fs.createReadStream source some 40 MB higher).
 */
async function* readChunks(localPath: string): AsyncGenerator<Uint8Array> {
  const fh = await open(localPath, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * A file on disk, read when the writer reaches it (by the writer itself, through `localPath`;
 * `open` serves other readers). Mode defaults to the file's own bits.
 */
export async function isoFileFromPath(localPath: string, isoPath: string, mode?: number): Promise<IsoFile> {
  const st = await stat(localPath);
  if (!st.isFile()) throw new Error(`iso: ${localPath} is not a regular file`);
  return {
    path: isoPath,
    size: st.size,
    mode: mode ?? st.mode & 0o7777,
    localPath,
    open: () => readChunks(localPath),
  };
}

/** Bytes (or UTF-8 text) already in memory, e.g. a rendered user-data. */
export function isoFileFromBuffer(isoPath: string, content: string | Uint8Array, mode = 0o644): IsoFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return {
    path: isoPath,
    size: bytes.byteLength,
    mode,
    open: () => ({
      async *[Symbol.asyncIterator]() {
        yield bytes;
      },
    }),
  };
}
