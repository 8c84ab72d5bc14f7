/**
 * The only place that turns objects into YAML, TOML or JSON text. Renderers build plain objects
 * and call these, so quoting, key order and line folding are decided once.
 */
import TOML from '@iarna/toml';
import { Document, isScalar, visit } from 'yaml';

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
    body = isMapping(value) ? mappingText(value) : toYamlWhole(value);
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
function keyOf(value: unknown): string {
  return JSON.stringify(value, plainOnly);
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

/**
 * A top-level mapping, written pair by pair, and a sequence under a top-level key item by item.
 * The library writes the pairs of a block mapping and the items of a block sequence each on
 * its own and joins them with newlines, so each one's text is independent of its neighbours.
 * The texts are kept, keyed by their JSON, so what recurs from node to node (scripts in
 * write_files, the kubeadm discovery block, the access user) is written once per compile, not
 * once per node. test/serialize.test.ts holds the result byte-identical to toYamlWhole.
 */
function mappingText(value: Record<string, unknown>): string {
  let text = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    text += Array.isArray(v) && v.length > 0
      ? sequencePairText(key, v)
      : remembered(keyOf([key, v]), (json) => toYamlWhole({ [key]: v }, json));
  }
  return text === '' ? toYamlWhole(value) : text;
}

function sequencePairText(key: string, items: readonly unknown[]): string {
  const keyLine = remembered(keyOf([key]), () => {
    const t = toYamlWhole({ [key]: [null] });
    return t.slice(0, t.indexOf('\n') + 1);
  });
  let text = keyLine;
  for (const item of items) {
    const frozen = isFrozenRecord(item) ? item : undefined;
    let itemText = frozen && frozenItems.get(frozen)?.get(key);
    if (itemText === undefined) {
      itemText = remembered(keyOf([key, [item]]), (json) => toYamlWhole({ [key]: [item] }, json).slice(keyLine.length));
      if (frozen) frozenItems.set(frozen, (frozenItems.get(frozen) ?? new Map()).set(key, itemText));
    }
    text += itemText;
  }
  return text;
}

/**
 * Texts of sequence items that are frozen records of plain values, kept by identity: such an
 * item cannot change, and its JSON (the other key) would cost as much as a 30 KB script does.
 * user-data's write_files entries are such items, shared by every node of a shape.
 */
const frozenItems = new WeakMap<object, Map<string, string>>();

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

/** TOML; @iarna/toml keeps key insertion order, so callers build objects in the order they want. */
export function toToml(value: Record<string, unknown>): string {
  return TOML.stringify(value as TOML.JsonMap);
}

/** JSON with two-space indentation and a trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
