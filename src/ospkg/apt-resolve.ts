/**
 * The dependency closure of a few package names over an apt index, as `apt-get install
 * --no-install-recommends` computes it on a machine that has only what every install of the
 * release has: the packages of Priority required and important (and Essential ones), with their
 * own closure (what debootstrap installs by default).
 *
 * Rules, as apt's pkgDepCache::MarkInstall applies them:
 * - the candidate of a name is its highest version across the suites read (all at apt's default
 *   pin); only candidates are installed, so a versioned relation the candidate fails is unmet;
 * - Depends and Pre-Depends count; Recommends and Suggests do not (dpkg -i ignores them);
 * - an alternative `a | b` is met when any of its members already is (installed or chosen);
 *   otherwise the first member that can be installed is chosen;
 * - a name no package has is met through Provides: a versioned relation only by a versioned
 *   Provides; among several providers, one of higher Priority, then the first by name;
 * - `name:any` takes a package of Multi-Arch: allowed; `:native` and the index's own
 *   architecture mean the package itself.
 * Conflicts and Breaks are not weighed: apt would refuse or remove, kubeseed ships the closure.
 */
import { formatAtom, formatDependency, type DebAtom, type DebDependency } from './deb-relation.js';
import { compareDebVersions, debSatisfies } from './deb-version.js';
import type { AptPackage } from './apt-repo.js';
import { ResolveError } from './source.js';

const PRIORITY_RANK: Record<string, number> = { required: 0, important: 1, standard: 2, optional: 3, extra: 4 };
const rank = (p: AptPackage) => PRIORITY_RANK[p.priority] ?? 5;

export interface AptClosure {
  /** Names of what a minimal install has (the base seeds and their closure). */
  base: Set<string>;
  /** What to ship: not in the base; dependencies before the packages that need them. */
  ship: AptPackage[];
  /** Requested names the base already has. */
  present: string[];
  /** Why each shipped package is there: `requested`, or the package and relation that pulled it. */
  reasons: Map<string, string>;
}

class AptIndex {
  readonly candidates = new Map<string, AptPackage>();
  readonly providers = new Map<string, { pkg: AptPackage; version?: string }[]>();

  constructor(packages: readonly AptPackage[]) {
    for (const p of packages) {
      const have = this.candidates.get(p.name);
      if (!have || compareDebVersions(p.version, have.version) > 0) this.candidates.set(p.name, p);
    }
    for (const p of this.candidates.values()) {
      for (const prov of p.provides) {
        const list = this.providers.get(prov.name) ?? [];
        list.push({ pkg: p, ...(prov.op === '=' && prov.version ? { version: prov.version } : {}) });
        this.providers.set(prov.name, list);
      }
    }
  }
}

function archOk(p: AptPackage, atom: DebAtom): boolean {
  if (atom.archQualifier === 'any') return p.multiArch === 'allowed';
  return true;
}

/** Whether `p` (by its own name and version) meets `atom`. */
function realMeets(p: AptPackage, atom: DebAtom): boolean {
  if (p.name !== atom.name || !archOk(p, atom)) return false;
  return !atom.op || debSatisfies(p.version, atom.op, atom.version!);
}

/** Providers of `atom` among candidates: a versioned relation needs a versioned Provides. */
function providersOf(index: AptIndex, atom: DebAtom): AptPackage[] {
  const list = index.providers.get(atom.name) ?? [];
  return list
    .filter((x) => (atom.op ? x.version !== undefined && debSatisfies(x.version, atom.op, atom.version!) : true))
    .filter((x) => (atom.archQualifier === 'any' ? x.pkg.multiArch === 'allowed' || x.pkg.multiArch === 'foreign' : true))
    .map((x) => x.pkg);
}

class Closure {
  readonly chosen = new Map<string, AptPackage>();
  readonly order: AptPackage[] = [];
  readonly reasons = new Map<string, string>();

  constructor(
    private readonly index: AptIndex,
    private readonly installed: ReadonlyMap<string, AptPackage>,
  ) {}

  private has(name: string): AptPackage | undefined {
    return this.installed.get(name) ?? this.chosen.get(name);
  }

  /** Met by something installed or already chosen, by name or by Provides. */
  private met(atom: DebAtom): boolean {
    const real = this.has(atom.name);
    if (real && realMeets(real, atom)) return true;
    return providersOf(this.index, atom).some((p) => this.has(p.name) === p);
  }

  /** The package that would meet `atom`: its candidate, else the best provider. */
  private pick(atom: DebAtom): AptPackage | undefined {
    const cand = this.index.candidates.get(atom.name);
    if (cand && realMeets(cand, atom)) return cand;
    const provs = providersOf(this.index, atom);
    return [...provs].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  }

  install(p: AptPackage, reason: string): void {
    if (this.has(p.name)) return;
    this.chosen.set(p.name, p);
    this.reasons.set(p.name, reason);
    this.dependencies(p);
  }

  private dependencies(p: AptPackage): void {
    for (const dep of [...p.preDepends, ...p.depends]) this.satisfy(dep, p);
    this.order.push(p);
  }

  /**
   * Several packages at once, as apt-get install marks every package named on its command line
   * before it follows their dependencies (so `a | b` with b named is met by b).
   */
  installAll(pkgs: readonly AptPackage[], reason: (p: AptPackage) => string): void {
    const fresh = pkgs.filter((p) => !this.has(p.name));
    for (const p of fresh) {
      this.chosen.set(p.name, p);
      this.reasons.set(p.name, reason(p));
    }
    for (const p of fresh) this.dependencies(p);
  }

  private satisfy(dep: DebDependency, from: AptPackage): void {
    if (dep.some((a) => this.met(a))) return;
    for (const atom of dep) {
      const p = this.pick(atom);
      if (p) {
        this.install(p, `${from.name} depends on ${formatDependency(dep)}`);
        return;
      }
    }
    throw new ResolveError(`${from.name} ${from.version}: cannot satisfy its dependency ${formatDependency(dep)} (${unmetWhy(this.index, dep)})`);
  }

  /** The package a requested name means: its candidate, or the one provider of a virtual name. */
  target(name: string): AptPackage {
    const cand = this.index.candidates.get(name);
    if (cand) return cand;
    const provs = providersOf(this.index, { name });
    if (provs.length === 1) return provs[0]!;
    if (provs.length > 1) throw new ResolveError(`package ${name}: a virtual package provided by ${provs.map((p) => p.name).join(', ')}; name one of them`);
    throw new ResolveError(`package ${name}: the release does not have it (not in the indices read)`);
  }
}

function unmetWhy(index: AptIndex, dep: DebDependency): string {
  return dep
    .map((a) => {
      const cand = index.candidates.get(a.name);
      if (cand) return `the release has ${cand.name} ${cand.version}${!archOk(cand, a) ? ` with Multi-Arch: ${cand.multiArch}` : ''}`;
      if (index.providers.has(a.name)) return `no package provides ${formatAtom(a)}`;
      return `the release does not have ${a.name}`;
    })
    .join('; ');
}

/** The base: Priority required and important packages (and Essential ones) with their closure. */
export function aptBase(packages: readonly AptPackage[]): Map<string, AptPackage> {
  const index = new AptIndex(packages);
  const c = new Closure(index, new Map());
  const seeds = [...index.candidates.values()]
    .filter((p) => p.essential || p.priority === 'required' || p.priority === 'important')
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  c.installAll(seeds, () => 'base');
  return c.chosen;
}

export function resolveApt(packages: readonly AptPackage[], requested: readonly string[]): AptClosure {
  const index = new AptIndex(packages);
  const base = aptBase(packages);
  const c = new Closure(index, base);
  const present: string[] = [];
  const wanted: AptPackage[] = [];
  for (const name of requested) {
    const p = c.target(name);
    if (base.get(p.name) === p) present.push(name);
    else wanted.push(p);
  }
  c.installAll(wanted, (p) => (requested.includes(p.name) ? 'requested' : `requested (provides ${requested.find((n) => p.provides.some((a) => a.name === n))})`));
  return { base: new Set(base.keys()), ship: c.order, present, reasons: c.reasons };
}
