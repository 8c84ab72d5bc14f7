/**
 * Version comparison held to the real tools: dpkg --compare-versions and rpm's own rpm.vercmp,
 * over pairs chosen for their traps (epochs, `~`, `^`, leading zeros, letters against digits,
 * separators, revisions).
 */
import { describe, expect, it } from 'vitest';
import { compareDebVersions } from '../../src/ospkg/deb-version.js';
import { parseRich } from '../../src/ospkg/rpm-resolve.js';
import { compareEvr, rpmvercmp } from '../../src/ospkg/rpm-version.js';
import { needTools, run } from '../helpers/tools.js';

const DEB_PAIRS: readonly [string, string][] = [
  ['1.0', '1.0'], ['1.0', '1.0-1'], ['1:1.0', '2.0'], ['1.0~rc1', '1.0'], ['1.0~~', '1.0~'], ['1.0a', '1.0'],
  ['1.0+b1', '1.0'], ['1.01', '1.1'], ['1.0.1', '1.0a'], ['2.36-9+deb12u14', '2.36-9+deb12u4'], ['1:1.4.7-1+b2', '1:1.4.7-1'],
  ['20250419~deb12u2', '20230311+deb12u1'], ['7.88.1-10+deb12u15', '7.88.1-10+deb12u5'], ['1.2.3-a', '1.2.3-A'],
  ['0:1.0', '1.0'], ['1.0-0', '1.0'], ['a', 'B'], ['1.0.', '1.0'], ['3.0.22-1~deb12u2', '3.0.22-1'],
];

const RPM_PAIRS: readonly [string, string][] = [
  ['1.0', '1.0'], ['1.0', '1.0.1'], ['1.0~rc1', '1.0'], ['1.0^post', '1.0'], ['1.0^post', '1.0.1'], ['1.0a', '1.0'],
  ['1.01', '1.1'], ['1.0.1', '1.0a'], ['2.a', '2.1'], ['1_0', '1.0'], ['1.0~rc1', '1.0~rc2'], ['el9_4', 'el9'],
  ['1.8.8-3.el8', '1.8.8-3.el8_9'], ['5.14.0', '5.14.0.1'], ['abc', 'abd'], ['0001', '1'], ['1.0^', '1.0'],
];

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('dpkg version comparison', () => {
  it.for(DEB_PAIRS)('%s vs %s as dpkg --compare-versions', ([a, b], ctx) => {
    needTools(ctx, 'dpkg:dpkg');
    const dpkg = (op: string) => run('dpkg', ['--compare-versions', a, op, b]).status === 0;
    const want = dpkg('lt') ? -1 : dpkg('gt') ? 1 : 0;
    expect(sign(compareDebVersions(a, b))).toBe(want);
    expect(sign(compareDebVersions(b, a))).toBe(want === 0 ? 0 : -want);
  });
});

describe('rpm version comparison', () => {
  it.for(RPM_PAIRS)('%s vs %s as rpm.vercmp', ([a, b], ctx) => {
    needTools(ctx, 'rpm:rpm');
    const r = run('rpm', ['--eval', `%{lua: print(rpm.vercmp("${a}", "${b}"))}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(sign(rpmvercmp(a, b))).toBe(Number(r.stdout.trim()));
  });

  it('compares epoch first, then version, then release; a missing release matches any', () => {
    expect(compareEvr({ epoch: '1', ver: '1.0', rel: '1' }, { epoch: '0', ver: '9.9', rel: '9' })).toBeGreaterThan(0);
    expect(compareEvr({ epoch: '0', ver: '1.0', rel: '2' }, { epoch: '0', ver: '1.0', rel: '' })).toBe(0);
    expect(compareEvr({ epoch: '0', ver: '1.0', rel: '2' }, { epoch: '0', ver: '1.0', rel: '10' })).toBeLessThan(0);
  });
});

describe('rich dependencies', () => {
  it('parses and, or, if/else and unless, nested', () => {
    expect(parseRich('(a >= 1.2 or (b if c else d))')).toEqual({
      kind: 'or',
      items: [
        { kind: 'dep', dep: { name: 'a', flags: 'GE', evr: { epoch: '0', ver: '1.2', rel: '' } } },
        { kind: 'if', then: { kind: 'dep', dep: { name: 'b' } }, cond: { kind: 'dep', dep: { name: 'c' } }, else: { kind: 'dep', dep: { name: 'd' } } },
      ],
    });
    expect(() => parseRich('(a with b)')).toThrow(/the operator with is not supported/);
    expect(() => parseRich('(a or b and c)')).toThrow(/mixes or with and/);
  });
});
