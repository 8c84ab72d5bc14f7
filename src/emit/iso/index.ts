/**
 * Streaming ISO 9660 writer with Joliet and Rock Ridge, for NoCloud seed images (volume id
 * "cidata"). The layout is fixed up front from names and sizes (layout.ts); then the header and
 * each file's bytes are streamed to disk in order, so memory stays flat whatever the sizes.
 */
import { closeSync, fchmodSync, openSync, readSync, rmSync } from 'node:fs';
import { BLOCK } from './encode.js';
import { planIso } from './layout.js';
import { BlockSink } from './sink.js';
import type { IsoFile, WriteIsoOptions } from './types.js';

export type { IsoFile, WriteIsoOptions } from './types.js';
export { isoFileFromBuffer, isoFileFromPath } from './sources.js';
export { planIso, MAX_EXTENT, type IsoLayout, type LayoutOptions } from './layout.js';

/** Internal knob for tests; not part of the options callers are meant to use. */
interface WriteIsoTestOptions extends WriteIsoOptions {
  readonly maxExtent?: number;
}

function asBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** Copies a file on disk into the image, checking that it still has its declared size. */
async function copyLocal(sink: BlockSink, file: IsoFile, localPath: string, size: number): Promise<void> {
  const isoPath = file.path;
  const fd = openSync(localPath, 'r');
  try {
    const got = await sink.readFrom(fd, size, file.observe);
    if (got !== size) throw new Error(`iso: ${isoPath} (${localPath}) has ${got} bytes, declared ${size}`);
    if (readSync(fd, Buffer.alloc(1), 0, 1, size) !== 0) {
      throw new Error(`iso: ${isoPath} (${localPath}) has more than its declared ${size} bytes`);
    }
  } finally {
    closeSync(fd);
  }
}

async function copyStream(sink: BlockSink, file: IsoFile, size: number): Promise<void> {
  let got = 0;
  for await (const raw of file.open() as AsyncIterable<Uint8Array | string>) {
    const chunk = asBytes(raw);
    got += chunk.length;
    if (got > size) throw new Error(`iso: ${file.path} yielded more than its declared ${size} bytes`);
    file.observe?.(chunk);
    sink.write(chunk);
  }
  if (got !== size) throw new Error(`iso: ${file.path} yielded ${got} bytes, declared ${size}`);
}

/**
 * Writes the image to `out` (created or truncated). A file with more or fewer bytes than its
 * declared size fails the write, and the partial image is removed. Files on disk are copied with
 * synchronous reads and writes (sink.ts says why), the event loop getting a turn every 16 MiB.
 */
export async function writeIso(files: readonly IsoFile[], opts: WriteIsoTestOptions, out: string): Promise<void> {
  const layout = planIso(files, opts);
  const mode = opts.mode ?? 0o644;
  const fd = openSync(out, 'w', mode);
  let ok = false;
  try {
    // The umask may have taken bits away (never added any): the image gets exactly `mode`.
    fchmodSync(fd, mode);
    const sink = new BlockSink(fd, layout.totalBytes, opts.onProgress);
    sink.write(layout.header);
    for (const { file, offset, size } of layout.files) {
      if (sink.offset !== offset) throw new Error(`unreachable: ${file.path} at ${sink.offset}, planned ${offset}`);
      if (file.localPath !== undefined) await copyLocal(sink, file, file.localPath, size);
      else await copyStream(sink, file, size);
      sink.zeros((BLOCK - (size % BLOCK)) % BLOCK);
    }
    sink.finish();
    if (sink.offset !== layout.totalBytes) {
      throw new Error(`unreachable: wrote ${sink.offset} bytes, planned ${layout.totalBytes}`);
    }
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(out, { force: true });
  }
}
