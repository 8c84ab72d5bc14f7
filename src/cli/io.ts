/** The CLI's only way to print. Diagnostics and progress go to stderr; results to stdout. */
import { formatDiagnostic, type Located } from '../profile/diagnostics.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: process.stderr.isTTY === true && process.env.CI !== 'true',
};

export function printDiagnostics(io: Io, ds: readonly Located[]): void {
  for (const d of ds) io.err(formatDiagnostic(d));
}
