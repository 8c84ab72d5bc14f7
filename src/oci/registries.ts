/**
 * Which endpoints serve a registry host, with containerd's meaning of mirrors (docs/hosts.md):
 * the mirrors given for the host, in order, then the registry itself (`docker.io` is served at
 * registry-1.docker.io). A request goes to the next endpoint when one lacks the content (404),
 * answers 5xx, or cannot be reached; any other answer is final. Each endpoint gets the CA and
 * credentials given for its own host.
 */
import { authKeyHost, type Credentials } from './auth.js';
import { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';

export interface RegistryConfig {
  /** Registry host → mirror base URLs, tried in order before the registry. */
  readonly mirrors?: ReadonlyMap<string, readonly string[]>;
  /** Endpoint host[:port] → PEM CA to trust beside the system roots. */
  readonly cas?: ReadonlyMap<string, string>;
  /** Endpoint host[:port] → credentials (from a docker config.json). */
  readonly credentials?: ReadonlyMap<string, Credentials>;
  readonly timeoutMs?: number;
}

/** The URL the registry host itself is served at. */
export function registryUrl(host: string): string {
  return host === 'docker.io' ? 'https://registry-1.docker.io' : `https://${host}`;
}

export class Registries {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly config: RegistryConfig = {}) {}

  /** A client for one endpoint URL, made once. */
  client(url: string): RegistryClient {
    const key = url.replace(/\/+$/, '');
    let c = this.clients.get(key);
    if (!c) {
      const host = new URL(key).host;
      const ca = this.config.cas?.get(host);
      const credentials = this.config.credentials?.get(authKeyHost(host));
      c = new RegistryClient({
        url: key,
        ...(ca ? { ca } : {}),
        ...(credentials ? { credentials } : {}),
        ...(this.config.timeoutMs ? { timeoutMs: this.config.timeoutMs } : {}),
      });
      this.clients.set(key, c);
    }
    return c;
  }

  /** Mirrors of `host`, then `host` itself. */
  endpoints(host: string): RegistryClient[] {
    return [...(this.config.mirrors?.get(host) ?? []), registryUrl(host)].map((u) => this.client(u));
  }

  /**
   * Runs `fn` against each endpoint of `host` in turn until one answers. When all fail, the error
   * names the first endpoint and its cause, then what each later one said.
   */
  async first<T>(host: string, fn: (c: RegistryClient) => Promise<T>): Promise<T> {
    const eps = this.endpoints(host);
    const failed: RegistryError[] = [];
    for (const c of eps) {
      try {
        return await fn(c);
      } catch (e) {
        if (!(e instanceof RegistryError) || !e.tryNext) throw e;
        failed.push(e);
      }
    }
    const [first, ...then] = failed as [RegistryError, ...RegistryError[]];
    if (then.length === 0) throw first;
    // The first endpoint is the one the site chose (a mirror): its answer leads.
    throw new RegistryError(first.registry, [first.reason, ...then.map((e) => `then ${e.message}`)].join('; '), first.status, first.code);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}
