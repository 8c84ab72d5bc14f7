import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { INDEX_PATH, IndexError, readMachineIndex } from '../../serve/machine-index.js';
import { LedgerError, OneShotLedger } from '../../serve/one-shot.js';
import { startServer } from '../../serve/server.js';
import { baseUrl, onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';

const USAGE = `usage: kubeseed serve TREE [--listen ADDR:PORT] [--url URL] [--boot-assets DIR]
                      [--tls-cert FILE --tls-key FILE]
                      [--one-shot-secrets [--ledger FILE] [--re-arm NODE|all]...]

Serves a compiled tree (OUT/<cluster>, compiled with spec.netboot or --netboot) to machines that
boot from the network, read-only: GET /boot.ipxe, /ipxe?mac=...&uuid=..., /nodes/<node>/<file>,
/netboot/*.ipxe and /assets/*. Nothing else of the tree (admin.conf, manifest.json) is served.
One access log line per request on stdout: time, client, machine, method, target, status, bytes.

  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080: loopback only; give the
                       provisioning interface's address, or 0.0.0.0, to serve machines)
  --url URL            the URL machines reach this server at, written into their iPXE scripts
                       (default: from each request's Host header)
  --boot-assets DIR    serve DIR's files under /assets/ (kernels, initrds, the offline bundle),
                       with HTTP Range so that large downloads resume
  --tls-cert FILE      serve HTTPS with this certificate chain (PEM) and --tls-key FILE
  --one-shot-secrets   serve each node's secret-bearing files (user-data, ignition.json) once:
                       later requests get 410 Gone. Recorded in the ledger, which a restart keeps
  --ledger FILE        the one-shot ledger (default: TREE.one-shot.json beside the tree)
  --re-arm NODE|all    forget that NODE's secrets were served (repeatable), then serve

Stops on SIGINT or SIGTERM.`;

/** ADDR:PORT, [v6]:PORT or :PORT (all interfaces). */
function listenAddress(text: string): { host: string; port: number } {
  const m = /^(\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[4]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be ADDR:PORT, [IPv6]:PORT or :PORT, got ${JSON.stringify(text)}`);
  return { host: m[2] ?? (m[3] || '0.0.0.0'), port };
}

function readable(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function directory(flag: string, dir: string): string {
  try {
    if (statSync(dir).isDirectory()) return realpathSync(dir);
  } catch {
    // reported below
  }
  throw new UsageError(`${flag} ${dir}: not a directory`);
}

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    url: { type: 'string' },
    'boot-assets': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'one-shot-secrets': { type: 'boolean', default: false },
    ledger: { type: 'string' },
    're-arm': { type: 'string', multiple: true, default: [] },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const tree = directory('TREE', onePositional(positionals, 'compiled tree (OUT/<cluster>)', USAGE));
  const { host, port } = listenAddress(values.listen);
  const url = values.url === undefined ? undefined : baseUrl('--url', values.url);
  const assets = values['boot-assets'] === undefined ? undefined : directory('--boot-assets', values['boot-assets']);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = values['tls-cert'] !== undefined && values['tls-key'] !== undefined
    ? { cert: readable('--tls-cert', values['tls-cert']), key: readable('--tls-key', values['tls-key']) } : undefined;
  const rearm = values['re-arm'];
  if (rearm.length > 0 && !values['one-shot-secrets']) throw new UsageError('--re-arm goes with --one-shot-secrets');

  const log = (line: string): void => io.out(line);
  let ledger: OneShotLedger | undefined;
  let server;
  try {
    // The index first: it names the cluster the ledger belongs to, and the nodes --re-arm may name.
    const index = readMachineIndex(join(tree, INDEX_PATH));
    const nodes = new Set(index.machines.map((m) => m.node));
    const unknown = rearm.filter((n) => n !== 'all' && !nodes.has(n));
    if (unknown.length > 0) throw new UsageError(`--re-arm: cluster ${index.cluster} has no node ${unknown.join(', ')}`);
    if (values['one-shot-secrets']) {
      const file = resolve(values.ledger ?? join(dirname(tree), `${basename(tree)}.one-shot.json`));
      const opened = OneShotLedger.open(file, index.cluster, rearm.includes('all') ? 'all' : rearm);
      ledger = opened.ledger;
      for (const e of opened.rearmed) io.err(`one-shot: re-armed ${e.node}/${e.file} (was ${e.state} to ${e.client} at ${e.at})`);
      const held = ledger.all();
      io.err(`one-shot: ledger ${file}: ${held.length} secret file${held.length === 1 ? '' : 's'} already handed out`);
      for (const e of held) io.err(`one-shot:   ${e.node}/${e.file} ${e.state === 'served' ? 'served' : 'was being served when the server stopped'} to ${e.client} at ${e.at}`);
    }
    server = await startServer({ tree, host, port, log, ...(assets ? { assets } : {}), ...(url ? { url } : {}), ...(tls ? { tls } : {}), ...(ledger ? { ledger } : {}) });
  } catch (e) {
    if (e instanceof IndexError || e instanceof LedgerError) {
      io.err(`kubeseed serve: ${e.message}`);
      return EXIT.badInput;
    }
    throw e;
  }
  const loopback = /^(127\.|::1$|localhost$)/.test(host);
  io.err(`kubeseed serve: cluster ${server.cluster}, ${server.machines} machines, at ${server.url}${loopback ? ' (loopback only: --listen ADDR:PORT to serve machines)' : ''}`);
  io.err(`kubeseed serve: tree ${tree}; boot assets ${assets ?? 'none'}; one-shot secrets ${ledger ? 'on' : 'off'}${url ? `; machines use ${url}` : ''}`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  io.err('kubeseed serve: stopped');
  return EXIT.ok;
}
