/**
 * Registry authentication inputs: a docker-style config.json (`auths`: host → `auth`, the base64
 * of `user:password`, or `username` and `password`), and the `WWW-Authenticate` challenges a
 * registry answers 401 with (RFC 7235 syntax; distribution's docs/spec/auth/token.md for Bearer).
 * Credential helpers (`credsStore`, `credHelpers`) are not run: kubeseed runs no other programs.
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

/**
 * The host a config.json key names: `https://index.docker.io/v1/` → `docker.io`,
 * `https://registry.example:5000/` → `registry.example:5000`, `registry.example` as is.
 */
export function authKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** Credentials by host from a docker config.json's text; `file` names it in errors. */
export function parseDockerConfig(text: string, file: string): Map<string, Credentials> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AuthConfigError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (auths === undefined) return new Map();
  if (!auths || typeof auths !== 'object') throw new AuthConfigError(`${file}: auths is not an object`);
  const out = new Map<string, Credentials>();
  for (const [key, v] of Object.entries(auths as Record<string, unknown>)) {
    const e = (v ?? {}) as Record<string, unknown>;
    let username: unknown = e.username;
    let password: unknown = e.password;
    if (typeof e.auth === 'string' && e.auth !== '') {
      const plain = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon < 0) throw new AuthConfigError(`${file}: auths.${key}.auth is not base64 of user:password`);
      username = plain.slice(0, colon);
      password = plain.slice(colon + 1);
    }
    if (typeof username !== 'string' || typeof password !== 'string' || username === '') {
      if (typeof e.identitytoken === 'string') throw new AuthConfigError(`${file}: auths.${key}: identitytoken is not supported; give username and password`);
      throw new AuthConfigError(`${file}: auths.${key} has neither auth nor username and password`);
    }
    out.set(authKeyHost(key), { username, password });
  }
  return out;
}

export interface Challenge {
  /** Lowercase: `bearer`, `basic`. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate value: one or more `Scheme k=v, k="quoted, value"` challenges.
 * Parameter names are lowercased; quoted values keep their text with `\` escapes undone.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && /[\s,]/.test(header[i]!)) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(header.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  while (i < n) {
    skipWs();
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && header[j] === ' ') j++;
    if (header[j] === '=' && out.length > 0) {
      // A parameter of the current challenge.
      i = j + 1;
      while (i < n && header[i] === ' ') i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(start, i).trim();
      }
      out[out.length - 1]!.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}
