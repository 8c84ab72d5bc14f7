import { describe, expect, it } from 'vitest';
import { randomSerial } from '../../src/pki/serial.js';
import {
  BOOTSTRAP_TOKEN_PATTERN,
  formatDuration,
  generateBootstrapToken,
  tokenId,
  tokenTtlWarning,
} from '../../src/pki/token.js';
import { scriptedRng, seededRng } from './seeded-rng.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('bootstrap token', () => {
  it('has kubeadm\'s shape and is reproducible from the rng', () => {
    const a = generateBootstrapToken({ now: NOW, ttlSeconds: 3600, rng: seededRng('t') });
    const b = generateBootstrapToken({ now: NOW, ttlSeconds: 3600, rng: seededRng('t') });
    expect(a).toEqual(b);
    expect(a.token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
    expect(a).toMatchObject({ ttlSeconds: 3600, expires: '2026-03-01T13:00:00.000Z' });
  });

  it('drops bytes >= 252 instead of folding them (no bias toward 0-3)', () => {
    const idBytes = [252, 253, 254, 255, 0, 35, 36, 71, 251, 1, 2, 3];
    const secretBytes = Array.from({ length: 32 }, (_, i) => i);
    const t = generateBootstrapToken({ now: NOW, ttlSeconds: 0, rng: scriptedRng([...idBytes, ...secretBytes]) });
    expect(t).toEqual({ token: '0z0zz1.0123456789abcdef', ttlSeconds: 0, expires: null });
    expect(tokenId(t.token)).toBe('0z0zz1');
  });

  it('refuses a negative or fractional ttl', () => {
    expect(() => generateBootstrapToken({ now: NOW, ttlSeconds: -1 })).toThrow(RangeError);
    expect(() => generateBootstrapToken({ now: NOW, ttlSeconds: 1.5 })).toThrow(
      'token ttl must be a whole number of seconds >= 0 (0 = never expires), got 1.5',
    );
  });

  it('tokenId refuses something that is not a token', () => {
    expect(() => tokenId('abc.def')).toThrow('not a bootstrap token');
  });
});

describe('tokenTtlWarning', () => {
  it('is silent for ttl 0 (never expires)', () => {
    expect(tokenTtlWarning(0)).toBeNull();
  });
  it('warns that a finite ttl cuts off late nodes', () => {
    expect(tokenTtlWarning(86400)).toBe(
      'the bootstrap token expires 24h after the first control-plane node runs kubeadm init; nodes booted ' +
        'from these seeds or from a VM template after that cannot join. Set ttl: 0 for a token that never ' +
        'expires (kubeadm semantics), or before adding nodes later make a new token with "kubeseed state new-token PROFILE" ' +
        'and compile again.',
    );
  });
  it.each([
    [86400, '24h'],
    [5400, '1h30m'],
    [90, '1m30s'],
    [3661, '1h1m1s'],
    [0, '0s'],
  ])('formats %i s as %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe('randomSerial', () => {
  it('is 16 bytes, positive, with a non-zero top byte', () => {
    expect(Array.from(randomSerial(scriptedRng(new Array(16).fill(0xff))))).toEqual([0x7f, ...new Array(15).fill(0xff)]);
    expect(Array.from(randomSerial(scriptedRng(new Array(16).fill(0))))).toEqual([0x40, ...new Array(15).fill(0)]);
  });
});
