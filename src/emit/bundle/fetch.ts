/**
 * One small file by its sha256, for a command that needs its bytes rather than a bundle of them
 * (compile patches the CNI manifest): looked for in a --from directory, a built bundle's tar, the
 * artifacts cache, then downloaded into the cache with the bundle's resumable downloader. Every
 * byte returned matched the expected sha256.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ContentStore } from '../../oci/content-store.js';
import { isFile } from '../file-size.js';
import { makeOutputDir } from '../make-dir.js';
import { DigestMismatchError } from './digest.js';
import { downloadResumable } from './download.js';
import { readTarMember } from './tar-read.js';

export interface WantedFile {
  /** Upstream file name (what a --from directory holds). */
  readonly fileName: string;
  /** Path inside a bundle tar. */
  readonly bundlePath: string;
  /** Lowercase hex. */
  readonly sha256: string;
}

export interface FetchFileOptions {
  readonly fromDir?: string;
  /** A built bundle's tar, when there is one. */
  readonly bundleTar?: string;
  readonly cacheDir: string;
  /** Where to download it from when nothing local has it; absent: never download. */
  readonly url?: string;
  /** PEM CA trusted for the download. */
  readonly ca?: string;
  readonly download?: { maxAttempts?: number; retryDelayMs?: number; timeoutMs?: number };
}

export type FetchedFile =
  | { readonly found: true; readonly bytes: Buffer; readonly origin: string }
  /** `tried`: each place looked at and what it held, for the message that says how to fix it. */
  | { readonly found: false; readonly tried: readonly string[] };

const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');


async function readIfFile(path: string): Promise<Buffer | undefined> {
  return (await isFile(path)) ? fs.readFile(path) : undefined;
}

/**
 * The file's bytes, or where it was not found. A file the user supplied (--from, a bundle) with
 * other bytes throws DigestMismatchError, as does a download that finished with other bytes; a
 * cache entry with other bytes is removed (a damaged cache) and looked past.
 */
export async function fetchFile(w: WantedFile, o: FetchFileOptions): Promise<FetchedFile> {
  const tried: string[] = [];
  const check = (bytes: Buffer, label: string): Buffer => {
    const got = sha256Hex(bytes);
    if (got !== w.sha256) throw new DigestMismatchError(label, w.sha256, got);
    return bytes;
  };
  if (o.fromDir) {
    for (const p of [join(o.fromDir, w.fileName), join(o.fromDir, w.bundlePath)]) {
      const bytes = await readIfFile(p);
      if (bytes) return { found: true, bytes: check(bytes, p), origin: `--from ${p}` };
    }
    tried.push(`not in --from ${o.fromDir}`);
  }
  if (o.bundleTar) {
    const bytes = (await isFile(o.bundleTar)) ? await readTarMember(o.bundleTar, w.bundlePath) : undefined;
    const label = `${o.bundleTar} (${w.bundlePath})`;
    if (bytes) return { found: true, bytes: check(bytes, label), origin: `bundle ${label}` };
    tried.push(`not in the bundle ${o.bundleTar}`);
  }
  const cached = new ContentStore(o.cacheDir).path(`sha256:${w.sha256}`);
  const bytes = await readIfFile(cached);
  if (bytes && sha256Hex(bytes) === w.sha256) return { found: true, bytes, origin: `cache ${cached}` };
  if (bytes) await fs.rm(cached, { force: true });
  tried.push(`not in the cache ${o.cacheDir}`);
  if (!o.url) return { found: false, tried };
  const part = new ContentStore(o.cacheDir).partialPath(`sha256:${w.sha256}`);
  try {
    await downloadResumable({ url: o.url, dest: part, expectedSha256: w.sha256, label: `${w.fileName} (${o.url})`, ...(o.ca ? { ca: o.ca } : {}), ...o.download });
  } catch (e) {
    if (e instanceof DigestMismatchError) throw e;
    tried.push(`not downloaded from ${o.url}: ${(e as Error).message}`);
    return { found: false, tried };
  }
  makeOutputDir(join(o.cacheDir, 'sha256'));
  await fs.rename(part, cached);
  return { found: true, bytes: await fs.readFile(cached), origin: `downloaded from ${o.url} (kept in the cache ${cached})` };
}
