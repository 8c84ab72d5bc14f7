/**
 * `kubeseed serve` as the built CLI (dist/) in its own process: the access log on stdout, one-shot
 * secrets that survive a restart until re-armed, a multi-GiB asset streamed with flat memory, and
 * bad input refused with exit code 2 before anything listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { compiled, get, hashed, profileText } from './fixture.js';

const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

interface Running {
  readonly child: ChildProcess;
  readonly port: number;
  readonly out: string[];
  readonly err: string[];
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts the built CLI's serve on a port the OS picks; resolves once it says where it listens. */
function start(...args: string[]): Promise<Running> {
  expect(existsSync(BIN), 'dist/ is built (npm run build)').toBe(true);
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => {
    let rest = '';
    return (c: Buffer) => {
      const parts = (rest + c.toString()).split('\n');
      rest = parts.pop()!;
      into.push(...parts);
    };
  };
  child.stdout!.on('data', lines(out));
  return new Promise((resolve, reject) => {
    const onErr = lines(err);
    child.stderr!.on('data', (c: Buffer) => {
      onErr(c);
      const port = err.map((l) => /^kubeseed serve: cluster \S+, \d+ machines, at http:\/\/127\.0\.0\.1:(\d+)\//.exec(l)?.[1]).find(Boolean);
      if (port) resolve({ child, port: Number(port), out, err });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.join('\n')}`)));
  });
}

function stop(r: Running): Promise<number | null> {
  return new Promise((resolve) => {
    r.child.on('exit', (code) => resolve(code));
    r.child.kill('SIGTERM');
  });
}

describe('kubeseed serve (built CLI)', () => {
  it('--one-shot-secrets: served once, still gone after a restart, served again after --re-arm', async () => {
    const { out, tree } = await compiled(profileText('rs', '{ family: debian, version: "12" }'), 'rs');
    const ledger = join(out, 'rs.one-shot.json');
    const one = await start(tree, '--one-shot-secrets');
    expect(one.err).toContain(`one-shot: ledger ${ledger}: 0 secret files already handed out`);
    const first = await get(one.port, '/nodes/cp1/user-data');
    expect(first.status).toBe(200);
    expect((await get(one.port, '/nodes/cp1/user-data')).status).toBe(410);
    expect(await stop(one)).toBe(0);
    expect(one.out).toEqual([
      expect.stringMatching(new RegExp(`^\\S+Z one-shot: nodes/cp1/user-data served to 127\\.0\\.0\\.1 \\(${first.body.length} bytes\\); later requests get 410 Gone$`)),
      expect.stringMatching(new RegExp(`^\\S+Z 127\\.0\\.0\\.1 cp1 GET /nodes/cp1/user-data 200 ${first.body.length}$`)),
      expect.stringMatching(/^\S+Z 127\.0\.0\.1 cp1 GET \/nodes\/cp1\/user-data 410 \d+ "nodes\/cp1\/user-data was served to 127\.0\.0\.1 at \S+Z \(--one-shot-secrets; --re-arm cp1 serves it again\)"$/),
    ]);
    // The ledger is on disk, 0600, and names the file, the client and the time.
    expect(statSync(ledger).mode & 0o777).toBe(0o600);
    const entries = JSON.parse(readFileSync(ledger, 'utf8')).entries;
    expect(entries).toEqual([{ node: 'cp1', file: 'user-data', state: 'served', client: '127.0.0.1', at: expect.stringMatching(/Z$/) }]);

    const two = await start(tree, '--one-shot-secrets');
    expect(two.err).toContain(`one-shot:   cp1/user-data served to 127.0.0.1 at ${entries[0].at}`);
    expect((await get(two.port, '/nodes/cp1/user-data')).status).toBe(410);
    expect((await get(two.port, '/nodes/w1/user-data')).status).toBe(200);
    await stop(two);

    const three = await start(tree, '--one-shot-secrets', '--re-arm', 'cp1');
    expect(three.err).toContain(`one-shot: re-armed cp1/user-data (was served to 127.0.0.1 at ${entries[0].at})`);
    expect((await get(three.port, '/nodes/cp1/user-data')).status).toBe(200);
    expect((await get(three.port, '/nodes/w1/user-data')).status).toBe(410);
    await stop(three);

    // Without --one-shot-secrets the ledger is neither read nor written.
    const four = await start(tree);
    for (let i = 0; i < 2; i++) expect((await get(four.port, '/nodes/cp1/user-data')).status).toBe(200);
    await stop(four);
    expect(JSON.parse(readFileSync(ledger, 'utf8')).entries.map((e: { node: string }) => e.node)).toEqual(['cp1', 'w1']);
  });

  it('streams a GiB from past the 4 GiB mark of a 5 GiB sparse asset without holding it: the server\'s peak RSS stays small', { timeout: 400_000 }, async () => {
    const { out, tree } = await compiled(profileText('mm', '{ family: debian, version: "12" }'), 'mm');
    const assets = join(out, 'assets');
    mkdirSync(assets);
    const GiB = 1024 ** 3;
    const fd = openSync(join(assets, 'bundle.tar'), 'w');
    writeSync(fd, Buffer.from('last'), 0, 4, 5 * GiB - 4);
    closeSync(fd);
    const s = await start(tree, '--boot-assets', assets);
    const r = await hashed(s.port, '/assets/bundle.tar', { Range: `bytes=${4 * GiB}-` });
    expect([r.status, r.bytes, r.headers['content-range']]).toEqual([206, GiB, `bytes ${4 * GiB}-${5 * GiB - 1}/${5 * GiB}`]);
    const hwm = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1]);
    await stop(s);
    // Node itself takes ~50 MB; a server that held what it sent would be past 1 GB.
    expect(hwm).toBeLessThan(200 * 1024);
    expect(s.out.at(-1)).toMatch(new RegExp(`^\\S+Z 127\\.0\\.0\\.1 - GET /assets/bundle\\.tar 206 ${GiB}$`));
  });

  describe('bad input', () => {
    let trees: { out: string; tree: string; plain: string };
    beforeAll(async () => {
      const { out, tree } = await compiled(profileText('bi', '{ family: debian, version: "12" }'), 'bi');
      const plain = await compiled(profileText('bj', '{ family: debian, version: "12" }', ''), 'bj');
      trees = { out, tree, plain: plain.tree };
    });

    it.each([
      [['TREE-WITHOUT-NETBOOT'], /^kubeseed serve: \S+\/netboot\/machines\.json: no such file: the tree was compiled without a network boot entry \(add spec\.netboot to the profile, or compile with --netboot URL\)$/],
      [['TREE', '--listen', 'nowhere'], /^kubeseed serve: --listen must be ADDR:PORT, \[IPv6\]:PORT or :PORT, got "nowhere"$/],
      [['TREE', '--url', 'http://x/$(reboot)'], /^kubeseed serve: --url must be an http\(s\) URL without query, credentials or spaces/],
      [['TREE', '--tls-cert', '/etc/hostname'], /^kubeseed serve: --tls-cert and --tls-key go together$/],
      [['TREE', '--re-arm', 'cp1'], /^kubeseed serve: --re-arm goes with --one-shot-secrets$/],
      [['TREE', '--one-shot-secrets', '--re-arm', 'cp9'], /^kubeseed serve: --re-arm: cluster bi has no node cp9$/],
      [['TREE', '--boot-assets', '/nonexistent'], /^kubeseed serve: --boot-assets \/nonexistent: not a directory$/],
    ])('exit 2 with one line for %j', async (args, message) => {
      const { out, tree, plain } = trees;
      // A profile without spec.netboot compiles to a tree without netboot/.
      expect(existsSync(join(plain, 'netboot'))).toBe(false);
      const argv = args.map((a) => (a === 'TREE' ? tree : a === 'TREE-WITHOUT-NETBOOT' ? plain : a));
      const r = await cli('serve', ...argv);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(message);
      expect(existsSync(join(out, 'bi.one-shot.json'))).toBe(false);
    });
  });
});
