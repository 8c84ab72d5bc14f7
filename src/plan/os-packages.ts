/**
 * Which OS packages a site's nodes need and where their release's packages are resolved: the
 * names the node installs (the family's names for kubeseed's tools, chrony when NTP servers are
 * set) and the release's repositories from the version table. Pure; `kubeseed bundle` resolves
 * and fetches what this names, the node installs it.
 */
import type { Arch, OsFamily, OsRelease, VersionTable } from './versions.js';
import { osPackages, versionTable } from './versions.js';

export interface OsPackagePlan {
  /** `debian-12`, `rocky-9`: the version table's row. */
  readonly release: string;
  readonly arch: Arch;
  /** Package names (or, for dnf, provided names) the node needs, sorted; chrony last when asked for. */
  readonly names: readonly string[];
  readonly repositories: OsRelease;
}

const RPM_ARCH: Record<Arch, string> = { amd64: 'x86_64', arm64: 'aarch64' };

/** The names a node installs: the family's tool packages, and chrony when it must carry NTP servers. */
export function osPackageNames(family: OsFamily, ntp: boolean, table: VersionTable = versionTable()): string[] {
  const names = osPackages(family, table);
  const manager = table.osPackages.families[family].manager;
  return ntp && manager !== 'none' ? [...names, 'chrony'] : names;
}

/**
 * The packages plan for one OS release; null for families whose nodes install no packages
 * (Flatcar, Fedora CoreOS) or a release the table has no repositories for.
 */
export function osPackagePlan(
  facts: { family: OsFamily; version: string | undefined; arch: Arch; ntp: boolean },
  table: VersionTable = versionTable(),
): OsPackagePlan | null {
  const manager = table.osPackages.families[facts.family].manager;
  if (manager !== 'apt' && manager !== 'dnf') return null;
  const release = `${facts.family}-${facts.version ?? ''}`;
  const row = table.osPackages.releases[release];
  if (!row) return null;
  const rpmArch = RPM_ARCH[facts.arch];
  const repositories: OsRelease =
    row.manager === 'dnf'
      ? { ...row, repos: row.repos.map((r) => ({ id: r.id.replaceAll('{rpmArch}', rpmArch), path: r.path.replaceAll('{rpmArch}', rpmArch) })) }
      : row;
  return { release, arch: facts.arch, names: osPackageNames(facts.family, facts.ntp, table), repositories };
}
