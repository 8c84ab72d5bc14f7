/**
 * Names in the two directory trees. The primary tree must hold ISO 9660 identifiers
 * (ECMA-119 7.4.2 d-characters: A-Z 0-9 _); we keep to the strictest form, interchange level 1
 * (8.3 file names with ";1", 8-character directory names), which every reader accepts. The real
 * names travel in Rock Ridge NM entries. The Joliet tree holds the real names in UCS-2, minus the
 * few characters Joliet forbids, up to 64 characters, with no ";1" so readers show them as-is.
 */
import { ucs2be } from './encode.js';

const FILE_BASE_MAX = 8;
const FILE_EXT_MAX = 3;
const DIR_MAX = 8;
/** Joliet specification: identifiers are at most 64 UCS-2 characters. */
export const JOLIET_MAX = 64;

function dChars(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Replaces the tail of `base` with a counter so that it stays within `max` characters. */
function withCounter(base: string, n: number, max: number): string {
  const tag = String(n);
  return base.slice(0, Math.max(0, max - tag.length)) + tag;
}

/**
 * ISO 9660 identifiers for one directory's entries, in the order given (callers pass names
 * sorted, so clashes resolve the same way every time). Files get `BASE.EXT;1`, directories
 * `NAME`.
 */
export function primaryIds(entries: readonly { name: string; dir: boolean }[]): string[] {
  const taken = new Set<string>();
  return entries.map(({ name, dir }) => {
    let make: (n: number) => string;
    if (dir) {
      const base = dChars(name).slice(0, DIR_MAX);
      make = (n) => (n === 0 ? base : withCounter(base, n, DIR_MAX));
    } else {
      const dot = name.lastIndexOf('.');
      const stem = dot > 0 ? name.slice(0, dot) : name;
      const ext = dot > 0 ? dChars(name.slice(dot + 1)).slice(0, FILE_EXT_MAX) : '';
      const base = dChars(stem).slice(0, FILE_BASE_MAX);
      make = (n) => `${n === 0 ? base : withCounter(base, n, FILE_BASE_MAX)}.${ext};1`;
    }
    for (let n = 0; ; n++) {
      const id = make(n);
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
  });
}

/** Joliet forbids * / : ; ? \ and control characters; UCS-2 cannot hold surrogate pairs. */
function jolietChars(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const bad = c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || '*/:;?\\'.includes(name[i] as string);
    out += bad ? '_' : name[i];
  }
  return out;
}

/** Joliet identifiers for one directory's entries, unique within the directory. */
export function jolietIds(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    const clean = jolietChars(name);
    for (let n = 0; ; n++) {
      let id: string;
      if (n === 0) id = clean.slice(0, JOLIET_MAX);
      else {
        // Keep the extension when shortening, so a clash of long names stays recognisable.
        const tag = `~${n}`;
        const dot = clean.lastIndexOf('.');
        const ext = dot > 0 && clean.length - dot <= 8 ? clean.slice(dot) : '';
        const stem = ext ? clean.slice(0, dot) : clean;
        id = stem.slice(0, JOLIET_MAX - tag.length - ext.length) + tag + ext;
      }
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
  });
}

/**
 * ECMA-119 9.3: records sort by file name then extension, each compared as if padded with
 * spaces, then by version (higher first). Directory identifiers have no extension.
 */
export function comparePrimaryIds(a: string, b: string): number {
  const split = (id: string): [string, string, number] => {
    const semi = id.indexOf(';');
    const nameExt = semi < 0 ? id : id.slice(0, semi);
    const version = semi < 0 ? 0 : Number(id.slice(semi + 1));
    const dot = nameExt.indexOf('.');
    return dot < 0 ? [nameExt, '', version] : [nameExt.slice(0, dot), nameExt.slice(dot + 1), version];
  };
  const padCmp = (x: string, y: string) => {
    const n = Math.max(x.length, y.length);
    const px = x.padEnd(n, ' ');
    const py = y.padEnd(n, ' ');
    return px < py ? -1 : px > py ? 1 : 0;
  };
  const [an, ae, av] = split(a);
  const [bn, be, bv] = split(b);
  return padCmp(an, bn) || padCmp(ae, be) || bv - av;
}

/** Joliet records sort by their UCS-2 code units (the same rule, with no extension split). */
export function compareJolietIds(a: string, b: string): number {
  return Buffer.compare(ucs2be(a), ucs2be(b));
}
