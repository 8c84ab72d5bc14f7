import { describe, expect, it } from 'vitest';
import { Scalar, parse } from 'yaml';
import { toToml, toYaml, toYamlWhole } from '../src/render/serialize.js';
import { renderNodeOutputs } from '../src/render/node.js';
import { kubeadmDocuments } from '../src/render/kubeadm/files.js';
import { shQuote } from '../src/render/scripts/template.js';
import { EXAMPLE_PROFILES, planFromFile } from './builders/plan.js';

describe('toYaml pins the YAML 1.1 traps cloud-init and kubeadm read', () => {
  it.each(['on', 'off', 'yes', 'no', 'y', 'n', 'true', '0644', '010', '1e3', '~', 'null', '12:30'])(
    'quotes %s so a YAML 1.1 reader keeps it a string',
    (s) => {
      const text = toYaml({ v: s });
      expect(text).not.toBe(`v: ${s}\n`);
      expect(parse(text, { version: '1.1' })).toEqual({ v: s });
    },
  );
  it('keeps long lines and multi-line strings unfolded', () => {
    const long = 'x'.repeat(500);
    const text = toYaml({ a: long, b: 'line1\nline2\n' });
    expect(text).toBe(`a: ${long}\nb: |\n  line1\n  line2\n`);
  });
  it('writes a header line first', () => {
    expect(toYaml({ a: 1 }, { header: '#cloud-config' })).toBe('#cloud-config\na: 1\n');
  });
});

describe('toYaml keeps the texts of recurring pairs and items, and gives the whole-document bytes', () => {
  // Strings the stringifier treats differently: chomping (|, |-, |+), indentation indicators,
  // quoting of YAML 1.1 scalars, comments, colons, non-ASCII, empty values.
  const tricky = ['', 'plain', 'yes', '0644', '# not a comment', 'a: b', '- x', ' leading space', 'trailing space ',
    'line\n', 'line', 'two\n\n', 'three\n\n\n', '\n', ' indented\nblock\n', 'ünïcödé ✓\n', "it's \"quoted\"", 'x'.repeat(300)];
  const item = (s: string, i: number) => ({ path: `/etc/x${i}`, permissions: '0644', content: s });
  const docs = [
    { head: 'h', list: tricky.map(item), tail: tricky },
    { list: [...tricky.map(item), ...tricky.map(item)], nested: { a: tricky, b: [[1, 2], []], c: null }, empty: [], n: 1.5 },
    { a: 'same', list: [Object.freeze(item('frozen\n', 0)), Object.freeze(item('frozen\n', 0))], z: true },
    { only: [] },
    {},
  ];

  it.each(docs.map((d, i) => [i, d] as const))('document %i: equal to the whole document, first and second time', (_i, doc) => {
    const whole = toYamlWhole(doc);
    expect(toYaml(doc)).toBe(whole);
    expect(toYaml(doc)).toBe(whole);
    expect(parse(whole, { version: '1.1' })).toEqual(doc);
  });

  it('values whose JSON is the same but whose YAML is not are never confused', () => {
    const pairs: unknown[] = [
      { a: null }, { a: Number.NaN }, { a: Number.POSITIVE_INFINITY }, { a: 0 }, { a: -0 },
      { a: '2020-01-02T03:04:05.000Z' }, { a: new Date('2020-01-02T03:04:05Z') },
      { l: [null] }, { l: [undefined] }, { a: {} }, { a: new Map() },
    ];
    for (const v of [...pairs, ...pairs]) expect(toYaml(v), String(JSON.stringify(v))).toBe(toYamlWhole(v));
  });

  it('a frozen item is written once and reused by identity, and still matches its contents', () => {
    const frozen = Object.freeze(item('script\n', 1));
    const a = toYaml({ list: [frozen] });
    expect(toYaml({ list: [frozen, frozen] })).toBe(toYamlWhole({ list: [frozen, frozen] }));
    expect(a).toBe(toYamlWhole({ list: [{ ...frozen }] }));
  });

  it.each(EXAMPLE_PROFILES)('%s: every YAML output of every node equals the whole document written at once', (profile) => {
    const plan = planFromFile(profile);
    for (const node of plan.nodes) {
      for (const out of renderNodeOutputs(plan, node)) {
        if (typeof out.content !== 'string' || /ignition\.json$/.test(out.path)) continue;
        const text = out.content.replace(/^#cloud-config\n/, '');
        expect(toYamlWhole(parse(text, { version: '1.1' })), out.path).toBe(text);
      }
      for (const doc of kubeadmDocuments(plan, node)) expect(toYaml(doc)).toBe(toYamlWhole(doc));
    }
  });
});

describe('toYaml writes nested collections part by part, and gives the whole-document bytes', () => {
  // Strings the stringifier treats differently, as values and as keys: chomping, indentation
  // indicators, leading newlines and spaces, quoting (YAML 1.1 scalars, indicators, control
  // characters, double-quoted strings long enough to be broken over lines), document markers
  // (quoted as top-level keys only), Unicode line separators, long and multi-line keys.
  const tricky = ['', 'plain', 'yes', '0644', '# not a comment', 'a: b', '- x', '? x', ' leading space', 'trailing space ',
    'line\n', 'line', 'two\n\n', 'three\n\n\n', '\n', '\n\nlead\n', ' indented\nblock\n', '  two\n\n  blank\n\n\n',
    'end space\n \n', 'tab\tin\n\tside', 'a \n b', 'ünïcödé ✓\n', "it's \"quoted\"", '---', '--- x', '...', '... y', '%YAML', 'x\n---\ny\n',
    'x\n...', 'sep\u2028--- z', 'cr\rlf\r\n', 'ctrl\u0007bell\nand a line long enough to break when double quoted\n  x',
    'a long double-quoted one that has a newline \u0001\n  and spaces after it\n', 'x'.repeat(300)];
  const keys = ['k', 'name', 'a b', 'yes', '0644', '', ...tricky, 'k'.repeat(1100)];

  it.each(tricky.map((s, i) => [i, s] as const))('string %i at depths 0 to 4, in mappings and sequence items', (_i, s) => {
    const nests: unknown[] = [s, { v: s }, [s], { a: { b: s, c: [s, { d: s }] } }, [[s, [s]], { e: [[s]] }]];
    for (const n of nests) {
      for (const doc of [{ top: n }, { a: { b: n, c: 1 } }, { l: [n, { m: n }] }, [n, [{ x: n }]], { deep: [{ a: [{ b: { c: n } }] }] }]) {
        const whole = toYamlWhole(doc);
        expect(toYaml(doc), JSON.stringify(doc)).toBe(whole);
        expect(toYaml(doc), JSON.stringify(doc)).toBe(whole);
        expect(parse(whole, { version: '1.1' })).toEqual(doc);
      }
    }
  });

  it.each(keys.map((k, i) => [i, k] as const))('key %i at depths 0 to 3, over a collection and a scalar', (_i, k) => {
    for (const v of ['v', 'multi\nline\n', { a: 1 }, [1, 'x\n'], {}, []]) {
      for (const doc of [{ [k]: v }, { a: { [k]: v } }, { l: [{ [k]: v, z: 1 }] }, [{ [k]: v }], { a: [[{ b: { [k]: v } }]] }]) {
        expect(toYaml(doc), JSON.stringify(doc)).toBe(toYamlWhole(doc));
        expect(toYaml(doc), JSON.stringify(doc)).toBe(toYamlWhole(doc));
      }
    }
  });

  it('what is not plain data deep inside (a date, NaN, a yaml node with a comment) is never taken for its JSON twin', () => {
    const commented = new Scalar('x');
    commented.comment = ' why';
    const twins: [unknown, unknown][] = [[new Date('2020-01-02T03:04:05Z'), '2020-01-02T03:04:05.000Z'], [Number.NaN, null], [-0, 0], [commented, 'x'], [new Map([['m', 1]]), {}]];
    for (const [odd, twin] of twins) {
      for (const at of [(v: unknown) => ({ a: { b: [{ c: v }] } }), (v: unknown) => ({ l: [[v]], z: 1 }), (v: unknown) => [{ a: v }]]) {
        expect(toYaml(at(twin))).toBe(toYamlWhole(at(twin)));
        expect(toYaml(at(odd))).toBe(toYamlWhole(at(odd)));
      }
    }
  });

  it('the same frozen item at several depths keeps one text per depth', () => {
    const frozen = Object.freeze({ path: '/etc/f', content: 'f\n\n  g\n' });
    const doc = { a: [frozen], b: { c: [frozen, [frozen]] }, d: [[frozen]] };
    expect(toYaml(doc)).toBe(toYamlWhole(doc));
    expect(toYaml(doc)).toBe(toYamlWhole(doc));
  });

  it('thousands of random nested documents (seeded) equal the whole document, first and second time', () => {
    // mulberry32: small, deterministic
    let seed = 20261126;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
    const leaves: unknown[] = [...tricky, 0, 1, -1.5, 1e21, 12, true, false, null, {}, []];
    const shortKeys = ['a', 'b', 'name', 'value', 'yes', '- k', '', '---', '... k', 'k\nl', '%k', 'a: b'];
    const gen = (depth: number): unknown => {
      const r = rnd();
      if (depth === 0 || r < 0.3) return pick(leaves);
      const n = 1 + Math.floor(rnd() * 4);
      if (r < 0.65) return Array.from({ length: n }, () => gen(depth - 1));
      const m: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) m[rnd() < 0.85 ? `k${Math.floor(rnd() * 6)}` : pick(shortKeys)] = gen(depth - 1);
      return m;
    };
    for (let i = 0; i < 3000; i++) {
      const doc = rnd() < 0.8 ? { [`top${i % 5}`]: gen(4), other: gen(3) } : gen(5);
      const whole = toYamlWhole(doc);
      expect(toYaml(doc), JSON.stringify(doc)).toBe(whole);
      expect(toYaml(doc), JSON.stringify(doc)).toBe(whole);
    }
  });
});

describe('toToml', () => {
  it('keeps insertion order', () => {
    expect(toToml({ version: 2, b: { z: 1, a: 'x' } })).toBe('version = 2\n\n[b]\nz = 1\na = "x"\n');
  });
});

describe('shQuote', () => {
  it.each([
    ['plain', `'plain'`],
    [`it's`, `'it'\\''s'`],
    ['$(reboot)', `'$(reboot)'`],
  ])('quotes %s', (input, out) => expect(shQuote(input)).toBe(out));
});
