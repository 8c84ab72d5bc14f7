/**
 * Debian control files (deb822): stanzas of `Field: value` lines, continuation lines starting
 * with a space or tab, stanzas separated by blank lines. Packages indices are tens of MB, so
 * stanzas are read from a stream line by line, and only the fields asked for are kept.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export type Stanza = Map<string, string>;

/** Stanzas of a whole text (Release files, small indices). Field names keep their case. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza = new Map();
  let last: string | null = null;
  for (const line of text.split('\n')) {
    last = addLine(cur, line.replace(/\r$/, ''), last);
    if (last === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = null;
    }
  }
  if (cur.size) out.push(cur);
  return out;
}

/** Adds one line to a stanza; returns the field it belongs to, or '' at a stanza break. */
function addLine(st: Stanza, line: string, last: string | null, keep?: ReadonlySet<string>): string | null {
  if (line.trim() === '') return '';
  if (line.startsWith('#')) return last;
  if (line[0] === ' ' || line[0] === '\t') {
    if (last !== null && st.has(last)) st.set(last, `${st.get(last)}\n${line.slice(1)}`);
    return last;
  }
  const colon = line.indexOf(':');
  if (colon <= 0) return last;
  const name = line.slice(0, colon);
  if (keep && !keep.has(name)) return null;
  st.set(name, line.slice(colon + 1).trim());
  return name;
}

/** Streams stanzas keeping only the named fields (the rest is never stored). */
export async function* streamStanzas(input: Readable, keep: ReadonlySet<string>): AsyncGenerator<Stanza> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let cur: Stanza = new Map();
  let last: string | null = null;
  let any = false;
  for await (const raw of lines) {
    const line = raw as string;
    if (line.trim() === '') {
      if (any) yield cur;
      cur = new Map();
      last = null;
      any = false;
      continue;
    }
    any = true;
    last = addLine(cur, line, last, keep);
  }
  if (any) yield cur;
}
