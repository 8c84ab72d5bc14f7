import { hasErrors } from '../../profile/diagnostics.js';
import { loadProfile } from '../../profile/load.js';
import { onePositional, parse } from '../args.js';
import { EXIT } from '../exit.js';
import { printDiagnostics, type Io } from '../io.js';
import type { CliEnv } from './pipeline.js';

const USAGE = `usage: kubeseed validate PROFILE

Checks a profile and prints every problem as FILE:LINE:COL SEVERITY PATH: MESSAGE.
Exit codes: 0 valid (warnings may be printed), 2 invalid.`;

export function validateCommand(argv: string[], io: Io, env: CliEnv = {}): number {
  const { values, positionals } = parse(argv, {}, USAGE);
  const file = onePositional(positionals, 'profile', USAGE);
  const r = loadProfile(file, env.table);
  printDiagnostics(io, r.diagnostics);
  if (!r.profile) return EXIT.badInput;
  io.out(`${file}: valid (${r.profile.spec.nodes.length} nodes)`);
  return hasErrors(r.diagnostics) ? EXIT.badInput : EXIT.ok;
}
