/**
 * The only place that turns objects into YAML, TOML or JSON text. Renderers build plain objects
 * and call these, so quoting, key order and line folding are decided once.
 */
import TOML from '@iarna/toml';
import { Document, isScalar, visit, type ToStringOptions } from 'yaml';

const YAML_DOCUMENT = { version: '1.1', schema: 'yaml-1.1', aliasDuplicateObjects: false } as never;
const YAML_TEXT = { lineWidth: 0, minContentWidth: 0, indentSeq: true, blockQuote: 'literal' } as const;

/**
 * YAML for consumers that parse YAML 1.1 (cloud-init's PyYAML, kubeadm's sigs.k8s.io/yaml).
 * yaml's `1.1` schema quotes strings that 1.1 would read as booleans or numbers (`on`, `yes`,
 * `0644`); lineWidth 0 stops folding of long lines (certificates, scripts) into `>-` blocks;
 * multi-line strings become `|` block literals so scripts stay readable; an object used twice is
 * written twice, never as an anchor and alias.
 */
export function toYaml(value: unknown, opts: { header?: string } = {}): string {
  let body: string;
  try {
    body = isMapping(value) ? mappingText(value, '') : Array.isArray(value) && value.length > 0 ? sequenceText(value, '') : toYamlWhole(value);
  } catch (e) {
    // Not plain JSON data (a date, NaN, a Map...): its JSON is no faithful key, so write it whole.
    if (!(e instanceof NotPlainData)) throw e;
    body = toYamlWhole(value);
  }
  return opts.header ? `${opts.header}\n${body}` : body;
}

class NotPlainData extends Error {}

/**
 * The key of a kept text: the value's JSON, which tells apart exactly the values YAML writes
 * differently as long as they are plain data (strings, finite numbers, booleans, null, arrays,
 * plain objects). Anything else (NaN and null share a JSON, a Date and its string too) throws
 * NotPlainData.
 */
function keyOf(value: readonly unknown[]): string {
  // Most keys are a leaf's [key, scalar]: those need no check per value, and the replacer (a call
  // from native code for every value) would triple their cost.
  return value.every(isPlainScalar) ? JSON.stringify(value) : JSON.stringify(value, plainOnly);
}

function isPlainScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0));
}

function plainOnly(this: unknown, key: string, v: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (typeof original === 'object' && original !== null) {
    const proto = Object.getPrototypeOf(original);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) throw new NotPlainData();
  } else if (typeof original === 'number' ? !Number.isFinite(original) || Object.is(original, -0) : original === undefined ? Array.isArray(this) : typeof original !== 'string' && typeof original !== 'boolean' && original !== null) {
    throw new NotPlainData();
  }
  return v;
}

/** One document, written whole by the library; toYaml gives the same bytes (tests hold it to that). */
export function toYamlWhole(value: unknown, json?: string): string {
  const doc = new Document(value, YAML_DOCUMENT);
  // A value whose JSON has no \n escape holds no multi-line string: nothing to mark.
  if (json !== undefined && !json.includes('\\n')) return doc.toString(YAML_TEXT);
  // Marking multi-line strings as literal blocks up front also spares the stringifier testing
  // every script and certificate as a possible plain scalar, most of a user-data's cost.
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && node.value.includes('\n')) node.type = 'BLOCK_LITERAL';
    },
  });
  return doc.toString(YAML_TEXT);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A value the library writes as a block collection (an empty one is flow `{}`/`[]`, a leaf). */
function isFilled(value: unknown): value is Record<string, unknown> | readonly unknown[] {
  if (Array.isArray(value)) return value.length > 0;
  return isMapping(value) && Object.values(value).some((v) => v !== undefined);
}

/*
 * A block mapping or sequence, written pair by pair and item by item at any depth; only leaves
 * (scalars, empty collections) are written by the library, each as a one-pair or one-item
 * document at the top level, then shifted right to where it stands. That gives the bytes of the
 * whole document because, in the library's block writer (yaml 2, lineWidth 0):
 * - a collection's text is its pairs' or items' texts joined by a newline and the collection's
 *   indent, items prefixed by `- ` (YAMLMap/YAMLSeq → stringifyBlockCollection); nothing else in
 *   a pair's text depends on its neighbours;
 * - within a pair or item, every line after the first starts with the indent of the node it
 *   belongs to, which grows by the same prefix when the pair moves right; the only lines written
 *   without it are empty ones (runs of newlines in block, single- and double-quoted scalars get
 *   the indent only after the run), so the shift prefixes exactly the non-empty lines;
 * - nothing is folded (lineWidth 0) and a block scalar's indentation indicator is `2` at every
 *   depth below the root, so no choice depends on the column;
 * - except one: a key starting a line with `%`, `---` or `...` is quoted at the top level only.
 *   Keys like that, multi-line keys (written `? |` explicitly) and long ones (explicit past 1024
 *   characters) are not moved: the top-level pair or item holding them is written whole.
 * test/serialize.test.ts holds the result byte-identical to toYamlWhole.
 * Leaves' texts are kept at their final indent, keyed by indent and JSON, so what recurs from
 * node to node (scripts in write_files, criSocket, routes) is written once per compile, not per
 * node, and only what differs (a hostname, an address) is written per node.
 */
class NotMovable extends Error {}

const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function isMovableKey(key: string): boolean {
  return key.length <= 128 && !key.includes('\n') && !DOCUMENT_MARKER.test(key);
}

/** Prefixes the non-empty lines of a text written at column 0. */
function shifted(text: string, indent: string): string {
  return indent === '' ? text : indent + text.replace(/\n(?!\n|$)/g, `\n${indent}`);
}

function mappingText(value: Record<string, unknown>, indent: string): string {
  let text = '';
  for (const [key, v] of Object.entries(value)) if (v !== undefined) text += pairText(key, v, indent);
  return text === '' ? toYamlWhole(value) : text;
}

function sequenceText(items: readonly unknown[], indent: string): string {
  let text = '';
  for (const item of items) text += itemText(item, indent);
  return text;
}

/** A pair of a block mapping whose keys stand at `indent`. */
function pairText(key: string, v: unknown, indent: string): string {
  if (isFilled(v) && isMovableKey(key)) {
    const inner = `${indent}  `;
    const compose = () => keyLine(key, indent) + (Array.isArray(v) ? sequenceText(v, inner) : mappingText(v as Record<string, unknown>, inner));
    // Only a top-level pair is kept whole, and not a sequence's (its JSON, every script of
    // write_files, costs too much): keeping nested ones too would take the JSON of what differs
    // per node once per level, and they recur only where their top-level pair does.
    if (indent !== '') return compose();
    if (Array.isArray(v)) return wholeIfTop(indent, compose, () => toYamlWhole({ [key]: v }));
    return remembered(`0${keyOf([key, v])}`, (json) => wholeIfTop(indent, compose, () => toYamlWhole({ [key]: v }, json)));
  }
  if (indent !== '' && !isMovableKey(key)) throw new NotMovable();
  return remembered(indent.length + keyOf([key, v]), (json) => shifted(toYamlWhole({ [key]: v }, json), indent));
}

/** An item of a block sequence whose `- ` stands at `indent`. */
function itemText(item: unknown, indent: string): string {
  if (!isFilled(item)) return remembered(indent.length + keyOf([item]), (json) => shifted(toYamlWhole([item], json), indent));
  const frozen = isFrozenRecord(item) ? item : undefined;
  let text = frozen && frozenItems.get(frozen)?.get(indent.length);
  if (text !== undefined) return text;
  const inner = `${indent}  `;
  text = wholeIfTop(
    indent,
    () => `${indent}- ${(Array.isArray(item) ? sequenceText(item, inner) : mappingText(item as Record<string, unknown>, inner)).slice(inner.length)}`,
    () => toYamlWhole([item]),
  );
  if (frozen) frozenItems.set(frozen, (frozenItems.get(frozen) ?? new Map()).set(indent.length, text));
  return text;
}

/** Composes a top-level pair or item, or writes it whole if a key inside cannot be moved. */
function wholeIfTop(indent: string, compose: () => string, whole: () => string): string {
  try {
    return compose();
  } catch (e) {
    if (indent !== '' || !(e instanceof NotMovable)) throw e;
    return whole();
  }
}

/** `key:` and its newline, the line above a block collection. */
function keyLine(key: string, indent: string): string {
  const line = remembered(`k${JSON.stringify(key)}`, () => {
    const t = toYamlWhole({ [key]: [null] });
    return t.slice(0, t.indexOf('\n') + 1);
  });
  return indent + line;
}

/**
 * Texts of sequence items that are frozen records of plain values, kept by identity and indent:
 * such an item cannot change, and its JSON (the other key) would cost as much as a 30 KB script
 * does. user-data's write_files entries are such items, shared by every node of a shape.
 */
const frozenItems = new WeakMap<object, Map<number, string>>();

function isFrozenRecord(item: unknown): item is Readonly<Record<string, string | number | boolean | null>> {
  if (!isMapping(item) || !Object.isFrozen(item)) return false;
  for (const v of Object.values(item)) if (v !== null && typeof v === 'object') return false;
  return true;
}

/**
 * The kept texts, in two generations so memory stays bounded whatever the cluster size: when the
 * young one holds REMEMBER_CHARS characters it becomes the old one, and a text found in the old
 * generation moves back to the young one, so texts every node uses are never written again.
 */
const REMEMBER_CHARS = 8 * 1024 * 1024;
let young = new Map<string, string>();
let old = new Map<string, string>();
let youngChars = 0;

function remembered(key: string, make: (key: string) => string): string {
  const hit = young.get(key);
  if (hit !== undefined) return hit;
  const text = old.get(key) ?? make(key);
  if (youngChars > REMEMBER_CHARS) {
    old = young;
    young = new Map();
    youngChars = 0;
  }
  young.set(key, text);
  youngChars += key.length + text.length;
  return text;
}

/** Several YAML documents in one stream, as kubeadm's --config takes them. */
export function toYamlStream(values: readonly unknown[]): string {
  return values.map((v) => toYaml(v)).join('---\n');
}

/**
 * An upstream Kubernetes manifest kubeseed parsed and patched (src/render/cni/patch.ts), written
 * back by the yaml library's Document stringifier: unlike toYaml, which writes plain objects,
 * it keeps the upstream's comments, key order and scalar styles, so the patched manifest differs
 * from the upstream one only where kubeseed changed it. Block sequences are not indented and flow
 * collections not padded, as the Go generators of these manifests write them; lineWidth 0
 * folds nothing. Documents are parsed as YAML 1.1, kubectl's dialect, and written the same way.
 */
const MANIFEST_TEXT: ToStringOptions = { lineWidth: 0, indentSeq: false, flowCollectionPadding: false };

export function toYamlDocuments(docs: readonly Document[]): string {
  return docs.map((d, i) => {
    const text = d.toString(MANIFEST_TEXT);
    return i > 0 && !text.startsWith('---') ? `---\n${text}` : text;
  }).join('');
}

/** TOML; @iarna/toml keeps key insertion order, so callers build objects in the order they want. */
export function toToml(value: Record<string, unknown>): string {
  return TOML.stringify(value as TOML.JsonMap);
}

/** JSON with two-space indentation and a trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
