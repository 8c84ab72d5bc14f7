/** The CLI's only way to print. Diagnostics and progress go to stderr; results to stdout. */
import { formatDiagnostic, type Located } from '../profile/diagnostics.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal a status line can be drawn on (and this is not CI). */
  readonly isTTY: boolean;
  /** Replaces the terminal's status line ('' clears it); callers draw only when isTTY. */
  status(line: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: process.stderr.isTTY === true && process.env.CI !== 'true',
  // Cut to the terminal's width: a wrapped line could not be rewritten in place.
  status: (line) => process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(0, (process.stderr.columns ?? 80) - 1))}`),
};

export function printDiagnostics(io: Io, ds: readonly Located[]): void {
  for (const d of ds) io.err(formatDiagnostic(d));
}
