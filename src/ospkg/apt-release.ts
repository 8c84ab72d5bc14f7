/**
 * A suite's Release file (the signed part of InRelease, or Release beside Release.gpg):
 * which suite it is, until when it is valid, and the sha256 and size of every index it lists
 * (Debian wiki "DebianRepository/Format", section Release).
 */
import { parseStanzas } from './deb822.js';
import { RepositoryError } from './source.js';

export interface AptRelease {
  suite: string;
  codename: string;
  date: string;
  validUntil: string;
  architectures: string[];
  components: string[];
  /** path (relative to dists/<suite>/) → sha256 and size. */
  sha256: Map<string, { sha256: string; size: number }>;
}

export function parseRelease(text: string, what: string): AptRelease {
  const st = parseStanzas(text)[0];
  if (!st) throw new RepositoryError(`${what}: empty Release`);
  const sums = new Map<string, { sha256: string; size: number }>();
  for (const line of (st.get('SHA256') ?? '').split('\n')) {
    const m = /^\s*([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m) sums.set(m[3]!, { sha256: m[1]!, size: Number(m[2]) });
  }
  if (sums.size === 0) throw new RepositoryError(`${what}: the Release lists no SHA256 sums`);
  const words = (f: string) => (st.get(f) ?? '').split(/\s+/).filter(Boolean);
  return {
    suite: st.get('Suite') ?? '',
    codename: st.get('Codename') ?? '',
    date: st.get('Date') ?? '',
    validUntil: st.get('Valid-Until') ?? '',
    architectures: words('Architectures'),
    // Components may be listed as `updates/main` on security archives; the last part is the name.
    components: words('Components'),
    sha256: sums,
  };
}
