/**
 * kubeseed: compiles a cluster profile into every node's first-boot configuration.
 * The CLI is the only place that prints and sets exit codes; the stages return data.
 */
import { HelpRequest, UsageError } from './args.js';
import { EXIT } from './exit.js';
import { processIo, type Io } from './io.js';
import { closest } from '../profile/suggest.js';
import type { CliEnv } from './commands/pipeline.js';

const USAGE = `usage: kubeseed COMMAND [options]

Commands:
  validate PROFILE              check a profile; print every problem with file:line:col
  compile PROFILE               write out/<cluster>/ (user-data, meta-data, network-config, manifest.json)
  explain PROFILE [--node N]    print the resolved plan: roles, order, addresses, files and secrets
  state show PROFILE            print the cluster state's certificates (fingerprints, days left) and token id
  state renew PROFILE           re-issue the leaf certificates (admin.conf, apiserver-etcd-client) from the same CAs
  state new-token PROFILE       put a new bootstrap token into the state; print its kubeadm token create line
  bundle PROFILE                build the offline bundle (--from DIR, --mirror URL) or --list what it needs
  serve OUT/CLUSTER             serve a compiled tree to machines that boot from the network (iPXE, NoCloud, Ignition)

Run "kubeseed COMMAND --help" for a command's options; "kubeseed --version" prints the version,
the commit it was built from and the version table's date.
Exit codes: 0 ok, 1 failure, 2 bad input.`;

type Command = (argv: string[], io: Io, env: CliEnv) => number | Promise<number>;

// Each command's module is imported only when that command runs: start-up time is mostly module
// loading, and `compile` has no use for the bundle builder's registry client (nor `--help` for any of it).
const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  compile: async () => (await import('./commands/compile.js')).compileCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  state: async () => (await import('./commands/state.js')).stateCommand,
  bundle: async () => (await import('./commands/bundle.js')).bundleCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
};

/** `env` is for tests only (see CliEnv): the command line never fills it in. */
export async function main(argv: string[], io: Io = processIo, env: CliEnv = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.out((await import('./version.js')).versionText());
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const near = closest(name, Object.keys(COMMANDS));
    io.err(`kubeseed: unknown command ${JSON.stringify(name)}${near ? `; did you mean ${near}?` : ''}\n\n${USAGE}`);
    return EXIT.badInput;
  }
  try {
    const command = await load();
    return await command(rest, io, env);
  } catch (e) {
    if (e instanceof HelpRequest) {
      io.out(e.message);
      return EXIT.ok;
    }
    if (e instanceof UsageError) {
      io.err(`kubeseed ${name}: ${e.message}`);
      return EXIT.badInput;
    }
    io.err(`kubeseed ${name}: ${(e as Error).message}`);
    return EXIT.failure;
  }
}
