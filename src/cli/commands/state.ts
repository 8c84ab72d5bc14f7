import { resolve } from 'node:path';
import { readState } from '../../state/read.js';
import { stateSummary } from '../../pki/summary.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { defaultStateDir, profileOrExit, type CliEnv } from './pipeline.js';

const USAGE = `usage: kubeseed state show PROFILE [--out DIR] [--state DIR]

Prints each certificate's subject, sha256 fingerprint and validity, and the bootstrap token's id
and expiry (never its secret).`;

export function stateCommand(argv: string[], io: Io, env: CliEnv = {}): number {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (sub !== 'show') throw new UsageError(`unknown state subcommand ${JSON.stringify(sub ?? '')}\n\n${USAGE}`);
  const { values, positionals } = parse(rest, { out: { type: 'string', default: 'out' }, state: { type: 'string' } }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io, env.table);
  if (typeof loaded === 'number') return loaded;
  const dir = resolve(values.state ?? defaultStateDir(resolve(values.out), loaded.profile.metadata.name));
  const found = readState(dir);
  if (found.status !== 'present') {
    io.err(`kubeseed state: no state in ${dir}; "kubeseed compile" creates it`);
    return EXIT.failure;
  }
  io.out(JSON.stringify(stateSummary(found.state), null, 2));
  return EXIT.ok;
}
