/**
 * HTTP range requests (RFC 9110 section 14), as far as resuming a download needs them: one range
 * per request, honoured only while the file is the one the client started with (If-Range).
 * A server may ignore a Range header; this one ignores several ranges and malformed ones and
 * answers the whole file, which every client handles.
 */
import type { Stats } from 'node:fs';

/** Strong validator from what changes when a file is replaced or rewritten. */
export function etagOf(stat: Stats): string {
  return `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

export type RangeAnswer =
  | { readonly kind: 'whole' }
  | { readonly kind: 'part'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const NUM = /^\d{1,16}$/;

/**
 * What to send for `range` (the Range header) over a file of `size` bytes. `ifRange` is the
 * If-Range header: when it names another version of the file (not this ETag or Last-Modified),
 * the range no longer applies and the whole file goes.
 */
export function rangeAnswer(range: string | undefined, size: number, ifRange: string | undefined, etag: string, lastModified: string): RangeAnswer {
  if (range === undefined) return { kind: 'whole' };
  if (ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) return { kind: 'whole' };
  const m = /^bytes=([^,]*)$/.exec(range.trim());
  if (!m) return { kind: 'whole' };
  const parts = m[1]!.trim().split('-').map((s) => s.trim());
  if (parts.length !== 2) return { kind: 'whole' };
  const [first, last] = parts as [string, string];
  if (first === '') {
    // A suffix: the last N bytes.
    if (!NUM.test(last)) return { kind: 'whole' };
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  if (!NUM.test(first) || (last !== '' && !NUM.test(last))) return { kind: 'whole' };
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}
