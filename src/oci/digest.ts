/**
 * Content digests as the OCI specs write them: `sha256:<64 lowercase hex>`. Only sha256 is
 * accepted; every registry and tool kubeseed meets uses it, and a digest kubeseed cannot check is
 * refused rather than trusted.
 */
import { createHash } from 'node:crypto';

export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** `sha256:<hex>` of some bytes. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a `sha256:<hex>` digest. */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}
