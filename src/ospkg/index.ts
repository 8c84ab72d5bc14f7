/**
 * OS package repositories, with no knowledge of profiles: read a release's signed metadata
 * (apt or dnf), resolve the closure of some names over what a minimal install already has,
 * and say which files to fetch with which sha256.
 */
import type { Key } from 'openpgp';
import { readAptRepository, type AptSuiteSpec } from './apt-repo.js';
import { resolveApt } from './apt-resolve.js';
import { readDnfRepository, type DnfRepoSpec } from './dnf-repo.js';
import { resolveRpm } from './rpm-resolve.js';
import { formatEvr } from './rpm-version.js';
import { RepositoryError, type RepoSource } from './source.js';

export { compareDebVersions } from './deb-version.js';
export { compareEvr, rpmvercmp } from './rpm-version.js';
export { readKeyring, SignatureError } from './signature.js';
export { RepositoryError, ResolveError, type RepoSource } from './source.js';

export type OsRepositories = { manager: 'apt'; suites: readonly AptSuiteSpec[] } | { manager: 'dnf'; repos: readonly DnfRepoSpec[] };

export interface OsPackageFile {
  name: string;
  /** dpkg version or rpm EVR. */
  version: string;
  arch: string;
  /** Path of the file below the mirror root. */
  path: string;
  /** A plain file name for the bundle: Debian's `name_version_arch.deb` (no epoch), the rpm's own name. */
  fileName: string;
  /** Names the user's tools save the file as (`apt-get download` writes an epoch as `%3a`), for --from. */
  savedAs: string[];
  sha256: string;
  size: number;
  /** `bookworm/main`, or the dnf repository id. */
  repository: string;
  /** `requested`, or which package's dependency pulled it in. */
  reason: string;
}

export interface OsPackageResolution {
  /** What to ship, dependencies before the packages that need them. */
  files: OsPackageFile[];
  /** Requested names a minimal install already has (not shipped). */
  present: string[];
  /** The packages a minimal install is taken to have (names). */
  base: string[];
  /** How each suite or repository's metadata was trusted: the signing key id, or null (dnf, unsigned). */
  signatures: { repository: string; keyId: string | null }[];
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

export async function resolveOsPackages(
  src: RepoSource,
  repos: OsRepositories,
  o: { arch: string; names: readonly string[]; keys: readonly Key[]; now: Date },
): Promise<OsPackageResolution> {
  if (repos.manager === 'apt') {
    const repo = await readAptRepository(src, { suites: repos.suites, arch: o.arch, keys: o.keys, now: o.now });
    const c = resolveApt(repo.packages, o.names);
    return {
      files: c.ship.map((p) => ({
        name: p.name, version: p.version, arch: p.arch, path: p.filename,
        fileName: `${p.name}_${p.version.replace(/^\d+:/, '')}_${p.arch}.deb`,
        savedAs: [...new Set([base(p.filename), `${p.name}_${p.version.replace(':', '%3a')}_${p.arch}.deb`])],
        sha256: p.sha256, size: p.size, repository: p.repository, reason: c.reasons.get(p.name) ?? '',
      })),
      present: c.present,
      base: [...c.base].sort(),
      signatures: repo.suites.map((s) => ({ repository: s.suite, keyId: s.keyId })),
    };
  }
  const repo = await readDnfRepository(src, { repos: repos.repos, arch: o.arch, keys: o.keys, now: o.now });
  if (!repo.core) {
    throw new RepositoryError(`no repository of ${repos.repos.map((r) => r.id).join(', ')} has comps with a core group: kubeseed takes the core group as what a minimal install has (createrepo_c -g comps.xml)`);
  }
  const c = resolveRpm(repo.packages, repo.core, o.names);
  return {
    files: c.ship.map((p) => ({
      name: p.name, version: formatEvr(p.evr), arch: p.arch, path: p.location, fileName: base(p.location), savedAs: [base(p.location)],
      sha256: p.sha256, size: p.size, repository: p.repository, reason: c.reasons.get(p.name) ?? '',
    })),
    present: c.present,
    base: [...c.base].sort(),
    signatures: repo.repos.map((r) => ({ repository: r.id, keyId: r.signedBy })),
  };
}
