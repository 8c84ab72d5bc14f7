import { resolve } from 'node:path';
import { goDuration } from '../../plan/duration.js';
import { durationSeconds } from '../../plan/duration.js';
import { renderNodeOutputs, type OutputFile } from '../../render/node.js';
import { writeTree } from '../../emit/tree.js';
import { loadOrCreateState } from '../../state/load.js';
import { secretsFromState } from '../../state/plan-secrets.js';
import { tokenTtlWarning } from '../../pki/token.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { defaultStateDir, outputEpoch, planFor, profileOrExit, stateOptions } from './pipeline.js';

const USAGE = `usage: kubeseed compile PROFILE [--out DIR] [--state DIR] [--format cloud-init|ignition]

Writes OUT/<cluster>/: nodes/<node>/{user-data,meta-data,network-config}, admin.conf and
manifest.json, all at once (a failed compile leaves the previous tree as it was).

  --out DIR      output directory (default: out)
  --state DIR    cluster state: CAs, keys, bootstrap token (default: OUT/<cluster>.state).
                 Made on the first compile and reused after; a damaged state is an error.
  --format F     cloud-init or ignition (default: by spec.os.family)

Timestamps come from SOURCE_DATE_EPOCH, or else from the state's creation time.`;

export function compileCommand(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    format: { type: 'string' },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const file = onePositional(positionals, 'profile', USAGE);
  const format = values.format;
  if (format !== undefined && format !== 'cloud-init' && format !== 'ignition') {
    throw new UsageError(`--format must be cloud-init or ignition, got ${JSON.stringify(format)}`);
  }
  const loaded = profileOrExit(file, io);
  if (typeof loaded === 'number') return loaded;
  const cluster = loaded.profile.metadata.name;
  const outDir = resolve(values.out);
  const stateDir = resolve(values.state ?? defaultStateDir(outDir, cluster));

  const st = loadOrCreateState(stateDir, stateOptions(loaded.profile, new Date()));
  for (const w of st.warnings) io.err(`warning: state: ${w}`);
  if (st.created) io.err(`state: created ${stateDir} (keep it: it holds the cluster's CAs)`);
  const ttlWarning = tokenTtlWarning(durationSeconds(loaded.profile.spec.bootstrapToken.ttl));
  if (ttlWarning) io.err(`warning: ${ttlWarning}`);

  const secrets = secretsFromState(st.state, goDuration(durationSeconds(loaded.profile.spec.bootstrapToken.ttl)));
  const plan = planFor(loaded, secrets, outputEpoch(st.state.createdAt), format);
  const outputs: OutputFile[] = [{ path: 'admin.conf', content: st.state.adminConf, mode: 0o600 }];
  for (const node of plan.nodes) outputs.push(...renderNodeOutputs(plan, node));
  const target = writeTree(outDir, cluster, outputs);
  io.out(`${target}: ${plan.nodes.length} nodes, ${outputs.length + 1} files`);
  return EXIT.ok;
}
