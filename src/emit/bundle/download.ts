/**
 * Resumable HTTP(S) download into a `.part` file. A broken transfer is retried with
 * `Range: bytes=<have>-`; a server that ignores Range (answers 200) is read again from the start.
 * The finished file is verified before the caller may move it anywhere.
 */
import { once } from 'node:events';
import { createWriteStream, promises as fs } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { makeOutputDir } from '../make-dir.js';
import { DigestMismatchError, sha256File } from './digest.js';

export interface DownloadProgress {
  /** Bytes of the file on disk so far (including bytes kept from earlier attempts). */
  bytes: number;
  /** Total size when the server said it; null otherwise. */
  total: number | null;
  /** Byte offset this attempt resumed from (0 for a fresh start). */
  resumedFrom: number;
  attempt: number;
}

export interface DownloadOptions {
  url: string;
  /** The `.part` file; kept between attempts and runs. */
  dest: string;
  expectedSha256: string;
  /** How errors name the file (its bundle file name). */
  label: string;
  /** PEM CA bundle trusted for https (a mirror with a private CA). */
  ca?: string | Buffer;
  maxAttempts?: number;
  retryDelayMs?: number;
  /** Idle socket timeout per attempt. */
  timeoutMs?: number;
  onProgress?: (p: DownloadProgress) => void;
}

export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`GET ${url}: HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

interface AttemptResult {
  complete: boolean;
  total: number | null;
}

const MAX_REDIRECTS = 5;

function get(url: string, headers: Record<string, string>, ca: DownloadOptions['ca'], timeoutMs: number, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new Error(`unsupported URL scheme in ${url}`));
      return;
    }
    const req = mod.request(u, { method: 'GET', headers, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) {
          reject(new Error(`GET ${url}: more than ${MAX_REDIRECTS} redirects`));
          return;
        }
        get(new URL(res.headers.location, u).toString(), headers, ca, timeoutMs, redirects + 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no data for ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await fs.stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

async function attemptOnce(o: DownloadOptions, attempt: number): Promise<AttemptResult> {
  const have = await sizeOf(o.dest);
  const headers: Record<string, string> = { 'user-agent': 'kubeseed' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await get(o.url, headers, o.ca, o.timeoutMs ?? 30_000);
  const status = res.statusCode ?? 0;

  let start: number;
  let total: number | null;
  if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      // A range we did not ask for: start over rather than splice wrong bytes together.
      res.resume();
      await fs.rm(o.dest, { force: true });
      return { complete: false, total: null };
    }
    start = have;
    total = m[3] === '*' ? null : Number(m[3]);
  } else if (status === 200) {
    start = 0; // Range ignored: the body is the whole file.
    const len = res.headers['content-length'];
    total = len === undefined ? null : Number(len);
  } else if (status === 416 && have > 0) {
    // Nothing past what we have: the part file is already whole (or wrong; the digest decides).
    res.resume();
    return { complete: true, total: have };
  } else {
    res.resume();
    throw new HttpStatusError(o.url, status);
  }

  makeOutputDir(dirname(o.dest));
  const out = createWriteStream(o.dest, { flags: start === 0 ? 'w' : 'a' });
  let bytes = start;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    o.onProgress?.({ bytes, total, resumedFrom: start, attempt });
  });
  // Not pipeline(): on a broken response it destroys the file stream and drops writes still
  // buffered, losing bytes we already received. End the file stream ourselves so they land.
  res.pipe(out, { end: false });
  let broken = false;
  try {
    await finished(res);
  } catch {
    broken = true;
  }
  res.unpipe(out);
  out.end();
  await once(out, 'close');
  if (broken) return { complete: false, total };
  // A peer that closes the socket cleanly mid-body ends the stream without an error.
  const got = await sizeOf(o.dest);
  return { complete: total === null ? true : got >= total, total };
}

/** Downloads `url` to `dest` (resuming), verifies the sha256, and returns the size. */
export async function downloadResumable(o: DownloadOptions): Promise<{ size: number; attempts: number }> {
  const maxAttempts = o.maxAttempts ?? 5;
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const r = await attemptOnce(o, attempt);
      if (r.complete) {
        const { sha256, size } = await sha256File(o.dest);
        if (sha256 !== o.expectedSha256) {
          await fs.rm(o.dest, { force: true });
          throw new DigestMismatchError(o.label, o.expectedSha256, sha256);
        }
        return { size, attempts: attempt };
      }
    } catch (e) {
      if (e instanceof DigestMismatchError) throw e;
      if (e instanceof HttpStatusError && e.status >= 400 && e.status < 500) throw e;
      // A host name that does not resolve will not resolve a second later (a resolver that is
      // only struggling answers EAI_AGAIN, which is retried).
      if ((e as NodeJS.ErrnoException).code === 'ENOTFOUND') {
        throw new Error(`download of ${o.label} from ${o.url} failed: ${(e as Error).message}`);
      }
      lastError = e;
    }
    if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 500) * attempt));
  }
  const why = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`download of ${o.label} from ${o.url} did not complete after ${maxAttempts} attempts${why}`);
}
