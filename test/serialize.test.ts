import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toToml, toYaml } from '../src/render/serialize.js';
import { shQuote } from '../src/render/scripts/template.js';

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
