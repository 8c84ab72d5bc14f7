/**
 * kubeadm bootstrap tokens: `[a-z0-9]{6}.[a-z0-9]{16}` — a public id and a secret
 * (k8s.io/cluster-bootstrap/token/api BootstrapTokenPattern). kubeadm's `ttl` counts from the
 * moment kubeadm puts the token into the cluster (at `kubeadm init`); `ttl: 0` means the token
 * never expires.
 */
import { defaultRandomBytes, type RandomBytes } from './random.js';

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export interface BootstrapToken {
  /** `<id>.<secret>` */
  readonly token: string;
  /** Token lifetime in seconds; 0 = never expires. */
  readonly ttlSeconds: number;
  /**
   * ISO 8601 time at which the token expires if it were installed when it was made (the state's
   * creation, or `kubeseed state new-token`) plus ttl; null when ttlSeconds is 0. kubeadm itself
   * starts the clock when it installs the token (`kubeadm init`, `kubeadm token create`).
   */
  readonly expires: string | null;
}

/** Uniform characters from the alphabet: bytes >= 252 (= 7 × 36) are dropped, not folded. */
function randomString(length: number, rng: RandomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const b of rng(length * 2)) {
      if (b < 252 && out.length < length) out += ALPHABET[b % 36];
    }
  }
  return out;
}

export function validateTtlSeconds(ttlSeconds: number): void {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new RangeError(`token ttl must be a whole number of seconds >= 0 (0 = never expires), got ${ttlSeconds}`);
  }
}

export function tokenExpiry(createdAt: Date, ttlSeconds: number): string | null {
  validateTtlSeconds(ttlSeconds);
  return ttlSeconds === 0 ? null : new Date(createdAt.getTime() + ttlSeconds * 1000).toISOString();
}

export function generateBootstrapToken(opts: { now: Date; ttlSeconds: number; rng?: RandomBytes }): BootstrapToken {
  const rng = opts.rng ?? defaultRandomBytes;
  const token = `${randomString(6, rng)}.${randomString(16, rng)}`;
  return { token, ttlSeconds: opts.ttlSeconds, expires: tokenExpiry(opts.now, opts.ttlSeconds) };
}

/** The public half, safe to print (`kubeadm token list` shows it too). */
export function tokenId(token: string): string {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (!m) throw new Error('not a bootstrap token (expected [a-z0-9]{6}.[a-z0-9]{16})');
  return m[1]!;
}

/** `86400` → `24h`, `90` → `1m30s`: kubeadm's duration notation, for messages. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

/**
 * A warning when a finite ttl will cut off nodes that boot late: seeds and VM templates built
 * from this state live on, but after `kubeadm init` + ttl no worker can join with the token.
 * Returns null for ttl 0 (never expires, kubeadm semantics).
 */
export function tokenTtlWarning(ttlSeconds: number): string | null {
  validateTtlSeconds(ttlSeconds);
  if (ttlSeconds === 0) return null;
  return (
    `the bootstrap token expires ${formatDuration(ttlSeconds)} after the first control-plane node runs ` +
    'kubeadm init; nodes booted from these seeds or from a VM template after that cannot join. ' +
    'Set ttl: 0 for a token that never expires (kubeadm semantics), or before adding nodes later make a ' +
    'new token with "kubeseed state new-token PROFILE" and compile again.'
  );
}
