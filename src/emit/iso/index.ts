/**
 * Streaming ISO 9660 writer with Joliet and Rock Ridge, for NoCloud seed images (volume id
 * "cidata"). The layout is fixed up front from names and sizes (layout.ts); then the header and
 * each file's bytes are streamed to disk in order, so memory stays flat whatever the sizes.
 */
import { open, rm } from 'node:fs/promises';
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

/**
 * Writes the image to `out` (created or truncated). A file whose stream yields more or fewer
 * bytes than its declared size fails the write, and the partial image is removed.
 */
export async function writeIso(files: readonly IsoFile[], opts: WriteIsoTestOptions, out: string): Promise<void> {
  const layout = planIso(files, opts);
  const mode = opts.mode ?? 0o644;
  const fh = await open(out, 'w', mode);
  let ok = false;
  try {
    // The umask may have taken bits away (never added any): the image gets exactly `mode`.
    await fh.chmod(mode);
    const sink = new BlockSink(fh, layout.totalBytes, opts.onProgress);
    await sink.write(layout.header);
    for (const { file, offset, size } of layout.files) {
      if (sink.offset !== offset) throw new Error(`unreachable: ${file.path} at ${sink.offset}, planned ${offset}`);
      let got = 0;
      for await (const raw of file.open() as AsyncIterable<Uint8Array | string>) {
        const chunk = asBytes(raw);
        got += chunk.length;
        if (got > size) throw new Error(`iso: ${file.path} yielded more than its declared ${size} bytes`);
        await sink.write(chunk);
      }
      if (got !== size) throw new Error(`iso: ${file.path} yielded ${got} bytes, declared ${size}`);
      await sink.zeros((BLOCK - (size % BLOCK)) % BLOCK);
    }
    await sink.finish();
    if (sink.offset !== layout.totalBytes) {
      throw new Error(`unreachable: wrote ${sink.offset} bytes, planned ${layout.totalBytes}`);
    }
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await rm(out, { force: true });
  }
}
