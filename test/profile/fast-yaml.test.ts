/**
 * fast-yaml is a shortcut past the yaml package, so it is checked against the yaml package itself:
 * whenever it returns a value, yaml must read the same text without errors into the same value
 * (types, key order and all). The texts: the example and test profiles, the bad-profile table,
 * a generated 1,000-worker profile, values with YAML's traps written in every style yaml can
 * write, and thousands of random edits of all of these.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDocument, stringify, type ToStringOptions } from 'yaml';
import { readFastYaml } from '../../src/profile/fast-yaml.js';
import { BAD_CASES, BASE, WARNING_CASES } from './bad-profiles.js';

function yamlValue(text: string): { ok: true; value: unknown } | { ok: false } {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, version: '1.2' });
  return doc.errors.length > 0 ? { ok: false } : { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
}

/** Checks one text; true when fast-yaml read it (rather than leaving it to yaml). */
function agrees(text: string): boolean {
  const fast = readFastYaml(text);
  if (!fast) return false;
  const slow = yamlValue(text);
  if (!slow.ok) throw new Error(`fast-yaml read text that yaml rejects:\n${text}`);
  // node's deep equality (prototypes too); vitest's would read a `constructor` key as the type.
  expect(isDeepStrictEqual(fast.value, slow.value), text).toBe(true);
  expect(JSON.stringify(fast.value), text).toBe(JSON.stringify(slow.value)); // key order too
  return true;
}

/** mulberry32: a fixed sequence, so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

function generatedProfile(workers: number): string {
  const nodes = [];
  for (let i = 0; i < workers + 3; i++) {
    nodes.push({
      name: i < 3 ? `cp${i + 1}` : `w${i - 2}`,
      role: i < 3 ? 'control-plane' : 'worker',
      ip: `172.16.${Math.floor(i / 250)}.${(i % 250) + 2}/16`,
      gateway: '172.16.255.254',
      mac: `52:54:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`,
    });
  }
  return stringify({
    apiVersion: 'kubeseed.io/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'gen' },
    spec: { kubernetes: { version: 'v1.31.12' }, os: { family: 'ubuntu', version: '22.04' }, containerd: { mirrors: { 'docker.io': ['https://mirror.example.internal'] } }, nodes },
  });
}

const PROFILE_DIRS = ['profiles', 'test/e2e'];
const profileTexts = (): string[] => PROFILE_DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(d, f), 'utf8')));

const TRAP_STRINGS = [
  '', ' ', 'a b', 'a: b', 'a:', 'a #b', 'a#b', '#', '-', '- a', '-a', '?', ':a', "'", '"', "it's", 'say "hi"', 'back\\slash',
  'yes', 'no', 'on', 'off', 'y', '~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', '0', '007', '12', '1.5', '1.', '.5', '1e3',
  '0x1F', '0o17', '+1', '-1', '.inf', '-.Inf', '.NaN', '22.04', '52:54:00:00:00:00', 'http://x:80/a', 'docker.io', 'registry.local:5000',
  '[a]', '{a: b}', 'a,b', 'a]', 'a}', 'é', '\u00a0x', 'x\u00a0', '&a', '*a', '!tag', '|', '>', '%x', '@x', '`x', '---', '...', 'x'.repeat(120),
  '1234567890123456', '123456789012345',
];
const TRAP_KEYS = ['name', 'docker.io', 'registry.local:5000', '_default', '1', 'true', 'null', 'a b', '-x', 'x-', '<<', 'é', 'a:b', 'a.b/c', 'constructor'];

function randomValue(r: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const roll = r();
  if (depth > 0 && roll < 0.25) {
    const out: Record<string, unknown> = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) out[pick(TRAP_KEYS)] = randomValue(r, depth - 1);
    return out;
  }
  if (depth > 0 && roll < 0.45) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth - 1));
  if (roll < 0.55) return pick([0, 7, 65535, 1.5, -3, true, false, null]);
  return pick(TRAP_STRINGS);
}

function randomOptions(r: () => number): ToStringOptions {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return {
    collectionStyle: pick(['any', 'block', 'flow'] as const),
    defaultStringType: pick(['PLAIN', 'PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE'] as const),
    defaultKeyType: pick([null, 'PLAIN'] as const),
    indent: pick([2, 3, 4]),
    indentSeq: r() < 0.5,
    flowCollectionPadding: r() < 0.5,
    lineWidth: pick([0, 20, 80]),
  };
}

const EDITS: readonly string[] = [': ', ':', ' #', '#', '- ', '-', '"', "'", '[', ']', '{', '}', ',', '\t', '&a ', '*a', '!t ', '|', '>', '---', '? ', ' ', '  ', '\n', '\n  ', 'x', '0', '\\', '%'];

/** One random edit: delete or insert a character or token, re-indent a line, or duplicate one. */
function mutate(text: string, r: () => number): string {
  const at = Math.floor(r() * (text.length + 1));
  const kind = r();
  if (kind < 0.3) return text.slice(0, at) + text.slice(at + 1);
  if (kind < 0.7) return text.slice(0, at) + EDITS[Math.floor(r() * EDITS.length)]! + text.slice(at);
  const lines = text.split('\n');
  const i = Math.floor(r() * lines.length);
  if (kind < 0.85) lines[i] = r() < 0.5 ? ` ${lines[i]}` : lines[i]!.replace(/^ /, '');
  else lines.splice(i, 0, lines[i]!);
  return lines.join('\n');
}

describe('fast-yaml reads what yaml reads, or leaves the text to yaml', () => {
  it('reads the example profiles, the base profile and a generated 1,000-worker profile itself', () => {
    for (const text of [...profileTexts(), BASE, generatedProfile(1000)]) expect(agrees(text), text).toBe(true);
  });

  it('agrees on every bad-profile and warning case', () => {
    let read = 0;
    for (const { text } of [...BAD_CASES, ...WARNING_CASES]) if (agrees(text)) read++;
    // Most cases are schema and whole-profile problems in plain YAML, read by the shortcut.
    expect(read).toBeGreaterThan(BAD_CASES.length / 2);
  });

  it('agrees on generated values full of YAML traps, in every style yaml writes', () => {
    const r = rng(1);
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const value = { spec: randomValue(r, 4), list: [randomValue(r, 3)], k: randomValue(r, 1) };
      if (agrees(stringify(value, randomOptions(r)))) read++;
    }
    expect(read).toBeGreaterThan(300);
  });

  it('agrees after thousands of random edits of profiles and generated texts', () => {
    const r = rng(2);
    const seeds = [...profileTexts(), BASE, ...BAD_CASES.map((c) => c.text)];
    for (let i = 0; i < 40; i++) seeds.push(stringify({ a: randomValue(r, 4), b: [randomValue(r, 3)] }, randomOptions(r)));
    let read = 0;
    let total = 0;
    for (const seed of seeds) {
      for (let i = 0; i < 150; i++) {
        let text = seed;
        const edits = 1 + Math.floor(r() * 3);
        for (let e = 0; e < edits; e++) text = mutate(text, r);
        total++;
        if (agrees(text)) read++;
      }
    }
    expect(read).toBeGreaterThan(total / 10);
  });

  it('leaves to yaml what it does not read: anchors, tags, block scalars, escapes, floats, duplicates, tabs', () => {
    const texts = [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  x\n', 'a: "x\\ty"\n', 'a: 1.5\n', 'a: 1\na: 2\n', 'a:\n\t- x\n',
      '---\na: 1\n', 'a: b\n  c\n', 'a: [1,\n  2]\n', '- a\n', '"a": 1\n', 'a: b: c\n', 'a: 0x10\n', '1: a\n', 'a:\n  - - x\n',
    ];
    for (const text of texts) expect(readFastYaml(text), text).toBeUndefined();
  });

  it('reads the plain forms profiles use', () => {
    expect(readFastYaml('a: 1 # one\nb:\n- x\n- [y, "z"]\nc: { d: e, f: [] }\ng:\nh: ~\ni: \'it\'\'s\'\n')?.value).toStrictEqual({
      a: 1, b: ['x', ['y', 'z']], c: { d: 'e', f: [] }, g: null, h: null, i: "it's",
    });
  });
});
