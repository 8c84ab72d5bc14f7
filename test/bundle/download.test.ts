import { lookup } from 'node:dns/promises';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/emit/bundle/build.js';
import { mirrorUrl } from '../../src/plan/artifacts.js';
import { ContentStore } from '../../src/oci/content-store.js';
import { DigestMismatchError } from '../../src/emit/bundle/digest.js';
import { downloadResumable, HttpStatusError } from '../../src/emit/bundle/download.js';
import { needTools, run } from '../helpers/tools.js';
import { bytesFor, makeFixture, sha256 } from './fixture.js';

const root = mkdtempSync(join(tmpdir(), 'kubeseed-dl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (name: string) => join(root, `${name}-${++n}`);

interface Served {
  body: Buffer;
  /** Honour Range with 206 (true) or always answer 200 with the whole body (false). */
  ranges: boolean;
  /** Requests (1-based) on which the server sends half the body and then drops the connection. */
  dropOn: number[];
}

interface Logged {
  path: string;
  range: string | undefined;
  status: number;
}

/** A loopback file server that can drop connections half-way and ignore Range. */
async function serve(files: Map<string, Served>, tls?: { key: string; cert: string }) {
  const log: Logged[] = [];
  const counts = new Map<string, number>();
  const handler: http.RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const f = files.get(path);
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    const range = req.headers.range;
    if (!f) {
      log.push({ path, range, status: 404 });
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (f.ranges && m) start = Number(m[1]);
    const status = f.ranges && m ? 206 : 200;
    log.push({ path, range, status });
    const part = f.body.subarray(start);
    res.writeHead(status, {
      'content-length': String(part.length),
      ...(status === 206 ? { 'content-range': `bytes ${start}-${f.body.length - 1}/${f.body.length}` } : {}),
    });
    if (f.dropOn.includes(count)) {
      // Drop a moment after the first half, as a real connection would: the client has read those
      // bytes by then (a close in the same instant lets Node's http client discard them unread).
      res.write(part.subarray(0, Math.floor(part.length / 2)), () => setTimeout(() => res.socket?.destroy(), 30));
      return;
    }
    res.end(part);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const fast = { retryDelayMs: 10, timeoutMs: 5000 };

describe('downloadResumable', () => {
  it('resumes with Range after the server drops the connection half-way', async () => {
    const body = bytesFor('resume', 300_000);
    const s = await serve(new Map([['/f', { body, ranges: true, dropOn: [1] }]]));
    try {
      const dest = join(dir('dl'), 'f.part');
      const r = await downloadResumable({ url: `${s.base}/f`, dest, expectedSha256: sha256(body), label: 'f', ...fast });
      expect(r).toEqual({ size: body.length, attempts: 2 });
      expect(s.log).toHaveLength(2);
      expect(s.log[0]).toEqual({ path: '/f', range: undefined, status: 200 });
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(s.log[1]?.range ?? '')?.[1]);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThan(body.length);
      expect(s.log[1]?.status).toBe(206);
      expect(sha256(readFileSync(dest))).toBe(sha256(body));
    } finally {
      await s.close();
    }
  });

  it('starts over when the server ignores Range', async () => {
    const body = bytesFor('norange', 200_000);
    const s = await serve(new Map([['/f', { body, ranges: false, dropOn: [1] }]]));
    try {
      const dest = join(dir('dl'), 'f.part');
      const r = await downloadResumable({ url: `${s.base}/f`, dest, expectedSha256: sha256(body), label: 'f', ...fast });
      expect(r.attempts).toBe(2);
      expect(s.log.map((l) => [l.range === undefined ? 'none' : 'range', l.status])).toEqual([
        ['none', 200],
        ['range', 200],
      ]);
      expect(sha256(readFileSync(dest))).toBe(sha256(body));
    } finally {
      await s.close();
    }
  });

  it('deletes a download whose digest is wrong and names file, expected and actual', async () => {
    const body = bytesFor('wrong', 1000);
    const s = await serve(new Map([['/f', { body, ranges: true, dropOn: [] }]]));
    try {
      const d = dir('dl');
      const dest = join(d, 'f.part');
      const expected = sha256(Buffer.from('something else'));
      const err = await downloadResumable({ url: `${s.base}/f`, dest, expectedSha256: expected, label: 'kubeadm', ...fast }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DigestMismatchError);
      expect((err as Error).message).toBe(`sha256 mismatch for kubeadm: expected ${expected}, got ${sha256(body)}`);
      expect(existsSync(dest)).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('does not retry a 404', async () => {
    const s = await serve(new Map());
    try {
      const err = await downloadResumable({ url: `${s.base}/nope`, dest: join(dir('dl'), 'x.part'), expectedSha256: '0'.repeat(64), label: 'x', ...fast }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HttpStatusError);
      expect((err as Error).message).toBe(`GET ${s.base}/nope: HTTP 404`);
      expect(s.log).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('does not retry a host name that does not resolve (.invalid never does, RFC 6761)', async (ctx) => {
    const answer = await lookup('kubeseed-test.invalid').catch((e: NodeJS.ErrnoException) => e.code);
    // A machine without any resolver answers EAI_AGAIN ("try again"), which is rightly retried.
    if (answer !== 'ENOTFOUND') ctx.skip(`the resolver answers ${String(answer)} for a .invalid name, not ENOTFOUND`);
    const started = Date.now();
    const err = await downloadResumable({
      url: 'http://kubeseed-test.invalid/x', dest: join(dir('dl'), 'x.part'), expectedSha256: '0'.repeat(64), label: 'x', maxAttempts: 5, retryDelayMs: 2000,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('download of x from http://kubeseed-test.invalid/x failed: getaddrinfo ENOTFOUND kubeseed-test.invalid');
    // Four retries would have paused 2 + 4 + 6 + 8 s.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('buildBundle from a mirror', () => {
  it('maps upstream URLs onto the mirror path', () => {
    expect(mirrorUrl('https://m.example.internal/k8s/', 'https://dl.k8s.io/release/v1.31.12/bin/linux/amd64/kubeadm')).toBe(
      'https://m.example.internal/k8s/release/v1.31.12/bin/linux/amd64/kubeadm',
    );
  });

  it('downloads into the cache (resuming a dropped transfer), then builds from the cache alone', async () => {
    const fx = makeFixture();
    const files = new Map<string, Served>();
    for (const a of fx.artifacts) {
      if (!a.url || !a.fileName) continue;
      files.set(`/mirror${new URL(a.url).pathname}`, { body: fx.content.get(a.fileName) as Buffer, ranges: true, dropOn: a.name === 'kubelet' ? [1] : [] });
    }
    const s = await serve(files);
    try {
      const cache = dir('cache');
      const events: string[] = [];
      const r = await buildBundle({
        skip: ['images'],
        artifacts: fx.artifacts,
        mirror: { url: `${s.base}/mirror` },
        cacheDir: cache,
        outDir: dir('out'),
        download: fast,
        onProgress: (e) => {
          if (e.type === 'resolve') events.push(`${e.artifact}:${e.from}`);
        },
      });
      expect(events).toEqual(['kubeadm', 'kubectl', 'kubelet', 'runc', 'cni-plugins', 'containerd', 'crictl'].map((a) => `${a}:mirror`));
      const kubelet = s.log.filter((l) => l.path.endsWith('/kubelet'));
      expect(kubelet.map((l) => l.status)).toEqual([200, 206]);
      expect(kubelet[1]?.range).toMatch(/^bytes=[1-9]\d*-$/);
      expect(r.files.map((f) => f.sha256).sort()).toEqual([...fx.content.values()].map(sha256).sort());
      expect(readdirSync(join(cache, 'sha256')).sort()).toEqual([...fx.content.values()].map(sha256).sort());
      expect(readdirSync(join(cache, 'partial'))).toEqual([]);

      const before = s.log.length;
      const again = await buildBundle({ skip: ['images'], artifacts: fx.artifacts, mirror: { url: `${s.base}/mirror` }, cacheDir: cache, outDir: dir('out'), download: fast });
      expect(s.log.length).toBe(before);
      expect(readFileSync(again.tarPath).equals(readFileSync(r.tarPath))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('keeps a bad download out of the cache and leaves no bundle', async () => {
    const fx = makeFixture();
    const files = new Map<string, Served>();
    for (const a of fx.artifacts) {
      if (!a.url || !a.fileName) continue;
      const good = fx.content.get(a.fileName) as Buffer;
      files.set(`/m${new URL(a.url).pathname}`, { body: a.name === 'runc' ? bytesFor('evil', good.length) : good, ranges: true, dropOn: [] });
    }
    const s = await serve(files);
    try {
      const cache = dir('cache');
      const out = dir('out');
      const runc = fx.artifacts.find((a) => a.name === 'runc');
      const url = `${s.base}/m${new URL(runc?.url ?? '').pathname}`;
      const good = fx.content.get('runc.amd64') as Buffer;
      await expect(buildBundle({ skip: ['images'], artifacts: fx.artifacts, mirror: { url: `${s.base}/m` }, cacheDir: cache, outDir: out, download: fast })).rejects.toThrow(
        `sha256 mismatch for runc.amd64 (${url}): expected ${sha256(good)}, got ${sha256(bytesFor('evil', good.length))}`,
      );
      expect(existsSync(new ContentStore(cache).path(`sha256:${sha256(good)}`))).toBe(false);
      expect(readdirSync(join(cache, 'partial'))).toEqual([]);
      expect(existsSync(out)).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('trusts a mirror certificate signed by the given CA file', async (ctx) => {
    needTools(ctx, 'openssl:openssl');
    const d = dir('pki');
    run('mkdir', ['-p', d]);
    const ossl = (args: string[]) => {
      const r = run('openssl', args, { cwd: d });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubeseed test CA']);
    ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ossl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf']);

    const body = bytesFor('tls', 50_000);
    const s = await serve(new Map([['/f', { body, ranges: true, dropOn: [] }]]), {
      key: readFileSync(join(d, 'srv.key'), 'utf8'),
      cert: readFileSync(join(d, 'srv.crt'), 'utf8'),
    });
    try {
      const ok = await downloadResumable({
        url: `${s.base}/f`,
        dest: join(dir('dl'), 'f.part'),
        expectedSha256: sha256(body),
        label: 'f',
        ca: readFileSync(join(d, 'ca.crt'), 'utf8'),
        ...fast,
      });
      expect(ok.size).toBe(body.length);
      // Without the CA the certificate is not trusted, on every attempt.
      await expect(
        downloadResumable({ url: `${s.base}/f`, dest: join(dir('dl'), 'g.part'), expectedSha256: sha256(body), label: 'f', ...fast, maxAttempts: 2 }),
      ).rejects.toThrow(`download of f from ${s.base}/f did not complete after 2 attempts: unable to verify the first certificate`);
      expect(s.log).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
