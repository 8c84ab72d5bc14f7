/**
 * A file a node receives. Every renderer returns these; the cloud-init and Ignition renderers
 * only decide how to carry them, never what they contain, so both outputs hold the same files.
 */
export interface NodeFile {
  /** Absolute path on the node. */
  readonly path: string;
  /** UTF-8 text or raw bytes. */
  readonly content: string | Uint8Array;
  /** Permission bits, e.g. 0o644. Secret-bearing files are 0o600. */
  readonly mode: number;
  /** True when the file holds key material or a bootstrap token: forces mode 0600 and is audited. */
  readonly secret: boolean;
  /**
   * Carried gzip-compressed (cloud-init `encoding: gz+b64`, Ignition `compression: gzip`): for
   * large text, such as a CNI manifest, that would otherwise crowd the user-data's size limit.
   */
  readonly gzip?: true;
}

export function textFile(path: string, content: string, mode = 0o644): NodeFile {
  return { path, content, mode, secret: false };
}

export function secretFile(path: string, content: string | Uint8Array): NodeFile {
  return { path, content, mode: 0o600, secret: true };
}

/** A large text file carried compressed; the node writes it uncompressed. */
export function compressedFile(path: string, content: string, mode = 0o644): NodeFile {
  return { path, content, mode, secret: false, gzip: true };
}

export function executable(path: string, content: string): NodeFile {
  return { path, content, mode: 0o755, secret: false };
}

/** Files sorted by path, so every output lists them in one fixed order. */
export function sortFiles(files: readonly NodeFile[]): NodeFile[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
