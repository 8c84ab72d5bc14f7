/**
 * One HTTP(S) exchange with a registry, streamed: the caller reads (or discards) the body.
 * Redirects are followed for GET and HEAD (registries send blobs to storage hosts), and the
 * Authorization header is never sent to another origin. A CA given for a registry is trusted in
 * addition to the system's, so a redirect to a public storage host still verifies.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { networkCause, RegistryError } from './errors.js';

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** A buffer, or a stream sent with the content-length header the caller sets. */
  readonly body?: Buffer | Readable;
}

export interface Transport {
  /** How errors name the endpoint. */
  readonly name: string;
  readonly agent: http.Agent;
  readonly timeoutMs: number;
}

const MAX_REDIRECTS = 5;

/** A keep-alive agent for one endpoint; `ca` (PEM) is trusted beside the system roots. */
export function makeAgent(url: URL, ca?: string): http.Agent {
  if (url.protocol === 'http:') return new http.Agent({ keepAlive: true, maxSockets: 8 });
  return new https.Agent({ keepAlive: true, maxSockets: 8, ...(ca ? { ca: [...rootCertificates, ca] } : {}) });
}

function once(t: Transport, r: HttpRequest, agent: http.Agent): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = r.url.protocol === 'https:' ? https : r.url.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new RegistryError(t.name, `unsupported URL scheme in ${r.url.href}`));
      return;
    }
    const req = mod.request(r.url, { method: r.method, headers: { 'user-agent': 'kubeseed', ...r.headers }, agent }, resolve);
    req.setTimeout(t.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer for ${t.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(new RegistryError(t.name, networkCause(e))));
    if (r.body === undefined) req.end();
    else if (Buffer.isBuffer(r.body)) req.end(r.body);
    else {
      r.body.on('error', (e) => req.destroy(e));
      r.body.pipe(req);
    }
  });
}

/** Sends the request, following redirects for GET and HEAD. */
export async function send(t: Transport, r: HttpRequest): Promise<IncomingMessage> {
  let req = r;
  let agent = t.agent;
  for (let hop = 0; ; hop++) {
    const res = await once(t, req, agent);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!(status >= 300 && status < 400 && location && (req.method === 'GET' || req.method === 'HEAD'))) return res;
    res.resume();
    if (hop >= MAX_REDIRECTS) throw new RegistryError(t.name, `more than ${MAX_REDIRECTS} redirects from ${r.url.href}`);
    const next = new URL(location, req.url);
    const headers = { ...req.headers };
    if (next.origin !== r.url.origin) {
      delete headers.authorization;
      // Another host: its own connection pool, trusting what the endpoint's agent trusts.
      agent = next.protocol === 'https:' ? new https.Agent({ ...(t.agent as https.Agent).options, keepAlive: false }) : new http.Agent();
    }
    req = { ...req, url: next, headers };
  }
}

/** Reads a whole (small) body, refusing more than `limit` bytes. */
export async function readBody(t: Transport, res: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res) {
      n += (c as Buffer).length;
      if (n > limit) {
        res.destroy();
        throw new RegistryError(t.name, `answer larger than ${limit} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    throw new RegistryError(t.name, networkCause(e));
  }
  return Buffer.concat(chunks);
}
