/**
 * The network boot server: Node's own http/https, read-only, serving one compiled tree.
 *
 *   GET /boot.ipxe               chains to /ipxe with the machine's MAC and SMBIOS UUID
 *   GET /ipxe?mac=…&uuid=…       the machine's iPXE script, with ${base} set; 404 for a stranger
 *   GET /nodes/<node>/<file>     user-data, meta-data, network-config, vendor-data, ignition.json
 *                                (the files netboot/machines.json lists for that node, no other)
 *   GET /netboot/….ipxe          the tree's iPXE scripts (what netboot/boot.ipxe chains to)
 *   GET /assets/…                boot assets from --boot-assets, with Range for resuming
 *
 * Nothing else of the tree is reachable: not admin.conf, not manifest.json, not the state. Every
 * request gets one access log line: time, client, machine, method, target, status, body bytes.
 */
import { createServer as createHttp, type IncomingMessage, type Server as NodeServer, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { etagOf, rangeAnswer } from './byte-range.js';
import type { Machine, MachineFile } from './machine-index.js';
import type { OneShotLedger } from './one-shot.js';
import { openInside, type OpenedFile } from './open-file.js';
import { route, type Route } from './request-target.js';
import { TreeIndex, type Indexed } from './tree-index.js';

export interface ServeOptions {
  /** The compiled tree (OUT/<cluster>), as a real path. */
  readonly tree: string;
  /** The boot assets directory, as a real path. */
  readonly assets?: string;
  /** The URL machines reach the server at, ending in "/"; default: from each request's Host. */
  readonly url?: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** --one-shot-secrets: the ledger of what was handed out. */
  readonly ledger?: OneShotLedger;
  /** One line per request and per one-shot event. */
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface RunningServer {
  /** Where the server listens, e.g. http://127.0.0.1:8080/. */
  readonly url: string;
  readonly port: number;
  readonly cluster: string;
  readonly machines: number;
  close(): Promise<void>;
}

/** What the access log says about one request. */
interface Outcome {
  status: number;
  bytes: number;
  machine?: string;
  note?: string;
}

/** A Host header that can go into a URL (and so into an iPXE script) as it is. */
const HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;
/** Node files are small; a script bigger than this is not one kubeseed wrote. */
const MAX_SCRIPT = 1 << 20;
const CHUNK = 256 * 1024;
/** Up to this size a file is read whole and sent in one write. */
const SMALL = 1 << 20;

/** The request target as the log shows it: printable ASCII only, at most 300 characters. */
function logTarget(target: string): string {
  const t = target.length > 300 ? `${target.slice(0, 300)}...` : target;
  return t.replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function clientOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const now = o.now ?? (() => new Date());
  const index = new TreeIndex(o.tree, (what) => o.log(`${now().toISOString()} index: ${what}`));
  const scheme = o.tls ? 'https' : 'http';

  const baseUrl = (req: IncomingMessage): string | undefined => {
    if (o.url !== undefined) return o.url;
    const host = req.headers.host;
    return host !== undefined && HOST.test(host) ? `${scheme}://${host}/` : undefined;
  };

  const text = (req: IncomingMessage, res: ServerResponse, out: Outcome, body: string, type = 'text/plain; charset=utf-8'): Outcome => {
    const bytes = Buffer.byteLength(body);
    res.writeHead(out.status, { 'Content-Type': type, 'Content-Length': bytes, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return { ...out, bytes: req.method === 'HEAD' ? 0 : bytes };
  };
  /** An error answer: `reason` goes to the log, `told` (default: the reason) to the client. */
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string, machine?: string, told = reason): Outcome =>
    text(req, res, { status, bytes: 0, note: reason, ...(machine ? { machine } : {}) }, `kubeseed serve: ${told}\n`);
  // What lies behind a refused file (a link's target, an errno) is for the log, not the client.
  const NOT_FOUND = 'not found';

  /** Streams an opened file (the whole of it, or the range asked for when `ranges`). */
  async function sendFile(req: IncomingMessage, res: ServerResponse, f: OpenedFile, type: string, ranges: boolean): Promise<Outcome & { complete: boolean }> {
    const size = f.stat.size;
    const etag = etagOf(f.stat);
    const lastModified = f.stat.mtime.toUTCString();
    const answer = ranges ? rangeAnswer(req.headers.range, size, req.headers['if-range'] as string | undefined, etag, lastModified) : { kind: 'whole' as const };
    const headers: Record<string, string | number> = {
      'Content-Type': type, ETag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': ranges ? 'bytes' : 'none', 'X-Content-Type-Options': 'nosniff',
      ...(ranges ? {} : { 'Cache-Control': 'no-store' }),
    };
    if (answer.kind === 'unsatisfiable') {
      await f.handle.close();
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      res.end();
      return { status: 416, bytes: 0, complete: true };
    }
    const [start, end] = answer.kind === 'part' ? [answer.start, answer.end] : [0, size - 1];
    const length = end - start + 1;
    const status = answer.kind === 'part' ? 206 : 200;
    res.writeHead(status, { ...headers, 'Content-Length': length, ...(answer.kind === 'part' ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) });
    if (req.method === 'HEAD' || length === 0) {
      await f.handle.close();
      res.end();
      return { status, bytes: 0, complete: true };
    }
    if (length <= SMALL) return sendSmall(res, f, start, length, status);
    const stream = f.handle.createReadStream({ start, end, highWaterMark: CHUNK, autoClose: true });
    let bytes = 0;
    stream.on('data', (chunk: string | Buffer) => { bytes += chunk.length; });
    try {
      await pipeline(stream, res);
      return { status, bytes, complete: true };
    } catch {
      return { status, bytes, complete: false, note: 'broken off by the client' };
    }
  }

  /**
   * A small file (every node file, every script) in one read and one write: a stream's
   * machinery costs more than the bytes (npm run bench -- serve, a 60 KB user-data: 337 requests/s
   * streamed, 1,239 read whole).
   */
  async function sendSmall(res: ServerResponse, f: OpenedFile, start: number, length: number, status: number): Promise<Outcome & { complete: boolean }> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    try {
      for (let n = -1; got < length && n !== 0; got += n) n = (await f.handle.read(buf, got, length - got, start + got)).bytesRead;
    } finally {
      await f.handle.close();
    }
    // A file that shrank under us: the length promised can no longer be kept.
    if (got < length) {
      res.destroy();
      return { status, bytes: 0, complete: false, note: `the file shrank to ${got} bytes while being sent` };
    }
    const complete = await new Promise<boolean>((resolve) => {
      res.once('finish', () => resolve(true));
      res.once('close', () => resolve(res.writableFinished));
      res.end(buf);
    });
    return complete ? { status, bytes: length, complete } : { status, bytes: 0, complete, note: 'broken off by the client' };
  }

  async function machineScript(req: IncomingMessage, res: ServerResponse, ix: Indexed, r: Extract<Route, { kind: 'ipxe' }>): Promise<Outcome> {
    const byMac = r.mac ? ix.byMac.get(r.mac) : undefined;
    const byUuid = r.uuid ? ix.byUuid.get(r.uuid) : undefined;
    const cluster = ix.index.cluster;
    if (byMac && byUuid && byMac !== byUuid) return refuse(req, res, 404, `mac ${r.mac} is node ${byMac.node} but uuid ${r.uuid} is node ${byUuid.node}`);
    const m = byMac ?? byUuid;
    if (!m) return refuse(req, res, 404, `cluster ${cluster} has no machine with ${[r.mac && `mac ${r.mac}`, r.uuid && `uuid ${r.uuid}`].filter(Boolean).join(' or ')}`);
    const base = baseUrl(req);
    if (base === undefined) return refuse(req, res, 400, 'no usable Host header to build URLs from (start kubeseed serve with --url)', m.node);
    const f = await openInside(o.tree, m.script.split('/'));
    if ('status' in f) return refuse(req, res, 404, `${m.script}: ${f.reason}`, m.node, NOT_FOUND);
    let script: string;
    try {
      if (f.stat.size > MAX_SCRIPT) throw new Error('too large');
      script = (await f.handle.readFile()).toString('utf8');
    } finally {
      await f.handle.close();
    }
    if (!script.startsWith('#!ipxe\n')) return refuse(req, res, 500, `${m.script} is not an iPXE script`, m.node);
    // The MAC decides; a UUID that differs from the profile's is worth a note (firmware differ in
    // the byte order they give SMBIOS UUIDs in), not a refusal: the node's preflight checks it.
    const note = byMac && r.uuid && m.uuid !== undefined && m.uuid !== r.uuid ? `uuid ${r.uuid} is not the profile's ${m.uuid}` : undefined;
    const body = `#!ipxe\nset base ${base}\n${script.slice('#!ipxe\n'.length)}`;
    return text(req, res, { status: 200, bytes: 0, machine: m.node, ...(note ? { note } : {}) }, body, 'text/plain; charset=utf-8');
  }

  async function nodeFile(req: IncomingMessage, res: ServerResponse, m: Machine, file: MachineFile): Promise<Outcome> {
    const type = file.name.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8';
    const ledger = file.secret ? o.ledger : undefined;
    const client = clientOf(req);
    const gone = (e: { client: string; at: string; state: string }): Outcome =>
      refuse(req, res, 410, `${file.path} was ${e.state === 'served' ? 'served' : 'being served'} to ${e.client} at ${e.at} (--one-shot-secrets; --re-arm ${m.node} serves it again)`, m.node,
        `${file.path} was served once already (--one-shot-secrets)`);
    // HEAD sends nothing, so it claims nothing.
    if (ledger && req.method === 'HEAD') {
      const held = ledger.get(m.node, file.name);
      if (held) return gone(held);
    }
    const claimed = ledger && req.method === 'GET';
    if (claimed) {
      const held = ledger.claim(m.node, file.name, client, now());
      if (held) return gone(held);
    }
    const f = await openInside(o.tree, file.path.split('/'));
    if ('status' in f) {
      if (claimed) ledger.release(m.node, file.name);
      return refuse(req, res, 404, `${file.path}: ${f.reason}`, m.node, NOT_FOUND);
    }
    const sent = await sendFile(req, res, f, type, false);
    if (claimed) {
      if (sent.complete) {
        const e = ledger.served(m.node, file.name, now());
        o.log(`${e.at} one-shot: ${file.path} served to ${e.client} (${sent.bytes} bytes); later requests get 410 Gone`);
      } else {
        ledger.release(m.node, file.name);
        o.log(`${now().toISOString()} one-shot: ${file.path} to ${client} broke off after ${sent.bytes} bytes; it may be fetched again`);
      }
    }
    return { ...sent, machine: m.node };
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<Outcome> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return refuse(req, res, 405, `method ${req.method} (read-only: GET and HEAD)`);
    }
    const r = route(req.url ?? '');
    const ix = index.current(Date.now());
    switch (r.kind) {
      case 'refused':
        return refuse(req, res, r.status, r.reason);
      case 'boot':
        // Relative, so iPXE resolves it against this script's own URL; the MAC with hyphens, as
        // iPXE (2019, Debian's ipxe-qemu) takes a ":" in a relative URI for a scheme's end.
        return text(req, res, { status: 200, bytes: 0 }, `#!ipxe\n# kubeseed serve: cluster ${ix.index.cluster}\nchain ipxe?mac=\${netX/mac:hexhyp}&uuid=\${uuid}\n`);
      case 'ipxe':
        return machineScript(req, res, ix, r);
      case 'node': {
        const m = ix.byNode.get(r.node);
        const file = m?.files.find((f) => f.name === r.file);
        if (!m) return refuse(req, res, 404, `cluster ${ix.index.cluster} has no node ${r.node}`);
        if (!file) return refuse(req, res, 404, `node ${r.node} gets no file ${r.file}`, m.node);
        return nodeFile(req, res, m, file);
      }
      case 'netboot': {
        const machine = ix.byScript.get(['netboot', ...r.segments].join('/'))?.node;
        if (!r.segments[r.segments.length - 1]!.endsWith('.ipxe')) return refuse(req, res, 404, 'only iPXE scripts are served from netboot/');
        const f = await openInside(o.tree, ['netboot', ...r.segments]);
        if ('status' in f) return refuse(req, res, 404, f.reason, machine, NOT_FOUND);
        return { ...(await sendFile(req, res, f, 'text/plain; charset=utf-8', false)), ...(machine ? { machine } : {}) };
      }
      case 'asset': {
        if (o.assets === undefined) return refuse(req, res, 404, 'no boot assets are served (kubeseed serve --boot-assets DIR)');
        const f = await openInside(o.assets, r.segments);
        if ('status' in f) return refuse(req, res, 404, f.reason, undefined, NOT_FOUND);
        return sendFile(req, res, f, 'application/octet-stream', true);
      }
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // Now: once a connection has closed its socket no longer knows the peer.
    const client = clientOf(req);
    answer(req, res).catch((e: Error): Outcome => {
      if (!res.headersSent) return refuse(req, res, 500, `internal error: ${e.message}`);
      res.destroy();
      return { status: res.statusCode, bytes: 0, note: `internal error: ${e.message}` };
    }).then((out) => {
      const fields = [now().toISOString(), client, out.machine ?? '-', req.method ?? '-', logTarget(req.url ?? ''), String(out.status), String(out.bytes)];
      o.log(out.note === undefined ? fields.join(' ') : `${fields.join(' ')} ${JSON.stringify(out.note)}`);
    });
  };

  const server: NodeServer = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttp(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const ix = index.current(0);
  return {
    url: `${scheme}://${host}:${address.port}/`,
    port: address.port,
    cluster: ix.index.cluster,
    machines: ix.index.machines.length,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
