/**
 * Diagnostics are values, collected and returned, never thrown: a user fixing a profile wants
 * every problem at once. A diagnostic's path is turned into file:line:col only at the end, from
 * the YAML document's node ranges, falling back to the nearest parent that exists (locate.ts).
 * This module loads no YAML code: the CLI prints diagnostics through it on every start.
 */

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

/** `profiles/ha.yaml:23:9 error spec.nodes[2].mac: duplicate of spec.nodes[0].mac` */
export function formatDiagnostic(d: Located): string {
  return `${d.file}:${d.line}:${d.col} ${d.severity} ${formatPath(d.path)}: ${d.message}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
