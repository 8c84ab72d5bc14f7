/**
 * rpm's version comparison: rpmvercmp (alternating alphabetic and numeric segments, `~` sorting
 * before everything and `^` after the end but before anything else) applied to epoch, version
 * and release in turn, as `rpm --eval '%{lua: print(rpm.vercmp(a, b))}'` and libsolv do.
 */

export interface Evr {
  epoch: string;
  ver: string;
  rel: string;
}

const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);

/** rpmvercmp: <0, 0, >0. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    // Tilde: sorts before everything, the end of the string included.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // Caret: sorts after the end of the string but before any other segment.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const numeric = isDigit(a[i]);
    const test = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a[ei])) ei++;
    while (ej < b.length && test(b[ej])) ej++;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    // The other string's segment is of the other kind: numeric sorts after alphabetic.
    if (sb.length === 0) return numeric ? 1 : -1;
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Compares two EVRs; an empty release on either side (a requirement without one) matches any. */
export function compareEvr(a: Evr, b: Evr): number {
  const e = rpmvercmp(a.epoch || '0', b.epoch || '0');
  if (e !== 0) return e;
  const v = rpmvercmp(a.ver, b.ver);
  if (v !== 0) return v;
  if (a.rel === '' || b.rel === '') return 0;
  return rpmvercmp(a.rel, b.rel);
}

export function formatEvr(e: Evr): string {
  return `${e.epoch && e.epoch !== '0' ? `${e.epoch}:` : ''}${e.ver}${e.rel ? `-${e.rel}` : ''}`;
}

export type RpmFlag = 'EQ' | 'LT' | 'LE' | 'GT' | 'GE';

/** Whether a provide's range `(pflag pevr)` (absent: any version) overlaps the requirement `(rflag revr)`. */
export function rpmRangesOverlap(provide: { flags?: RpmFlag; evr?: Evr }, req: { flags?: RpmFlag; evr?: Evr }): boolean {
  if (!req.flags || !req.evr) return true;
  if (!provide.flags || !provide.evr) return true;
  const c = compareEvr(provide.evr, req.evr);
  const pLess = provide.flags === 'LT' || provide.flags === 'LE';
  const pMore = provide.flags === 'GT' || provide.flags === 'GE';
  const rLess = req.flags === 'LT' || req.flags === 'LE';
  const rMore = req.flags === 'GT' || req.flags === 'GE';
  if (c < 0) return pMore || rLess;
  if (c > 0) return pLess || rMore;
  const pEq = provide.flags === 'EQ' || provide.flags === 'LE' || provide.flags === 'GE';
  const rEq = req.flags === 'EQ' || req.flags === 'LE' || req.flags === 'GE';
  return (pEq && rEq) || (pLess && rLess) || (pMore && rMore);
}
