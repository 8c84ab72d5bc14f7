/**
 * Diagnostics are values, collected and returned, never thrown: a user fixing a profile wants
 * every problem at once. A diagnostic's path is turned into file:line:col only at the end, from
 * the YAML document's node ranges, falling back to the nearest parent that exists.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export type Severity = 'error' | 'warning';
export type PathSegment = string | number;

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `duplicate-mac`. */
  readonly code: string;
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the map key named by the last path segment rather than at its value. */
  readonly atKey?: boolean;
}

export interface Located extends Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function error(code: string, path: readonly PathSegment[], message: string): Diagnostic {
  return { severity: 'error', code, path, message };
}

export function warning(code: string, path: readonly PathSegment[], message: string): Diagnostic {
  return { severity: 'warning', code, path, message };
}

/** `spec.nodes[2].mac`, the form users read and the README uses. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(document)';
}

/** Where a path points in the document; `keyOf` points at a map key rather than its value. */
function nodeAt(doc: Document, path: readonly PathSegment[], keyOf: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return undefined;
      if (last && keyOf) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return undefined;
    }
    if (node === null || node === undefined) return undefined;
  }
  return node as Node;
}

/** Finds the line and column of a diagnostic, walking up the path until a node exists. */
export function locate(
  d: Diagnostic,
  file: string,
  doc: Document | undefined,
  lines: LineCounter | undefined,
): Located {
  if (doc && lines) {
    for (let n = d.path.length; n >= 0; n--) {
      const node = nodeAt(doc, d.path.slice(0, n), d.atKey === true && n === d.path.length);
      if (node?.range) {
        const { line, col } = lines.linePos(node.range[0]);
        return { ...d, file, line, col };
      }
    }
  }
  return { ...d, file, line: 1, col: 1 };
}

/** `profiles/ha.yaml:23:9 error spec.nodes[2].mac: duplicate of spec.nodes[0].mac` */
export function formatDiagnostic(d: Located): string {
  return `${d.file}:${d.line}:${d.col} ${d.severity} ${formatPath(d.path)}: ${d.message}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
