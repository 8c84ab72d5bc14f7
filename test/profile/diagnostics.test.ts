import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/profile/load.js';
import { formatDiagnostic } from '../../src/profile/diagnostics.js';
import { BAD_CASES, BASE, WARNING_CASES } from './bad-profiles.js';

describe('bad profiles give one exact diagnostic with path and line', () => {
  it('the base profile is valid', () => {
    const r = parseProfile(BASE, 'base.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.profile?.metadata.name).toBe('t');
  });

  it('has at least 25 distinct cases', () => {
    expect(new Set(BAD_CASES.map((c) => c.name)).size).toBe(BAD_CASES.length);
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(BAD_CASES)('$name', ({ text, expected }) => {
    const r = parseProfile(text, 'p.yaml');
    expect(r.profile).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(formatDiagnostic(r.diagnostics[0]!)).toBe(`p.yaml:${expected}`);
  });

  it.each(WARNING_CASES)('warning: $name', ({ text, expected }) => {
    const r = parseProfile(text, 'p.yaml');
    expect(r.profile).toBeDefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([`p.yaml:${expected}`]);
  });
});
