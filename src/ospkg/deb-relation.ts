/**
 * Debian relationship fields (Depends, Pre-Depends, Provides): a comma-separated list of
 * alternatives `a | b`, each `name[:archqual] [(op version)] [[arch list]] [<profiles>]`
 * (deb-src-control(5), Debian Policy 7.1). Binary indices carry no arch lists or build profiles,
 * but they are dropped rather than misread.
 */
import type { DebRelation } from './deb-version.js';

export interface DebAtom {
  name: string;
  /** `any`, `native` or an architecture; undefined when absent. */
  archQualifier?: string;
  op?: DebRelation;
  version?: string;
}

/** One dependency: satisfied by any of its alternatives. */
export type DebDependency = DebAtom[];

const ATOM = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>\s*)*$/;

export function parseAtom(text: string): DebAtom {
  const m = ATOM.exec(text.trim());
  if (!m) throw new Error(`cannot read the relation "${text.trim()}"`);
  const [, name, arch, rawOp, version] = m;
  const op = rawOp === '<' ? '<=' : rawOp === '>' ? '>=' : (rawOp as DebRelation | undefined);
  return { name: name!, ...(arch ? { archQualifier: arch } : {}), ...(op && version ? { op, version } : {}) };
}

export function parseRelations(field: string | undefined): DebDependency[] {
  if (!field || field.trim() === '') return [];
  return field
    .replace(/\n/g, ' ')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((group) => group.split('|').map(parseAtom));
}

export function formatAtom(a: DebAtom): string {
  return `${a.name}${a.archQualifier ? `:${a.archQualifier}` : ''}${a.op ? ` (${a.op} ${a.version})` : ''}`;
}

export function formatDependency(d: DebDependency): string {
  return d.map(formatAtom).join(' | ');
}
