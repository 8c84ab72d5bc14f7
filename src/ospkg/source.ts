/**
 * Where a repository's files come from, as the readers here see it: paths relative to the
 * repository root (where `dists/` or `repodata/` lives). The bundle's packages gatherer
 * implements it over HTTP with the content-addressed cache, or over a directory; this folder
 * never opens a connection itself.
 */
export interface RepoSource {
  /** Where `path` is, for messages (a URL or a file path). */
  where(path: string): string;
  /** A small file whole (Release, repomd.xml, signatures); null when the source has no such file. */
  readSmall(path: string): Promise<Uint8Array | null>;
  /**
   * A local file holding `path`'s bytes, checked against `sha256` while it was stored; null when
   * the source has no such file. Throws when the bytes differ from the digest.
   */
  fetchVerified(path: string, sha256: string, size: number | null): Promise<string | null>;
}

/** A repository file that breaks the chain of digests and signatures, or is missing. */
export class RepositoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepositoryError';
  }
}

/** A package set that cannot be resolved from the repository (no such package, unmet dependency). */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}
