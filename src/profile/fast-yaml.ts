/**
 * A fast reader for the plain subset of YAML that profiles are written in: block mappings and
 * sequences, one-line flow collections, plain and one-line quoted scalars, comments. The yaml
 * package builds a full document with node ranges for every node, which costs ~100 ms per 1,000
 * nodes; this reads the same text into the same plain values in a few milliseconds.
 *
 * It is only a shortcut: it returns a value only when the text is well-formed YAML whose value
 * (as the yaml package reads it: YAML 1.2 core schema, unique keys, `toJS()`) it knows for sure,
 * and `undefined` for anything else — anchors, tags, block scalars, multi-line scalars or flow
 * collections, escapes, floats, hex, tabs, duplicate keys, odd indentation, syntax errors. The
 * caller then parses with the yaml package, which also gives every error its position.
 */

export interface FastYaml {
  readonly value: unknown;
}

/** Signals "not in the subset"; caught once, in readFastYaml. */
class Declined extends Error {}

const decline = (): never => {
  throw new Declined();
};

/** YAML's white space here is the space alone (tabs are declined): String#trim knows more. */
function trimStartSpaces(s: string): string {
  let i = 0;
  while (s.charCodeAt(i) === 32) i++;
  return i === 0 ? s : s.slice(i);
}

function trimEndSpaces(s: string): string {
  let i = s.length;
  while (i > 0 && s.charCodeAt(i - 1) === 32) i--;
  return i === s.length ? s : s.slice(0, i);
}

/** A letter other than n, t, f (either case): in the core schema it starts only strings. */
function startsString(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 97 && lower <= 122 && lower !== 110 && lower !== 116 && lower !== 102;
}

interface Line {
  readonly indent: number;
  /** The line after its indentation; comment-only and blank lines are dropped. */
  readonly text: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isKeyStart = (c: number): boolean => isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95;
const isKeyChar = (c: number): boolean => isKeyStart(c) || c === 46 || c === 47 || c === 45; // . / -
const COLON = 58;
const SPACE = 32;

interface KeyMatch {
  readonly key: string;
  /** Where the value starts: after the colon and the spaces that follow it. */
  readonly value: number;
  /** Whether at least one space followed the colon (else the colon ended the text). */
  readonly spaced: boolean;
}

/**
 * A plain key at `from` in `s` — a name or a registry host (`docker.io`, `registry.local:5000`),
 * i.e. /[A-Za-z0-9_][A-Za-z0-9_./-]*(:[0-9]{1,5})?/ — followed by `:` and a space or the end.
 * Scanned by hand: this runs once per line.
 */
function keyAt(s: string, from: number): KeyMatch | undefined {
  const n = s.length;
  if (!isKeyStart(s.charCodeAt(from))) return undefined;
  let i = from + 1;
  while (i < n && isKeyChar(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== COLON) return undefined;
  let colon = i;
  if (i + 1 < n && s.charCodeAt(i + 1) !== SPACE) {
    // Only `:port:` may follow: one to five digits, then the key's colon.
    let j = i + 1;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (j - i - 1 < 1 || j - i - 1 > 5 || s.charCodeAt(j) !== COLON) return undefined;
    if (j + 1 < n && s.charCodeAt(j + 1) !== SPACE) return undefined;
    colon = j;
  }
  let value = colon + 1;
  while (s.charCodeAt(value) === SPACE) value++;
  return { key: s.slice(from, colon), value, spaced: value > colon + 1 };
}
/** Characters that change the meaning of a plain scalar's first position (YAML 1.2 c-indicator). */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
/** Core-schema scalars the subset leaves to the yaml package: floats, signed, octal and hex ints. */
const OTHER_NUMBER = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const NULL = /^(?:~|[Nn]ull|NULL)$/;
const TRUE = /^(?:[Tt]rue|TRUE)$/;
const FALSE = /^(?:[Ff]alse|FALSE)$/;
/** Whatever the subset does not read: tabs, CR, BOM, control and YAML 1.1 line-break characters. */
const UNSUPPORTED_CHARS = /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\ufeff]/;

/** The core schema's reading of a plain scalar (the subset's part of it). */
function plainValue(s: string): unknown {
  if (startsString(s.charCodeAt(0))) return s;
  if (NULL.test(s)) return null;
  if (TRUE.test(s)) return true;
  if (FALSE.test(s)) return false;
  if (/^[0-9]{1,15}$/.test(s)) return parseInt(s, 10);
  if (OTHER_NUMBER.test(s)) decline();
  return s;
}

/** A plain scalar's text is in the subset: no indicator first, no `: ` or ` #` inside, no `:` last. */
function checkPlain(s: string): string {
  if (s === '' || INDICATOR.test(s) || s.includes(': ') || s.endsWith(':') || s.includes(' #')) decline();
  return s;
}

function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__' || Object.hasOwn(map, key)) decline();
  map[key] = value;
}

/** A key the subset reads as a string; others (numbers, booleans, null, > 1024 chars) are left to yaml. */
function plainKey(key: string): string {
  if (key.length > 1000 || typeof plainValue(key) !== 'string') decline();
  return key;
}

/** Reads a quoted scalar starting at `s[i]`; returns its value and the index after it. */
function quoted(s: string, i: number): [string, number] {
  const q = s[i]!;
  let out = '';
  let j = i + 1;
  for (;;) {
    const k = s.indexOf(q, j);
    if (k < 0) return decline(); // multi-line quoted scalars are left to yaml
    out += s.slice(j, k);
    if (q === "'" && s[k + 1] === "'") {
      out += "'";
      j = k + 2;
      continue;
    }
    if (q === '"' && out.includes('\\')) decline(); // escapes are left to yaml
    return [out, k + 1];
  }
}

/** One-line flow collections: `[a, "b"]`, `{ k: v, k2: [x] }`. */
class Flow {
  i = 0;
  constructor(private readonly s: string) {}

  private spaces(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  value(): unknown {
    this.spaces();
    const c = this.s[this.i];
    if (c === '[') return this.seq();
    if (c === '{') return this.map();
    if (c === '"' || c === "'") {
      const [v, next] = quoted(this.s, this.i);
      this.i = next;
      return v;
    }
    return plainValue(this.plain());
  }

  private plain(): string {
    const start = this.i;
    while (this.i < this.s.length && !',[]{}'.includes(this.s[this.i]!)) {
      if (this.s[this.i] === ':' && (this.s[this.i + 1] === ' ' || this.s[this.i + 1] === undefined || ',[]{}'.includes(this.s[this.i + 1]!))) break;
      this.i++;
    }
    return checkPlain(trimEndSpaces(this.s.slice(start, this.i)));
  }

  private seq(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.spaces();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.spaces();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') decline();
      this.spaces();
      if (this.s[this.i] === ']') decline(); // a trailing comma is left to yaml
    }
  }

  private map(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.spaces();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.spaces();
      const m = keyAt(this.s, this.i);
      if (!m || !m.spaced) return decline(); // `{a:b}` and `{a:}` are left to yaml
      this.i = m.value;
      setKey(out, plainKey(m.key), this.value());
      this.spaces();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') decline();
      this.spaces();
      if (this.s[this.i] === '}') decline();
    }
  }

  /** After the collection or scalar: nothing but a comment. */
  end(): void {
    const rest = this.s.slice(this.i);
    if (rest !== '' && !/^ +(#.*)?$/.test(rest)) decline();
  }
}

/** A value written on the same line as its key or dash. */
function inlineValue(text: string): unknown {
  const c = text[0];
  if (c === '[' || c === '{' || c === '"' || c === "'") {
    const flow = new Flow(text);
    const v = flow.value();
    flow.end();
    return v;
  }
  const hash = text.indexOf(' #');
  return plainValue(checkPlain(trimEndSpaces(hash < 0 ? text : text.slice(0, hash))));
}

class Block {
  private at = 0;
  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.at >= this.lines.length;
  }

  private peek(): Line | undefined {
    return this.lines[this.at];
  }

  private static isItem(text: string): boolean {
    return text === '-' || text.startsWith('- ');
  }

  /** The node that starts at the current line, which has indentation `indent`. */
  node(indent: number): unknown {
    return Block.isItem(this.peek()!.text) ? this.seq(indent) : this.map(indent);
  }

  /** A value on the lines after `key:` or `-` whose own indentation is `indent`. */
  private nested(indent: number, sameIndentSeq: boolean): unknown {
    const next = this.peek();
    if (next && next.indent > indent) return this.node(next.indent);
    if (sameIndentSeq && next && next.indent === indent && Block.isItem(next.text)) return this.seq(indent);
    return null;
  }

  /** After a value on one line: the next line must not be deeper (a continuation, or an error). */
  private noDeeper(indent: number): void {
    const next = this.peek();
    if (next && next.indent > indent) decline();
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.peek(); line && line.indent === indent && !Block.isItem(line.text); line = this.peek()) {
      const m = keyAt(line.text, 0);
      if (!m) return decline();
      const rest = line.text.slice(m.value);
      this.at++;
      let value: unknown;
      if (rest === '' || rest.startsWith('#')) {
        value = this.nested(indent, true);
      } else {
        value = inlineValue(rest);
        this.noDeeper(indent);
      }
      setKey(out, plainKey(m.key), value);
    }
    const line = this.peek();
    if (line && line.indent > indent) decline();
    return out;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.peek(); line && line.indent === indent && Block.isItem(line.text); line = this.peek()) {
      const after = line.text.slice(1);
      const content = trimStartSpaces(after);
      if (content === '' || content.startsWith('#')) {
        this.at++;
        out.push(this.nested(indent, false));
      } else if (Block.isItem(content)) {
        return decline(); // `- - x` is left to yaml
      } else if (keyAt(content, 0)) {
        // `- key: value` opens a mapping whose keys line up with `key`.
        const column = indent + 1 + (after.length - content.length);
        this.lines[this.at] = { indent: column, text: content };
        out.push(this.map(column));
      } else {
        this.at++;
        out.push(inlineValue(content));
        this.noDeeper(indent);
      }
    }
    const line = this.peek();
    if (line && line.indent > indent) decline();
    return out;
  }
}

function contentLines(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    const body = trimStartSpaces(raw);
    if (body === '' || body.startsWith('#')) continue;
    const indent = raw.length - body.length;
    // Directives and document markers are left to yaml.
    if (indent === 0 && (body.startsWith('%') || body.startsWith('---') || body.startsWith('...'))) decline();
    out.push({ indent, text: trimEndSpaces(body) });
  }
  return out;
}

/** The value of a profile in the plain subset, or undefined: then parse it with the yaml package. */
export function readFastYaml(text: string): FastYaml | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    const lines = contentLines(text);
    const first = lines[0];
    if (!first || first.indent !== 0 || first.text.startsWith('-')) return undefined;
    const block = new Block(lines);
    const value = block.node(0);
    return block.done() ? { value } : undefined;
  } catch (e) {
    if (e instanceof Declined) return undefined;
    throw e;
  }
}
