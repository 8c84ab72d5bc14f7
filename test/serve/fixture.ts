/** Compiled trees to serve, and HTTP clients that send exactly the bytes a test means. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli } from '../helpers/cli.js';

export interface FixtureNode {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  readonly ip: string;
  readonly mac: string;
  readonly uuid?: string;
}

export const NODES: readonly FixtureNode[] = [
  { name: 'cp1', role: 'control-plane', ip: '192.168.50.11', mac: '52:54:00:50:00:11', uuid: '4c4c4544-0050-3110-8011-000000000011' },
  { name: 'w1', role: 'worker', ip: '192.168.50.21', mac: '52:54:00:50:00:21', uuid: '4c4c4544-0050-3110-8021-000000000021' },
  { name: 'w2', role: 'worker', ip: '192.168.50.22', mac: '52:54:00:50:00:22' },
];

export function profileText(cluster: string, os: string, netboot = '  netboot:\n    args: [console=ttyS0]\n'): string {
  return [
    'apiVersion: kubeseed.io/v1alpha1',
    'kind: ClusterProfile',
    `metadata: { name: ${cluster} }`,
    'spec:',
    '  kubernetes: { version: v1.31.12 }',
    `  os: ${os}`,
    netboot.trimEnd(),
    '  nodes:',
    ...NODES.map((n) => `    - { name: ${n.name}, role: ${n.role}, ip: ${n.ip}/24, gateway: 192.168.50.1, mac: "${n.mac}"${n.uuid ? `, productUuid: ${n.uuid}` : ''} }`),
    '',
  ].join('\n');
}

/** Compiles `text` into a new directory; returns OUT and the tree OUT/<cluster>. */
export async function compiled(text: string, cluster: string, ...flags: string[]): Promise<{ out: string; tree: string }> {
  const out = mkdtempSync(join(tmpdir(), 'kubeseed-serve-'));
  const file = join(out, 'profile.yaml');
  writeFileSync(file, text);
  const r = await cli('compile', file, '--out', out, ...flags);
  expect(r.code, r.err).toBe(0);
  return { out, tree: join(out, cluster) };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** GET (or `method`) with node:http, which sends the path as given. */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends `requestLine` as it is over a plain socket (no client normalises it) and returns the
 * status and the whole answer.
 */
export function raw(port: number, requestLine: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed connection may be closed by the server before it answers.
    const s = connect(port, '127.0.0.1', () => s.write(`${requestLine}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

/** Streams a GET's body into a sha256 without keeping it; the status, headers and byte count. */
export function hashed(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const h = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.byteLength; h.update(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: h.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
