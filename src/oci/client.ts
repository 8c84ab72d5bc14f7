/**
 * The OCI distribution API v2 (opencontainers/distribution-spec spec.md) against one endpoint: a
 * registry, or a mirror of one. Requests go to `<url>/v2/<repository>/...`, keeping a path the URL
 * has, as containerd's hosts.toml does for a mirror. Authentication follows the 401 challenge:
 * Basic with the endpoint's credentials, or a Bearer token from the challenge's realm (anonymous,
 * or with the credentials), cached per repository scope (distribution's docs/spec/auth/token.md).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { parseChallenges, type Challenge, type Credentials } from './auth.js';
import { RegistryError } from './errors.js';
import { makeAgent, readBody, send, type HttpRequest, type Transport } from './http.js';
import { MANIFEST_ACCEPT } from './media-types.js';

export interface EndpointOptions {
  /** `https://host[:port][/prefix]` (http:// only when asked for). */
  readonly url: string;
  /** PEM CA trusted for this endpoint, beside the system roots. */
  readonly ca?: string;
  readonly credentials?: Credentials;
  /** Idle time after which a request fails; default 30 s. */
  readonly timeoutMs?: number;
}

/** Manifests are small JSON documents; anything larger is refused rather than buffered. */
export const MAX_MANIFEST_BYTES = 4 << 20;

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
  /** Docker-Content-Digest, when the registry sent it. */
  readonly digestHeader: string | undefined;
}

export class RegistryClient {
  readonly name: string;
  private readonly base: URL;
  private readonly transport: Transport;
  private readonly authz = new Map<string, string>();
  private readonly tokenAgents = new Map<string, Transport>();

  constructor(private readonly o: EndpointOptions) {
    this.base = new URL(o.url.replace(/\/+$/, ''));
    this.name = this.base.href.replace(/\/+$/, '');
    this.transport = { name: this.name, agent: makeAgent(this.base, o.ca), timeoutMs: o.timeoutMs ?? 30_000 };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.transport.agent.destroy();
    for (const t of this.tokenAgents.values()) t.agent.destroy();
  }

  private url(repository: string, tail: string): URL {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const u = new URL(this.base.href);
    u.pathname = `${prefix}/v2/${repository}/${tail}`;
    return u;
  }

  /**
   * Sends a request for a repository, answering one 401 challenge. A request with a stream body
   * cannot be sent twice: callers authorize first (pushBlob's POST does).
   */
  private async request(repository: string, actions: string, r: HttpRequest): Promise<IncomingMessage> {
    const scope = `repository:${repository}:${actions}`;
    const withAuth = (a: string | undefined): HttpRequest => (a ? { ...r, headers: { ...r.headers, authorization: a } } : r);
    const res = await send(this.transport, withAuth(this.authz.get(scope)));
    if (res.statusCode !== 401 || (r.body !== undefined && !Buffer.isBuffer(r.body))) return res;
    res.resume();
    const a = await this.authorize(parseChallenges(String(res.headers['www-authenticate'] ?? '')), scope);
    this.authz.set(scope, a);
    const again = await send(this.transport, withAuth(a));
    if (again.statusCode === 401) {
      again.resume();
      throw new RegistryError(this.name, `HTTP 401: ${this.o.credentials ? `the credentials for ${this.base.host} were refused` : `authentication required; give credentials for ${this.base.host} with --registry-auth FILE`}`, 401);
    }
    return again;
  }

  private async authorize(challenges: Challenge[], scope: string): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const creds = this.o.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm) throw new RegistryError(this.name, 'HTTP 401 with a Bearer challenge that names no realm', 401);
      const u = new URL(realm);
      if (bearer.params.service) u.searchParams.set('service', bearer.params.service);
      u.searchParams.set('scope', scope);
      let t = this.tokenAgents.get(u.origin);
      if (!t) {
        t = { name: `token endpoint ${u.origin}${u.pathname}`, agent: makeAgent(u, this.o.ca), timeoutMs: this.transport.timeoutMs };
        this.tokenAgents.set(u.origin, t);
      }
      const res = await send(t, { method: 'GET', url: u, headers: basic ? { authorization: basic } : {} });
      const body = await readBody(t, res, 1 << 20);
      if (res.statusCode !== 200) {
        const who = creds ? `the credentials for ${this.base.host}` : 'anonymous access';
        throw new RegistryError(this.name, `HTTP ${res.statusCode} from ${t.name}: it refused ${who}`, res.statusCode === 403 ? 403 : 401);
      }
      let token: unknown;
      try {
        const doc = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
        token = doc.token ?? doc.access_token;
      } catch {
        token = undefined;
      }
      if (typeof token !== 'string' || token === '') throw new RegistryError(this.name, `${t.name} answered without a token`, 401);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!basic) throw new RegistryError(this.name, `HTTP 401: the registry wants a user and password; give them for ${this.base.host} with --registry-auth FILE`, 401);
      return basic;
    }
    throw new RegistryError(this.name, 'HTTP 401 without a Basic or Bearer challenge', 401);
  }

  /** Turns a non-success answer into a RegistryError carrying the OCI error code. */
  private async failure(res: IncomingMessage, what: string): Promise<never> {
    const status = res.statusCode ?? 0;
    let code: string | undefined;
    let detail = '';
    try {
      const body = await readBody(this.transport, res, 64 << 10);
      const e = (JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
      code = e?.code;
      detail = e ? `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}` : '';
    } catch {
      // A body that is not the spec's error JSON: the status says enough.
    }
    const words: Record<number, string> = { 401: 'unauthorized', 403: 'denied', 404: 'not found', 429: 'too many requests' };
    const reason = `${what}: HTTP ${status}${detail ? ` ${detail}` : words[status] ? ` ${words[status]}` : ''}`;
    throw new RegistryError(this.name, reason, status, code);
  }

  /** GET a manifest by tag or digest. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request(repository, 'pull', {
      method: 'GET',
      url: this.url(repository, `manifests/${reference}`),
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.statusCode !== 200) return this.failure(res, `manifest ${repository}:${reference}`);
    const bytes = await readBody(this.transport, res, MAX_MANIFEST_BYTES);
    const dh = res.headers['docker-content-digest'];
    return { bytes, contentType: res.headers['content-type'], digestHeader: typeof dh === 'string' ? dh : undefined };
  }

  /** GET a blob from `offset` on; the answer is 200 (whole) or 206 (from offset), body unread. */
  async getBlob(repository: string, digest: string, offset = 0): Promise<IncomingMessage> {
    const res = await this.request(repository, 'pull', {
      method: 'GET',
      url: this.url(repository, `blobs/${digest}`),
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    });
    if (res.statusCode === 200 || res.statusCode === 206) return res;
    return this.failure(res, `blob ${digest}`);
  }

  private async exists(repository: string, tail: string, actions: string, headers: Record<string, string> = {}): Promise<boolean> {
    const res = await this.request(repository, actions, { method: 'HEAD', url: this.url(repository, tail), headers });
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    return this.failure(res, `HEAD ${tail}`);
  }

  hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.exists(repository, `blobs/${digest}`, 'pull,push');
  }

  hasManifest(repository: string, digest: string): Promise<boolean> {
    return this.exists(repository, `manifests/${digest}`, 'pull,push', { accept: MANIFEST_ACCEPT });
  }

  /** Uploads a blob in one PUT (POST to open the upload session, then PUT with ?digest=). */
  async pushBlob(repository: string, digest: string, size: number, open: () => Readable): Promise<void> {
    const start = await this.request(repository, 'pull,push', {
      method: 'POST',
      url: this.url(repository, 'blobs/uploads/'),
      headers: { 'content-length': '0' },
    });
    if (start.statusCode !== 202 || !start.headers.location) return this.failure(start, `blob upload of ${digest}`);
    start.resume();
    const loc = new URL(start.headers.location, this.base);
    loc.searchParams.set('digest', digest);
    const res = await this.request(repository, 'pull,push', {
      method: 'PUT',
      url: loc,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: open(),
    });
    if (res.statusCode !== 201) return this.failure(res, `blob upload of ${digest}`);
    res.resume();
  }

  /** PUT a manifest under a tag or its digest. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
    const res = await this.request(repository, 'pull,push', {
      method: 'PUT',
      url: this.url(repository, `manifests/${reference}`),
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) return this.failure(res, `manifest ${repository}:${reference}`);
    res.resume();
  }
}
