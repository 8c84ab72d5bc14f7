// A TLS proxy in front of a test registry that can misbehave on purpose: flip one byte of a
// blob or manifest it relays (a tampered registry), or cut a blob's transfer after N bytes (a
// broken connection). It logs every request (method, path, Range header). Listens on 127.0.0.1:0.
import { request } from 'node:https';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';

/**
 * startProxy({ upstream: 'https://127.0.0.1:PORT', tls }) → { host, url, log, rules, stop() }
 * rules.flip: Set of digests whose bodies get one byte flipped (the byte at offset 100, or the
 *             last one for shorter bodies).
 * rules.cut:  Map digest → { at: bytes, times: n }: the next n answers for that digest stop after
 *             `at` bytes of body and the connection is dropped.
 */
export async function startProxy({ upstream, tls }) {
  const up = new URL(upstream);
  const ca = readFileSync(tls.caFile);
  const log = [];
  const rules = { flip: new Set(), cut: new Map() };
  const server = createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) => {
    log.push({ method: req.method, path: req.url, range: req.headers.range ?? null });
    const digest = /\/(?:blobs|manifests)\/(sha256:[0-9a-f]{64})$/.exec(req.url.split('?')[0])?.[1];
    const headers = { ...req.headers, host: up.host };
    const out = request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers, ca }, (ures) => {
      const flip = digest && rules.flip.has(digest) && req.method === 'GET' && ures.statusCode < 300;
      const cut = digest && req.method === 'GET' && ures.statusCode < 300 ? rules.cut.get(digest) : undefined;
      res.writeHead(ures.statusCode, ures.headers);
      if (!flip && !(cut && cut.times > 0)) {
        ures.pipe(res);
        return;
      }
      if (cut && cut.times > 0) cut.times--;
      let sent = 0;
      let flipped = false;
      const len = Number(ures.headers['content-length'] ?? 0);
      const flipAt = len > 100 ? 100 : Math.max(0, len - 1);
      ures.on('data', (chunk) => {
        let c = Buffer.from(chunk);
        if (flip && !flipped && sent + c.length > flipAt) {
          c[flipAt - sent] ^= 0xff;
          flipped = true;
        }
        if (cut && sent + c.length >= cut.at) {
          res.write(c.subarray(0, cut.at - sent));
          sent = cut.at;
          ures.destroy();
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        sent += c.length;
        res.write(c);
      });
      ures.on('end', () => {
        if (!cut || sent < cut.at) res.end();
      });
    });
    out.on('error', () => res.socket?.destroy());
    req.pipe(out);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${server.address().port}`;
  return {
    host,
    url: `https://${host}`,
    log,
    rules,
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
