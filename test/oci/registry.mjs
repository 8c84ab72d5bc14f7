// A real registry for tests: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1, with
// TLS from a test CA made here with openssl, and one of three auth modes:
//   'none'      anonymous pull and push
//   'htpasswd'  basic auth (bcrypt entries from Debian's `htpasswd -B`)
//   'token'     distribution's token auth: the registry answers 401 with a Bearer challenge naming
//               a token endpoint served here (node:https), which signs RS256 JWTs with node:crypto;
//               anonymous clients get pull, clients with the htpasswd user's basic credentials get
//               pull and push. The registry trusts the signing certificate (rootcertbundle).
// Plain JavaScript, so the end-to-end scripts can use it with node alone (serve-images.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

function must(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A test CA and a server certificate for 127.0.0.1 and localhost, made with openssl under `dir`.
 * Returns { caFile, certFile, keyFile, certDir } (certDir holds ca.crt, the layout skopeo's
 * --cert-dir and containerd's certs.d read).
 */
export function makeTestCa(dir) {
  mkdirSync(dir, { recursive: true });
  const f = (n) => join(dir, n);
  must('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=kubeseed test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  must('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  must('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('server.ext'), '-out', f('server.crt')]);
  const certDir = f('certs.d');
  mkdirSync(certDir, { recursive: true });
  writeFileSync(join(certDir, 'ca.crt'), readFileSync(f('ca.crt')));
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key'), certDir };
}

/** A free TCP port on 127.0.0.1, asked of the OS. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const b64url = (b) => Buffer.from(b).toString('base64url');

/** The token endpoint: GET ?service=&scope=repository:NAME:ACTIONS (repeatable), optional basic auth. */
function startTokenServer({ tls, user, password, service, issuer, signingKey, signingCertDer }) {
  const requests = [];
  const server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) => {
    const u = new URL(req.url, 'https://127.0.0.1');
    const authz = req.headers.authorization ?? '';
    let who = '';
    if (authz.startsWith('Basic ')) {
      const [u0, ...p] = Buffer.from(authz.slice(6), 'base64').toString().split(':');
      if (u0 !== user || p.join(':') !== password) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        requests.push({ scope: u.searchParams.getAll('scope'), who: 'refused' });
        return;
      }
      who = user;
    }
    const access = u.searchParams.getAll('scope').flatMap((scope) => {
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      if (!m) return [];
      const wanted = m[2].split(',');
      return [{ type: 'repository', name: m[1], actions: wanted.filter((a) => a === 'pull' || (a === 'push' && who)) }];
    });
    requests.push({ scope: u.searchParams.getAll('scope'), who: who || 'anonymous' });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [signingCertDer.toString('base64')] };
    const claims = { iss: issuer, sub: who, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(signingKey);
    const token = `${input}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, requests })));
}

/**
 * Starts docker-registry under `dir` (storage, config, logs). Options:
 *   auth      'none' | 'htpasswd' | 'token'
 *   tls       from makeTestCa (one CA can serve several registries)
 *   user, password   the htpasswd account (htpasswd and token modes)
 * Returns { host: '127.0.0.1:PORT', url, tls, tokenRequests, stop() }.
 */
export async function startRegistry({ dir, auth = 'none', tls, user = 'kubeseed', password = 'test-secret' }) {
  mkdirSync(dir, { recursive: true });
  const f = (n) => join(dir, n);
  const http = { secret: randomBytes(16).toString('hex'), tls: { certificate: tls.certFile, key: tls.keyFile } };
  let authConfig = {};
  let token = null;
  if (auth === 'htpasswd' || auth === 'token') {
    writeFileSync(f('htpasswd'), must('htpasswd', ['-Bbn', user, password]));
  }
  if (auth === 'htpasswd') authConfig = { htpasswd: { realm: 'kubeseed-test', path: f('htpasswd') } };
  if (auth === 'token') {
    must('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kubeseed test token signer',
      '-keyout', f('token.key'), '-out', f('token.crt')]);
    const service = 'kubeseed-test-registry';
    const issuer = 'kubeseed-test-token-issuer';
    token = await startTokenServer({
      tls, user, password, service, issuer,
      signingKey: createPrivateKey(readFileSync(f('token.key'))),
      signingCertDer: new X509Certificate(readFileSync(f('token.crt'))).raw,
    });
    authConfig = { token: { realm: `https://127.0.0.1:${token.port}/token`, service, issuer, rootcertbundle: f('token.crt') } };
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // JSON is YAML: the registry reads this config as is.
    writeFileSync(f('config.yml'), JSON.stringify({
      version: 0.1,
      log: { level: 'warn', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: f('data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, ...http },
      ...(auth === 'none' ? {} : { auth: authConfig }),
    }));
    const log = [];
    const child = spawn('docker-registry', ['serve', f('config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => log.push(String(d)));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const host = `127.0.0.1:${port}`;
    const up = await Promise.race([waitUp(host, tls.caFile), exited.then(() => false)]);
    if (up) {
      const stop = async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await new Promise((r) => (token ? token.server.close(r) : r()));
      };
      return { host, url: `https://${host}`, tls, user, password, tokenRequests: token?.requests ?? [], pid: child.pid, stop };
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`docker-registry did not start: ${log.join('')}`);
  }
}

/** Polls GET /v2/ until the registry answers (any status), for up to 10 s. */
async function waitUp(host, caFile) {
  const ca = readFileSync(caFile);
  const { request } = await import('node:https');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: Number(host.split(':')[1]), path: '/v2/', ca, timeout: 500 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
