/**
 * A content-addressed store on disk: `<dir>/sha256/<hex>` holds bytes whose sha256 is <hex>, and
 * nothing else ever lands there. Bytes arrive through `<dir>/partial/<hex>.part`, hashed as they
 * stream in; a transfer that breaks is resumed from the part file with an HTTP Range request, the
 * hash carrying on from the bytes already there (read once, never buffered whole). Only bytes
 * that hash to their name are renamed into place. Binaries and image blobs share one store.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { digestHex } from './digest.js';
import { DigestMismatchError, networkCause, RegistryError } from './errors.js';

export interface IngestOptions {
  /** Expected size when known (a descriptor's): more bytes than this are refused early. */
  readonly size?: number;
  /** Opens the source from `offset`: a 200 answer (whole content) or 206 (from offset). */
  readonly open: (offset: number) => Promise<IncomingMessage>;
  /** How errors name the source (an endpoint). */
  readonly source: string;
  /** `blob`, `manifest`, or a file's name. */
  readonly what: string;
  readonly maxAttempts?: number;
  readonly retryDelayMs?: number;
  /** Bytes of this content on disk so far, as they arrive. */
  readonly onBytes?: (bytes: number, resumedFrom: number) => void;
}

export interface Ingested {
  readonly path: string;
  readonly size: number;
  /** Bytes received over the network by this call. */
  readonly received: number;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    const st = await fs.stat(path);
    return st.isFile() ? st.size : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Feeds a file's bytes into `hash`: a resumed transfer carries on with the same hash. */
async function hashFileInto(path: string, hash: Hash): Promise<number> {
  let n = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(c as Buffer);
    n += (c as Buffer).length;
  }
  return n;
}

export class ContentStore {
  /** Ingests under way, by digest: images that share a layer fetch it once, into one part file. */
  private readonly inflight = new Map<string, Promise<Ingested>>();

  constructor(readonly dir: string) {}

  path(digest: string): string {
    return join(this.dir, 'sha256', digestHex(digest));
  }

  partialPath(digest: string): string {
    return join(this.dir, 'partial', `${digestHex(digest)}.part`);
  }

  /** The size of the stored content, or null when the store does not have it. */
  has(digest: string): Promise<number | null> {
    return sizeOf(this.path(digest));
  }

  /** Removes stored content (found corrupt later). */
  async remove(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  /** Stores bytes already in memory (a manifest) after checking their digest. */
  async putBytes(digest: string, bytes: Buffer, source: string, what: string): Promise<string> {
    const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (actual !== digest) throw new DigestMismatchError(source, what, digest, actual);
    const dest = this.path(digest);
    await fs.mkdir(join(this.dir, 'sha256'), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, dest);
    return dest;
  }

  async readBytes(digest: string, limit: number): Promise<Buffer> {
    const p = this.path(digest);
    const size = await sizeOf(p);
    if (size === null) throw new Error(`the store has no ${digest}`);
    if (size > limit) throw new Error(`${digest} in the store is larger than ${limit} bytes`);
    const bytes = await fs.readFile(p);
    if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) {
      await this.remove(digest);
      throw new Error(`${p} does not hash to its name: removed; run again to fetch it anew`);
    }
    return bytes;
  }

  /**
   * Streams content into the store, resuming and retrying broken transfers, and checks its digest.
   * A digest mismatch is final (the part file is removed): a registry that serves other bytes
   * under a digest is not asked again. A second ingest of a digest already under way in this
   * process waits for the first. (Two processes sharing one store may each fetch it; the part
   * file is one per digest, so run one kubeseed per cache at a time.)
   */
  async ingest(digest: string, o: IngestOptions): Promise<Ingested> {
    const running = this.inflight.get(digest);
    if (running) {
      const r = await running;
      return { ...r, received: 0 };
    }
    const p = this.ingestOnce(digest, o);
    this.inflight.set(digest, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(digest);
    }
  }

  private async ingestOnce(digest: string, o: IngestOptions): Promise<Ingested> {
    const have = await this.has(digest);
    if (have !== null) return { path: this.path(digest), size: have, received: 0 };
    const part = this.partialPath(digest);
    await fs.mkdir(join(this.dir, 'partial'), { recursive: true });
    const maxAttempts = o.maxAttempts ?? 5;
    let received = 0;
    let last: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const hash = createHash('sha256');
        let at = (await sizeOf(part)) ?? 0;
        if (o.size !== undefined && at > o.size) {
          await fs.rm(part, { force: true });
          at = 0;
        }
        if (at > 0) await hashFileInto(part, hash);
        let complete = o.size !== undefined && at === o.size;
        if (!complete) {
          const res = await o.open(at);
          let start = 0;
          if (res.statusCode === 206) {
            const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
            if (!m || Number(m[1]) !== at) {
              res.destroy();
              await fs.rm(part, { force: true });
              throw new RegistryError(o.source, `answered a range other than bytes=${at}- for ${o.what} ${digest}`);
            }
            start = at;
          } else if (at > 0) {
            // Range ignored (200): the body is the whole content again.
            return await this.restart(digest, o, res, part);
          }
          const r = await this.receive(digest, res, part, start, hash, o);
          received += r.received;
          at = r.size;
          complete = r.complete;
        }
        if (!complete) {
          last = new RegistryError(o.source, `${o.what} ${digest}: the transfer broke at byte ${at}`);
          continue;
        }
        return { ...(await this.commit(digest, part, hash, o)), received };
      } catch (e) {
        if (e instanceof DigestMismatchError) throw e;
        if (e instanceof RegistryError && e.status !== undefined && !e.tryNext) throw e;
        last = e instanceof RegistryError ? e : new RegistryError(o.source, networkCause(e));
      }
      if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 300) * attempt));
    }
    throw last instanceof RegistryError ? last : new RegistryError(o.source, String(last));
  }

  /** A 200 answer to a Range request: start the part file over with this body. */
  private async restart(digest: string, o: IngestOptions, res: IncomingMessage, part: string): Promise<Ingested> {
    const hash = createHash('sha256');
    const r = await this.receive(digest, res, part, 0, hash, o);
    if (!r.complete) throw new RegistryError(o.source, `${o.what} ${digest}: the transfer broke at byte ${r.size}`);
    return { ...(await this.commit(digest, part, hash, o)), received: r.received };
  }

  /** Appends the body to the part file (from `start`), hashing it; never more than the expected size. */
  private async receive(
    digest: string,
    res: IncomingMessage,
    part: string,
    start: number,
    hash: Hash,
    o: IngestOptions,
  ): Promise<{ size: number; received: number; complete: boolean }> {
    // pipe() moves the body with backpressure and a 1 MiB write buffer; the 'data' listener (added
    // first, so it sees each chunk before the file does) hashes and counts.
    const out = createWriteStream(part, { flags: start === 0 ? 'w' : 'a', highWaterMark: 1 << 20 });
    let size = start;
    let received = 0;
    let broken = false;
    let tooLong = false;
    res.on('data', (c: Buffer) => {
      if (tooLong) return;
      if (o.size !== undefined && size + c.length > o.size) {
        tooLong = true;
        res.destroy();
        return;
      }
      hash.update(c);
      size += c.length;
      received += c.length;
      o.onBytes?.(size, start);
    });
    // Not pipeline(): on a broken body it would destroy the file stream and drop bytes already
    // received but not yet written. End the file stream ourselves so they land.
    res.pipe(out, { end: false });
    try {
      await finished(res);
    } catch {
      broken = true;
    }
    res.unpipe(out);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (tooLong) {
      await fs.rm(part, { force: true });
      throw new DigestMismatchError(o.source, o.what, digest, `it is longer than the ${o.size} bytes its descriptor gives`);
    }
    const length = Number(res.headers['content-length']);
    const whole = !broken && res.complete && (Number.isNaN(length) || size - start === length);
    return { size, received, complete: whole && (o.size === undefined || size === o.size) };
  }

  private async commit(digest: string, part: string, hash: Hash, o: IngestOptions): Promise<{ path: string; size: number }> {
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      await fs.rm(part, { force: true });
      throw new DigestMismatchError(o.source, o.what, digest, actual);
    }
    const dest = this.path(digest);
    await fs.mkdir(join(this.dir, 'sha256'), { recursive: true });
    await fs.rename(part, dest);
    return { path: dest, size: (await sizeOf(dest)) ?? 0 };
  }
}
