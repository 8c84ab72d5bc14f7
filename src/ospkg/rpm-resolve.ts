/**
 * The Requires closure of a few names over rpm-md primary data, as `dnf install
 * --setopt=install_weak_deps=False` computes it on a machine that has only what a minimal
 * install has: the comps group `core` (mandatory and default packages, what the installers'
 * "Minimal Install" puts down) with its own closure.
 *
 * Rules, after libsolv's: the candidate of a name is its highest EVR (best arch first); a
 * requirement is met by anything installed or chosen that provides it (by name and version
 * range, or for a path by the files primary.xml lists); otherwise the providers' candidates
 * are sorted by name and the first is chosen. `rpmlib(...)` requirements are met by rpm itself.
 * Rich dependencies (`(a or b)`, `and`, `if`, `unless`, `else`) are evaluated when met; `with`
 * and `without` are refused. Packages built for modules (a release containing `.module`) are
 * left out: dnf hides them unless their stream is enabled, and kubeseed reads no modules.yaml.
 * Weak dependencies (Recommends) are not followed: rpm -U installs none.
 */
import { compareEvr, formatEvr, rpmRangesOverlap, type Evr, type RpmFlag } from './rpm-version.js';
import type { RpmDep, RpmPackage } from './dnf-repo.js';
import { ResolveError } from './source.js';

const ARCH_RANK: Record<string, number> = { x86_64: 0, aarch64: 0, noarch: 1 };

type Rich =
  | { kind: 'dep'; dep: RpmDep }
  | { kind: 'and' | 'or'; items: Rich[] }
  | { kind: 'if' | 'unless'; then: Rich; cond: Rich; else?: Rich };

const OPS: Record<string, RpmFlag> = { '=': 'EQ', '==': 'EQ', '<': 'LT', '<=': 'LE', '>': 'GT', '>=': 'GE' };

function parseEvr(s: string): Evr {
  const colon = s.indexOf(':');
  const epoch = colon >= 0 ? s.slice(0, colon) : '0';
  const rest = colon >= 0 ? s.slice(colon + 1) : s;
  const dash = rest.lastIndexOf('-');
  return { epoch, ver: dash >= 0 ? rest.slice(0, dash) : rest, rel: dash >= 0 ? rest.slice(dash + 1) : '' };
}

/** Parses a boolean dependency `(a >= 1 or (b if c))` (rpm 4.13+). */
export function parseRich(text: string): Rich {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const fail = (why: string): never => {
    throw new ResolveError(`cannot read the rich dependency ${text}: ${why}`);
  };
  const term = (): Rich => {
    if (tokens[i] === '(') return group();
    const name = tokens[i++] ?? fail('ends early');
    const op = tokens[i];
    if (op !== undefined && OPS[op]) {
      i++;
      const v = tokens[i++] ?? fail(`no version after ${op}`);
      return { kind: 'dep', dep: { name, flags: OPS[op]!, evr: parseEvr(v) } };
    }
    return { kind: 'dep', dep: { name } };
  };
  const group = (): Rich => {
    if (tokens[i++] !== '(') fail('expected (');
    const first = term();
    const op = tokens[i];
    if (op === ')') {
      i++;
      return first;
    }
    i++;
    if (op === 'and' || op === 'or') {
      const items = [first];
      while (true) {
        items.push(term());
        const next = tokens[i++];
        if (next === ')') return { kind: op, items };
        if (next !== op) fail(`mixes ${op} with ${next}`);
      }
    }
    if (op === 'if' || op === 'unless') {
      const cond = term();
      let other: Rich | undefined;
      if (tokens[i] === 'else') {
        i++;
        other = term();
      }
      if (tokens[i++] !== ')') fail('expected )');
      return { kind: op, then: first, cond, ...(other ? { else: other } : {}) };
    }
    return fail(`the operator ${op ?? '(none)'} is not supported`);
  };
  const r = group();
  if (i !== tokens.length) fail('trailing text');
  return r;
}

export function formatRpmDep(d: RpmDep): string {
  return d.flags && d.evr ? `${d.name} ${({ EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' } as const)[d.flags]} ${formatEvr(d.evr)}` : d.name;
}

class RpmIndex {
  readonly candidates = new Map<string, RpmPackage>();
  readonly provides = new Map<string, { pkg: RpmPackage; dep: RpmDep }[]>();
  readonly files = new Map<string, RpmPackage[]>();

  constructor(packages: readonly RpmPackage[]) {
    for (const p of packages) {
      if (/\.module[+_]/.test(p.evr.rel)) continue;
      const have = this.candidates.get(p.name);
      if (!have || (ARCH_RANK[p.arch] ?? 2) < (ARCH_RANK[have.arch] ?? 2) || ((ARCH_RANK[p.arch] ?? 2) === (ARCH_RANK[have.arch] ?? 2) && compareEvr(p.evr, have.evr) > 0)) {
        this.candidates.set(p.name, p);
      }
    }
    for (const p of this.candidates.values()) {
      // rpm adds `Provides: name = EVR` to every package; createrepo lists it, but not always.
      for (const d of [...p.provides, { name: p.name, flags: 'EQ' as const, evr: p.evr }]) {
        const list = this.provides.get(d.name) ?? [];
        list.push({ pkg: p, dep: d });
        this.provides.set(d.name, list);
      }
      for (const f of p.files) {
        const list = this.files.get(f) ?? [];
        list.push(p);
        this.files.set(f, list);
      }
    }
  }

  providers(req: RpmDep): RpmPackage[] {
    const out = new Set<RpmPackage>();
    for (const x of this.provides.get(req.name) ?? []) {
      if (rpmRangesOverlap({ ...(x.dep.flags ? { flags: x.dep.flags } : {}), ...(x.dep.evr ? { evr: x.dep.evr } : {}) }, req)) out.add(x.pkg);
    }
    if (req.name.startsWith('/')) for (const p of this.files.get(req.name) ?? []) out.add(p);
    return [...out];
  }
}

export interface RpmClosure {
  base: Set<string>;
  ship: RpmPackage[];
  present: string[];
  reasons: Map<string, string>;
}

class Closure {
  readonly chosen = new Map<string, RpmPackage>();
  readonly order: RpmPackage[] = [];
  readonly reasons = new Map<string, string>();

  constructor(
    private readonly index: RpmIndex,
    private readonly installed: ReadonlyMap<string, RpmPackage>,
  ) {}

  private has(p: RpmPackage): boolean {
    return this.installed.get(p.name) === p || this.chosen.get(p.name) === p;
  }

  private met(req: RpmDep): boolean {
    if (req.name.startsWith('rpmlib(')) return true;
    return this.index.providers(req).some((p) => this.has(p));
  }

  private pick(req: RpmDep): RpmPackage | undefined {
    return this.index.providers(req).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  }

  installAll(pkgs: readonly RpmPackage[], reason: (p: RpmPackage) => string): void {
    const fresh = pkgs.filter((p) => !this.has(p) && !this.installed.has(p.name) && !this.chosen.has(p.name));
    for (const p of fresh) {
      this.chosen.set(p.name, p);
      this.reasons.set(p.name, reason(p));
    }
    for (const p of fresh) this.dependencies(p);
  }

  private install(p: RpmPackage, reason: string): void {
    if (this.installed.has(p.name) || this.chosen.has(p.name)) return;
    this.chosen.set(p.name, p);
    this.reasons.set(p.name, reason);
    this.dependencies(p);
  }

  private dependencies(p: RpmPackage): void {
    // Requires needed by scriptlets (pre="1") first, as rpm orders them.
    const reqs = [...p.requires.filter((r) => r.pre), ...p.requires.filter((r) => !r.pre)];
    for (const r of reqs) {
      if (r.name.startsWith('(')) this.rich(parseRich(r.name), p, r.name);
      else this.require(r, p);
    }
    this.order.push(p);
  }

  private require(req: RpmDep, from: RpmPackage): void {
    if (this.met(req)) return;
    const p = this.pick(req);
    if (!p) throw new ResolveError(`${from.name}-${formatEvr(from.evr)}.${from.arch}: requires ${formatRpmDep(req)}, ${this.why(req)}`);
    this.install(p, `${from.name} requires ${formatRpmDep(req)}`);
  }

  private why(req: RpmDep): string {
    const cand = this.index.candidates.get(req.name);
    if (cand) return `but the release has ${cand.name}-${formatEvr(cand.evr)}`;
    return 'which no package of the release provides';
  }

  /** Whether a rich condition holds for what is installed or chosen now. */
  private holds(r: Rich): boolean {
    switch (r.kind) {
      case 'dep': return this.met(r.dep);
      case 'and': return r.items.every((x) => this.holds(x));
      case 'or': return r.items.some((x) => this.holds(x));
      case 'if': return !this.holds(r.cond) || this.holds(r.then);
      case 'unless': return this.holds(r.cond) || this.holds(r.then);
    }
  }

  private rich(r: Rich, from: RpmPackage, text: string): void {
    switch (r.kind) {
      case 'dep':
        return this.require(r.dep, from);
      case 'and':
        for (const x of r.items) this.rich(x, from, text);
        return;
      case 'or': {
        if (r.items.some((x) => this.holds(x))) return;
        for (const x of r.items) {
          try {
            this.rich(x, from, text);
            return;
          } catch (e) {
            if (!(e instanceof ResolveError)) throw e;
          }
        }
        throw new ResolveError(`${from.name}-${formatEvr(from.evr)}.${from.arch}: requires ${text}, which nothing in the release meets`);
      }
      case 'if':
        if (this.holds(r.cond)) this.rich(r.then, from, text);
        else if (r.else) this.rich(r.else, from, text);
        return;
      case 'unless':
        if (!this.holds(r.cond)) this.rich(r.then, from, text);
        else if (r.else) this.rich(r.else, from, text);
        return;
    }
  }

  target(name: string): RpmPackage {
    const cand = this.index.candidates.get(name);
    if (cand) return cand;
    const p = this.pick({ name });
    if (!p) throw new ResolveError(`package ${name}: the release does not have it (no package of that name or providing it in the repositories read)`);
    return p;
  }
}

/** What a minimal install has: the comps `core` group's packages and their closure. */
export function rpmBase(packages: readonly RpmPackage[], core: readonly string[]): Map<string, RpmPackage> {
  const index = new RpmIndex(packages);
  const c = new Closure(index, new Map());
  const seeds = [...new Set(core)].sort().map((n) => index.candidates.get(n)).filter((p): p is RpmPackage => p !== undefined);
  c.installAll(seeds, () => 'base');
  return c.chosen;
}

export function resolveRpm(packages: readonly RpmPackage[], core: readonly string[], requested: readonly string[]): RpmClosure {
  const index = new RpmIndex(packages);
  const base = rpmBase(packages, core);
  const c = new Closure(index, base);
  const present: string[] = [];
  const wanted: RpmPackage[] = [];
  for (const name of requested) {
    const p = c.target(name);
    if (base.get(p.name) === p) present.push(name);
    else wanted.push(p);
  }
  c.installAll(wanted, (p) => (requested.includes(p.name) ? 'requested' : `requested (provides ${requested.find((n) => index.providers({ name: n }).includes(p))})`));
  return { base: new Set(base.keys()), ship: c.order, present, reasons: c.reasons };
}
