/**
 * kubeseed serve against real compiled trees, on 127.0.0.1 with a port the OS picks: the right
 * files per MAC and per UUID, fetched by cloud-init's own NoCloud code and checked by
 * ignition-validate; traversal refused; ranges over a multi-GiB sparse asset; one-shot secrets.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { OneShotLedger } from '../../src/serve/one-shot.js';
import { needTools, run } from '../helpers/tools.js';
import { compiled, get, hashed, NODES, profileText, raw } from './fixture.js';

const servers: RunningServer[] = [];
afterAll(async () => { await Promise.all(servers.map((s) => s.close())); });

async function serve(tree: string, extra: { assets?: string; ledger?: OneShotLedger; url?: string } = {}): Promise<{ server: RunningServer; log: string[] }> {
  const log: string[] = [];
  const server = await startServer({ tree: realpathSync(tree), host: '127.0.0.1', port: 0, log: (l) => log.push(l), ...extra });
  servers.push(server);
  return { server, log };
}

/** The interpreter cloud-init itself runs under (its script's #! line), which can import cloudinit. */
function cloudInitPython(): string {
  const where = run('sh', ['-c', 'command -v cloud-init']).stdout.trim();
  return readFileSync(where, 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').split(' ')[0]!;
}

/** The kernel command line a served script hands over, ${base} expanded as iPXE does. */
function commandLine(script: string): string {
  const base = /^set base (\S+)$/m.exec(script)?.[1];
  const kernel = /^kernel (\S+) (.*)$/m.exec(script);
  expect(base).toBeDefined();
  expect(kernel).not.toBeNull();
  return kernel![2]!.replaceAll('${base}', base!);
}

describe('a cloud-init tree (Debian 12)', () => {
  let tree: string;
  let port: number;
  let log: string[];
  beforeAll(async () => {
    ({ tree } = await compiled(profileText('nb', '{ family: debian, version: "12" }'), 'nb'));
    const s = await serve(tree);
    port = s.server.port;
    log = s.log;
  });

  it('answers each machine its own iPXE script by MAC, by UUID, and in any MAC spelling', async () => {
    for (const n of NODES) {
      const byMac = await get(port, `/ipxe?mac=${n.mac}&uuid=`);
      expect(byMac.status).toBe(200);
      const file = readFileSync(join(tree, 'netboot', 'mac', `${n.mac.replaceAll(':', '-')}.ipxe`), 'utf8');
      expect(byMac.body.toString()).toBe(file.replace('#!ipxe\n', `#!ipxe\nset base http://127.0.0.1:${port}/\n`));
      expect(commandLine(byMac.body.toString())).toContain(`s=http://127.0.0.1:${port}/nodes/${n.name}/;i=kubeseed-nb-${n.name}`);
      expect((await get(port, `/ipxe?mac=${n.mac.toUpperCase().replaceAll(':', '-')}`)).body).toEqual(byMac.body);
      if (n.uuid) expect((await get(port, `/ipxe?uuid=${n.uuid.toUpperCase()}`)).body).toEqual(byMac.body);
    }
    await expect.poll(() => log.find((l) => l.includes(`/ipxe?mac=${NODES[0]!.mac}&uuid=`))).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z 127\\.0\\.0\\.1 cp1 GET /ipxe\\?mac=${NODES[0]!.mac}&uuid= 200 \\d+$`));
  });

  it('answers /boot.ipxe with a chain to /ipxe that iPXE fills in, relative to where it came from', async () => {
    const r = await get(port, '/boot.ipxe');
    // ${netX/mac:hexhyp}: Debian's iPXE (2019) takes a ":" in a relative URI for the end of a scheme.
    expect([r.status, r.body.toString()]).toEqual([200, '#!ipxe\n# kubeseed serve: cluster nb\nchain ipxe?mac=${netX/mac:hexhyp}&uuid=${uuid}\n']);
  });

  it('refuses a machine it does not know (404), contradicting identities (404) and malformed ones (400)', async () => {
    const cases: [string, number, string][] = [
      ['/ipxe?mac=52:54:00:99:99:99', 404, 'cluster nb has no machine with mac 52:54:00:99:99:99'],
      ['/ipxe?uuid=4c4c4544-0000-0000-0000-000000000000', 404, 'cluster nb has no machine with uuid 4c4c4544-0000-0000-0000-000000000000'],
      [`/ipxe?mac=${NODES[0]!.mac}&uuid=${NODES[1]!.uuid}`, 404, `mac ${NODES[0]!.mac} is node cp1 but uuid ${NODES[1]!.uuid} is node w1`],
      ['/ipxe?mac=52:54:00:zz:00:11', 400, 'mac "52:54:00:zz:00:11" is not a MAC like 52:54:00:00:10:11'],
      ['/ipxe?uuid=nope', 400, 'uuid "nope" is not a UUID'],
      ['/ipxe?mac=&uuid=', 400, 'neither mac nor uuid given'],
    ];
    for (const [path, status, why] of cases) {
      const r = await get(port, path);
      expect([path, r.status, r.body.toString()]).toEqual([path, status, `kubeseed serve: ${why}\n`]);
    }
    // A UUID the profile records differently is noted, not refused: the MAC decides.
    const r = await get(port, `/ipxe?mac=${NODES[0]!.mac}&uuid=4c4c4544-0000-0000-0000-0000000000ff`);
    expect(r.status).toBe(200);
    await expect.poll(() => log.at(-1)).toMatch(/ cp1 GET \S+ 200 \d+ "uuid 4c4c4544-0000-0000-0000-0000000000ff is not the profile's 4c4c4544-0050-3110-8011-000000000011"$/);
  });

  it('cloud-init takes the served command line and fetches each node\'s NoCloud seed from the server itself', async (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    for (const n of NODES) {
      const cmdline = commandLine((await get(port, `/ipxe?mac=${n.mac}`)).body.toString());
      // cloud-init's own parsers (DataSourceNoCloud, net.cmdline) and its NoCloud-net fetch (util.read_seeded).
      const py = [
        'import hashlib, json, sys',
        'from cloudinit import util',
        'from cloudinit.sources.DataSourceNoCloud import load_cmdline_data',
        'from cloudinit.net.cmdline import read_kernel_cmdline_config',
        'fill = {}',
        'found = load_cmdline_data(fill, sys.argv[1])',
        'md, ud, vd = util.read_seeded(fill["seedfrom"], timeout=5, retries=0)',
        'print(json.dumps({"found": found, "fill": fill, "network": read_kernel_cmdline_config(sys.argv[1]), "md": md,',
        '  "ud": hashlib.sha256(ud).hexdigest(), "vd": vd.decode()}))',
      ].join('\n');
      // Asynchronously: the server answers from this process's event loop.
      const r = await promisify(execFile)(cloudInitPython(), ['-c', py, cmdline]);
      const got = JSON.parse(r.stdout);
      const dir = join(tree, 'nodes', n.name);
      expect(got).toEqual({
        found: true,
        // nocloud-net: cloud-init 22.4 (Debian 12) fetches an http seed only in the network stage.
        fill: { seedfrom: `http://127.0.0.1:${port}/nodes/${n.name}/`, 'instance-id': `kubeseed-nb-${n.name}`, dsmode: 'net' },
        network: parseYaml(readFileSync(join(dir, 'network-config'), 'utf8')),
        md: parseYaml(readFileSync(join(dir, 'meta-data'), 'utf8')),
        ud: createHash('sha256').update(readFileSync(join(dir, 'user-data'))).digest('hex'),
        vd: '',
      });
    }
  });

  it('serves a node exactly the files machines.json lists for it, byte for byte, and nothing else of the tree', async () => {
    for (const n of NODES) {
      for (const f of ['user-data', 'meta-data', 'network-config', 'vendor-data']) {
        const r = await get(port, `/nodes/${n.name}/${f}`);
        expect([f, r.status]).toEqual([f, 200]);
        expect(r.body.equals(readFileSync(join(tree, 'nodes', n.name, f)))).toBe(true);
        expect(r.headers['cache-control']).toBe('no-store');
      }
    }
    const refused: [string, number][] = [
      ['/nodes/cp1/ignition.json', 404], ['/nodes/cp1/admin.conf', 404], ['/nodes/cp9/user-data', 404], ['/admin.conf', 404],
      ['/manifest.json', 404], ['/netboot/machines.json', 404], ['/netboot/dnsmasq.conf', 404], ['/nodes/cp1', 404], ['/', 404],
    ];
    for (const [path, status] of refused) expect([path, (await get(port, path)).status]).toEqual([path, status]);
    expect((await get(port, '/nodes/cp1/user-data', {}, 'POST')).status).toBe(405);
  });
});

describe('an Ignition tree (Flatcar)', () => {
  it('hands Flatcar its ignition.json URL on the command line and serves a config ignition-validate accepts', async (ctx) => {
    const { tree } = await compiled(profileText('fc', '{ family: flatcar }'), 'fc');
    const { server } = await serve(tree, { url: 'http://10.9.8.7:8080/' });
    const script = (await get(server.port, `/ipxe?mac=${NODES[1]!.mac}`)).body.toString();
    expect(commandLine(script).split(' ')).toEqual([
      'initrd=flatcar_production_pxe_image.cpio.gz', 'console=ttyS0', 'flatcar.first_boot=1', 'ignition.config.url=http://10.9.8.7:8080/nodes/w1/ignition.json',
    ]);
    const ign = await get(server.port, '/nodes/w1/ignition.json');
    expect(ign.status).toBe(200);
    expect(ign.headers['content-type']).toBe('application/json');
    expect(ign.body.equals(readFileSync(join(tree, 'nodes', 'w1', 'ignition.json')))).toBe(true);
    expect((await get(server.port, '/nodes/w1/user-data')).status).toBe(404);
    needTools(ctx, 'ignition-validate:ignition');
    const file = join(mkdtempSync(join(tmpdir(), 'kubeseed-ign-')), 'w1.ign');
    writeFileSync(file, ign.body);
    const v = run('ignition-validate', [file]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
  });
});

describe('bad request targets never reach a file outside the served directories', () => {
  let port: number;
  let token: string;
  let log: string[];
  beforeAll(async () => {
    const { out, tree } = await compiled(profileText('tr', '{ family: debian, version: "12" }'), 'tr');
    token = randomBytes(16).toString('hex');
    const outside = join(out, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), token);
    const assets = join(out, 'assets');
    mkdirSync(join(assets, 'sub'), { recursive: true });
    writeFileSync(join(assets, 'vmlinuz'), 'kernel');
    writeFileSync(join(assets, '.hidden'), token);
    writeFileSync(join(assets, 'sub', 'initrd.img'), 'initrd');
    symlinkSync(join(outside, 'secret.txt'), join(assets, 'escape'));
    symlinkSync(outside, join(assets, 'escape-dir'));
    symlinkSync('../outside/secret.txt', join(assets, 'relative-escape'));
    symlinkSync('sub/initrd.img', join(assets, 'initrd.img'));
    symlinkSync(join(outside, 'secret.txt'), join(tree, 'nodes', 'cp1', 'vendor-data-link'));
    const s = await serve(tree, { assets });
    port = s.server.port;
    log = s.log;
  });

  it.each([
    ['GET /assets/../outside/secret.txt HTTP/1.1', 400],
    ['GET /assets/%2e%2e/outside/secret.txt HTTP/1.1', 400],
    ['GET /assets/%2E%2E/%2E%2E/etc/passwd HTTP/1.1', 400],
    ['GET /assets/..%2f..%2foutside%2fsecret.txt HTTP/1.1', 400],
    ['GET /assets/%2foutside%2fsecret.txt HTTP/1.1', 400],
    ['GET /assets/sub%2finitrd.img HTTP/1.1', 400],
    ['GET /assets/..%5coutside HTTP/1.1', 400],
    ['GET /assets/a\\..\\b HTTP/1.1', 400],
    ['GET /assets/%00 HTTP/1.1', 400],
    ['GET /assets/%c0%ae%c0%ae/etc/passwd HTTP/1.1', 400],
    ['GET //etc/passwd HTTP/1.1', 400],
    ['GET /assets//etc/passwd HTTP/1.1', 400],
    ['GET /assets/./vmlinuz HTTP/1.1', 400],
    ['GET http://127.0.0.1/etc/passwd HTTP/1.1', 400],
    ['GET /etc/passwd HTTP/1.1', 404],
    ['GET /nodes/cp1/..%2f..%2fadmin.conf HTTP/1.1', 400],
    ['GET /nodes/%2e%2e/admin.conf HTTP/1.1', 400],
    ['GET /nodes/cp1/vendor-data-link HTTP/1.1', 404],
    ['GET /netboot/..%2fadmin.conf HTTP/1.1', 400],
    ['GET /assets/escape HTTP/1.1', 404],
    ['GET /assets/escape-dir/secret.txt HTTP/1.1', 404],
    ['GET /assets/relative-escape HTTP/1.1', 404],
    ['GET /assets/.hidden HTTP/1.1', 404],
    ['GET /assets/sub HTTP/1.1', 404],
    ['GET /assets/sub/ HTTP/1.1', 400],
    ['GET /assets/nope HTTP/1.1', 404],
  ])('%s → %i', async (line, status) => {
    const r = await raw(port, line);
    expect(r.status).toBe(status);
    expect(r.text).not.toContain(token);
    expect(r.text).not.toContain('root:x:0:0');
  });

  it('serves what lies inside, through links that stay inside', async () => {
    expect((await raw(port, 'GET /assets/vmlinuz HTTP/1.1')).text.endsWith('\r\n\r\nkernel')).toBe(true);
    expect((await raw(port, 'GET /assets/initrd.img HTTP/1.1')).text.endsWith('\r\n\r\ninitrd')).toBe(true);
    expect((await raw(port, 'GET /assets/sub/initrd.img HTTP/1.1')).status).toBe(200);
  });

  it('logs why, and tells the client no more than "not found"', async () => {
    const r = await get(port, '/assets/escape');
    expect(r.body.toString()).toBe('kubeseed serve: not found\n');
    await expect.poll(() => log.at(-1)).toMatch(/ - GET \/assets\/escape 404 \d+ "a link out of the served directory \(to .*secret\.txt\)"$/);
  });
});

describe('boot assets: HTTP ranges over a 5 GiB sparse file', () => {
  const GiB = 1024 ** 3;
  const size = 5 * GiB + 123;
  const marks: [number, Buffer][] = [[0, Buffer.from('START')], [4 * GiB + 7, Buffer.from('PAST-4-GIB')], [size - 3, Buffer.from('END')]];
  let port: number;
  let file: string;
  beforeAll(async () => {
    const { out, tree } = await compiled(profileText('rg', '{ family: debian, version: "12" }'), 'rg');
    const assets = join(out, 'assets');
    mkdirSync(assets);
    file = join(assets, 'big.img');
    const fd = openSync(file, 'w');
    for (const [at, b] of marks) writeSync(fd, b, 0, b.length, at);
    closeSync(fd);
    spawnSync('truncate', ['-s', String(size), file]);
    port = (await serve(tree, { assets })).server.port;
  });

  /** The bytes of the file between start and end (inclusive), from the marks: the rest is zeros. */
  const expected = (start: number, end: number): Buffer => {
    const b = Buffer.alloc(end - start + 1);
    for (const [at, m] of marks) for (let i = 0; i < m.length; i++) if (at + i >= start && at + i <= end) b[at + i - start] = m[i]!;
    return b;
  };

  it('answers a range past 4 GiB, a suffix and an open end with 206 and the exact bytes', async () => {
    for (const [range, start, end] of [
      [`bytes=${4 * GiB}-${4 * GiB + 31}`, 4 * GiB, 4 * GiB + 31],
      ['bytes=-10', size - 10, size - 1],
      [`bytes=${size - 5}-`, size - 5, size - 1],
      [`bytes=${size - 2}-${size + 1000}`, size - 2, size - 1],
      ['bytes=0-4', 0, 4],
    ] as [string, number, number][]) {
      const r = await get(port, '/assets/big.img', { Range: range });
      expect([range, r.status, r.headers['content-range'], r.headers['content-length']]).toEqual([range, 206, `bytes ${start}-${end}/${size}`, String(end - start + 1)]);
      expect(r.body.equals(expected(start, end))).toBe(true);
    }
  });

  it('says 416 with the size for a range past the end, and HEAD gives the size without a body', async () => {
    const r = await get(port, '/assets/big.img', { Range: `bytes=${size}-` });
    expect([r.status, r.headers['content-range'], r.body.length]).toEqual([416, `bytes */${size}`, 0]);
    const h = await get(port, '/assets/big.img', {}, 'HEAD');
    expect([h.status, h.headers['content-length'], h.headers['accept-ranges'], h.body.length]).toEqual([200, String(size), 'bytes', 0]);
  });

  it('resumes a download where it broke off, while If-Range still names this file', async () => {
    const first = await get(port, '/assets/big.img', { Range: `bytes=${4 * GiB}-${4 * GiB + 9}` });
    const etag = first.headers.etag!;
    const rest = await get(port, '/assets/big.img', { Range: `bytes=${4 * GiB + 10}-${4 * GiB + 20}`, 'If-Range': etag });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([first.body, rest.body]).equals(expected(4 * GiB, 4 * GiB + 20))).toBe(true);
  });

  /** Status and headers only: the body (5 GiB) is not read. */
  const head = (headers: Record<string, string>): Promise<{ status: number; range?: string }> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/assets/big.img', headers, agent: false }, (res) => {
      resolve({ status: res.statusCode ?? 0, ...(res.headers['content-range'] ? { range: res.headers['content-range'] } : {}) });
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });

  it('sends the whole file when If-Range names another version, for several ranges, and for a malformed Range', async () => {
    expect(await head({ Range: 'bytes=0-9', 'If-Range': '"some-other-version"' })).toEqual({ status: 200 });
    expect(await head({ Range: 'bytes=0-9,20-29' })).toEqual({ status: 200 });
    expect(await head({ Range: 'bytes=9-0' })).toEqual({ status: 200 });
    expect(await head({ Range: 'lines=1-2' })).toEqual({ status: 200 });
    expect(await head({ Range: 'bytes=0-9' })).toEqual({ status: 206, range: `bytes 0-9/${size}` });
  });

  it('streams a whole GiB past the 4 GiB mark intact', async () => {
    const r = await hashed(port, '/assets/big.img', { Range: `bytes=${4 * GiB}-${5 * GiB - 1}` });
    expect([r.status, r.bytes]).toEqual([206, GiB]);
    const h = createHash('sha256');
    const zeros = Buffer.alloc(1 << 20);
    const want = expected(4 * GiB, 4 * GiB + (1 << 20) - 1);
    h.update(want);
    for (let i = 1; i < 1024; i++) h.update(zeros);
    expect(r.sha256).toBe(h.digest('hex'));
  });
});

describe('--one-shot-secrets', () => {
  it('serves a node\'s user-data once, then 410 Gone with the log saying to whom; meta-data stays', async () => {
    const { out, tree } = await compiled(profileText('os', '{ family: debian, version: "12" }'), 'os');
    const { ledger } = OneShotLedger.open(join(out, 'os.one-shot.json'), 'os', []);
    const { server, log } = await serve(tree, { ledger });
    const first = await get(server.port, '/nodes/w1/user-data');
    expect(first.status).toBe(200);
    expect(first.body.equals(readFileSync(join(tree, 'nodes', 'w1', 'user-data')))).toBe(true);
    // The server logs once its side of the transfer is over, which may be after the client's.
    await expect.poll(() => log).toContainEqual(expect.stringMatching(new RegExp(`Z one-shot: nodes/w1/user-data served to 127\\.0\\.0\\.1 \\(${first.body.length} bytes\\); later requests get 410 Gone$`)));
    const again = await get(server.port, '/nodes/w1/user-data');
    expect([again.status, again.body.toString()]).toEqual([410, 'kubeseed serve: nodes/w1/user-data was served once already (--one-shot-secrets)\n']);
    await expect.poll(() => log.at(-1)).toMatch(/ 127\.0\.0\.1 w1 GET \/nodes\/w1\/user-data 410 \d+ "nodes\/w1\/user-data was served to 127\.0\.0\.1 at \S+Z \(--one-shot-secrets; --re-arm w1 serves it again\)"$/);
    expect((await get(server.port, '/nodes/w1/user-data', {}, 'HEAD')).status).toBe(410);
    for (let i = 0; i < 2; i++) expect((await get(server.port, '/nodes/w1/meta-data')).status).toBe(200);
    // Other nodes are untouched; HEAD claims nothing.
    expect((await get(server.port, '/nodes/cp1/user-data', {}, 'HEAD')).status).toBe(200);
    expect((await get(server.port, '/nodes/cp1/user-data')).status).toBe(200);
    await expect.poll(() => ledger.all().map((e) => `${e.node}/${e.file} ${e.state}`).sort()).toEqual(['cp1/user-data served', 'w1/user-data served']);
  });

  it('hands a file to exactly one of two requests that arrive together', async () => {
    const { out, tree } = await compiled(profileText('oc', '{ family: debian, version: "12" }'), 'oc');
    const { ledger } = OneShotLedger.open(join(out, 'oc.one-shot.json'), 'oc', []);
    const { server } = await serve(tree, { ledger });
    const answers = await Promise.all(Array.from({ length: 8 }, () => get(server.port, '/nodes/cp1/user-data')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410, 410, 410, 410, 410, 410, 410]);
  });

  it('lets a machine fetch again when the transfer broke off before the end', async () => {
    const { out, tree } = await compiled(profileText('ob', '{ family: debian, version: "12" }'), 'ob');
    // A user-data far larger than the socket buffers, so the client can stop in the middle.
    writeFileSync(join(tree, 'nodes', 'cp1', 'user-data'), Buffer.alloc(64 << 20, 0x61), { mode: 0o600 });
    const { ledger } = OneShotLedger.open(join(out, 'ob.one-shot.json'), 'ob', []);
    const { server, log } = await serve(tree, { ledger });
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/nodes/cp1/user-data', agent: false }, (res) => {
        res.once('data', () => { res.destroy(); resolve(); });
      });
      req.on('error', reject);
      req.end();
    });
    await expect.poll(() => log.some((l) => / one-shot: nodes\/cp1\/user-data to 127\.0\.0\.1 broke off after \d+ bytes; it may be fetched again$/.test(l))).toBe(true);
    expect(ledger.all()).toEqual([]);
    const whole = await hashed(server.port, '/nodes/cp1/user-data');
    expect([whole.status, whole.bytes]).toEqual([200, 64 << 20]);
    expect((await get(server.port, '/nodes/cp1/user-data')).status).toBe(410);
  });
});

describe('a tree compiled again while it is served', () => {
  it('is read again: a machine added to the profile is known a second later', async () => {
    const { out, tree } = await compiled(profileText('re', '{ family: debian, version: "12" }'), 're');
    const { server } = await serve(tree);
    const added = '52:54:00:50:00:31';
    expect((await get(server.port, `/ipxe?mac=${added}`)).status).toBe(404);
    const text = `${profileText('re', '{ family: debian, version: "12" }')}    - { name: w3, role: worker, ip: 192.168.50.31/24, mac: "${added}" }\n`;
    writeFileSync(join(out, 'profile.yaml'), text);
    const { cli } = await import('../helpers/cli.js');
    expect((await cli('compile', join(out, 'profile.yaml'), '--out', out)).code).toBe(0);
    await expect.poll(async () => (await get(server.port, `/ipxe?mac=${added}`)).status, { timeout: 5000, interval: 300 }).toBe(200);
    expect((await get(server.port, '/nodes/w3/meta-data')).body.toString()).toBe('instance-id: kubeseed-re-w3\nlocal-hostname: w3\n');
  });
});

describe('HTTPS', () => {
  it('serves over TLS with the given certificate, and writes https URLs into the scripts', async (ctx) => {
    needTools(ctx, 'openssl:openssl');
    const { out, tree } = await compiled(profileText('tl', '{ family: debian, version: "12" }'), 'tl');
    const cert = join(out, 'cert.pem');
    const key = join(out, 'key.pem');
    const g = run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    expect(g.status, g.stderr).toBe(0);
    const log: string[] = [];
    const server = await startServer({ tree: realpathSync(tree), host: '127.0.0.1', port: 0, log: (l) => log.push(l), tls: { cert: readFileSync(cert), key: readFileSync(key) } });
    servers.push(server);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}/`);
    const { request: httpsRequest } = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: `/ipxe?mac=${NODES[0]!.mac}`, ca: readFileSync(cert), agent: false }, (res) => {
        let s = '';
        res.on('data', (c) => { s += c; });
        res.on('end', () => resolve(s));
      });
      req.on('error', reject);
      req.end();
    });
    expect(commandLine(body)).toContain(`ds=nocloud-net;s=https://127.0.0.1:${server.port}/nodes/cp1/;`);
  });
});
