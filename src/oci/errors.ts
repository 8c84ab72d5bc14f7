/**
 * What can go wrong talking to a registry, each with the registry it happened at and a cause
 * short enough for the one error line `kubeseed bundle` prints.
 */

/** A failure at one registry endpoint: HTTP status, TLS, network, or a protocol violation. */
export class RegistryError extends Error {
  constructor(
    /** The endpoint, as `https://host[:port][/prefix]`. */
    readonly registry: string,
    readonly reason: string,
    /** HTTP status when the registry answered; undefined for network and TLS failures. */
    readonly status?: number,
    /** The OCI error code the registry sent (MANIFEST_UNKNOWN, BLOB_UNKNOWN, ...). */
    readonly code?: string,
  ) {
    super(`${registry}: ${reason}`);
    this.name = 'RegistryError';
  }

  /** Worth asking the next endpoint (a mirror that lacks the content, or one that is down). */
  get tryNext(): boolean {
    return this.status === undefined || this.status === 404 || this.status >= 500;
  }
}

/** Bytes that do not hash to the digest they were asked for: a tampered or broken registry. */
export class DigestMismatchError extends Error {
  constructor(
    readonly registry: string,
    /** `blob` or `manifest` */
    readonly what: string,
    readonly expected: string,
    /** `sha256:<hex>` the bytes hash to, or what else was wrong with them. */
    readonly actual: string,
  ) {
    super(`${registry}: ${DigestMismatchError.reason(what, expected, actual)}`);
    this.name = 'DigestMismatchError';
  }

  /** The message without the registry: what the one-line image error says after it. */
  static reason(what: string, expected: string, actual: string): string {
    const why = actual.startsWith('sha256:') ? `its bytes hash to ${actual}` : actual;
    return `${what} ${expected} does not match its digest: ${why} (tampered or broken registry)`;
  }
}

/** Any failure of one image, as the one line the CLI prints. */
export class ImageError extends Error {
  constructor(
    readonly reference: string,
    readonly registry: string,
    readonly reason: string,
  ) {
    super(`image ${reference} (registry ${registry}): ${reason}`);
    this.name = 'ImageError';
  }
}

/** A cause for a network or TLS failure, in words an operator can act on. */
export function networkCause(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = err?.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused (is the registry down?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timed out';
  if (
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/.test(code) ||
    code === 'EPROTO' ||
    /certificate|TLS|SSL/i.test(err?.message ?? '')
  ) {
    return `TLS error: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}; trust its CA with --registry-ca HOST=FILE`;
  }
  return err?.message ?? String(e);
}
