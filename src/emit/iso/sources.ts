/** Ways to make an IsoFile: from a file on disk (streamed) or from bytes already in memory. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IsoFile } from './types.js';

const READ_CHUNK = 1 << 20;

/** A file on disk, read in 1 MiB chunks when written. Mode defaults to the file's own bits. */
export async function isoFileFromPath(localPath: string, isoPath: string, mode?: number): Promise<IsoFile> {
  const st = await stat(localPath);
  if (!st.isFile()) throw new Error(`iso: ${localPath} is not a regular file`);
  return {
    path: isoPath,
    size: st.size,
    mode: mode ?? st.mode & 0o7777,
    open: () => createReadStream(localPath, { highWaterMark: READ_CHUNK }),
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
