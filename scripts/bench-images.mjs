#!/usr/bin/env node
// Benchmark for kubeseed's registry client: pulls test images (busybox-static plus an
// incompressible filler layer, amd64 + arm64 indexes, built by test/oci/images.mjs) from Debian's
// docker-registry on 127.0.0.1 (TLS, htpasswd), and in the same run `skopeo copy`s the same
// images (the amd64 image of each index, as kubeseed takes it) to directories. Each contender
// starts from nothing (kubeseed: an empty content store; skopeo: empty directories). Prints wall
// times, throughput and the ratio (target: kubeseed at least as fast, ratio >= 1.0), and
// kubeseed's peak RSS. Also times kubeseed writing the bundle archives from the warm store.
//
//   npm run build && node scripts/bench-images.mjs [--images 3] [--filler-mib 64] [--runs 5] [--smoke]
// --smoke: one image of 1 MiB filler, one run (what the test suite runs to keep this script working).
//
// kubeseed runs in a child process so its peak RSS (getrusage maxrss) is its own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const say = (msg) => {
  if (process.stderr.isTTY) process.stderr.write(`${msg}\n`);
};

if (process.argv[2] === '--child') {
  // Child: kubeseed's pull (and, with --archives, the bundle archives), nothing else.
  const cfg = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const { ContentStore } = await import(join(dist, 'oci/content-store.js'));
  const { Registries } = await import(join(dist, 'oci/registries.js'));
  const { pullImage } = await import(join(dist, 'oci/pull.js'));
  const { parseReference } = await import(join(dist, 'oci/reference.js'));
  const { writeImageArchive } = await import(join(dist, 'emit/bundle/images.js'));
  const store = new ContentStore(cfg.store);
  const registries = new Registries({
    cas: new Map([[cfg.host, readFileSync(cfg.caFile, 'utf8')]]),
    credentials: new Map([[cfg.host, { username: cfg.user, password: cfg.password }]]),
  });
  const t0 = process.hrtime.bigint();
  // As the images gatherer does: three images at a time.
  const pulled = [];
  let next = 0;
  await Promise.all([0, 1, 2].map(async () => {
    while (next < cfg.refs.length) {
      const ref = cfg.refs[next++];
      pulled.push(await pullImage({ reference: parseReference(ref), architecture: 'amd64' }, registries, store));
    }
  }));
  const pullMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const t1 = process.hrtime.bigint();
  for (const [i, p] of pulled.entries()) await writeImageArchive(p, p.reference, store, join(cfg.archives, `${i}.tar`), new Date(0));
  const archiveMs = Number(process.hrtime.bigint() - t1) / 1e6;
  registries.close();
  const received = pulled.reduce((n, p) => n + p.received, 0);
  process.stdout.write(`${JSON.stringify({ pullMs, archiveMs, received, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const smoke = args.includes('--smoke');
const count = smoke ? 1 : opt('--images', 3);
const fillerMiB = smoke ? 1 : opt('--filler-mib', 64);
const runs = smoke ? 1 : opt('--runs', 5);

for (const tool of ['docker-registry', 'skopeo', 'htpasswd', 'openssl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.log(`images: skipped: ${tool} is not installed (apt-get install docker-registry skopeo apache2-utils openssl busybox-static)`);
    process.exit(0);
  }
}
const { buildTestImage, skopeoPush } = await import(join(repo, 'test/oci/images.mjs'));
const { makeTestCa, startRegistry } = await import(join(repo, 'test/oci/registry.mjs'));

const work = mkdtempSync(join(tmpdir(), 'kubeseed-bench-images-'));
const tls = makeTestCa(join(work, 'ca'));
const registry = await startRegistry({ dir: join(work, 'registry'), auth: 'htpasswd', tls });
const creds = `${registry.user}:${registry.password}`;
const refs = [];
let imageBytes = 0;
try {
  say(`bench-images: building and pushing ${count} images of ${fillerMiB} MiB filler each`);
  for (let i = 0; i < count; i++) {
    const img = buildTestImage({ dir: join(work, `img${i}`), name: `bench-${i}`, fillerMiB });
    await skopeoPush(img, `${registry.host}/bench/image${i}:1.0`, { certDir: tls.certDir, creds });
    refs.push(`${registry.host}/bench/image${i}:1.0`);
    imageBytes += img.layers.reduce((n, l) => n + l.size, 0);
    rmSync(img.dir, { recursive: true, force: true });
  }

  const ours = [];
  const theirs = [];
  const kubeseedRun = async (r) => {
    const cfg = join(work, 'child.json');
    const store = join(work, `store-${r}`);
    const archives = mkdtempSync(join(work, 'archives-'));
    writeFileSync(cfg, JSON.stringify({ refs, store, archives, host: registry.host, caFile: tls.caFile, user: registry.user, password: registry.password }));
    spawnSync('sync');
    const child = await new Promise((res, rej) => {
      const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d) => { out += d; });
      c.on('close', (code) => (code === 0 ? res(JSON.parse(out.trim().split('\n').at(-1))) : rej(new Error(`child exited ${code}`))));
    });
    ours.push(child);
    rmSync(store, { recursive: true, force: true });
    rmSync(archives, { recursive: true, force: true });
  };
  const skopeoRun = async (r) => {
    // skopeo copy of the same images (amd64) to directories.
    spawnSync('sync');
    const t0 = process.hrtime.bigint();
    await Promise.all([0, 1, 2].map(async (k) => {
      for (let i = k; i < refs.length; i += 3) {
        await new Promise((res, rej) => {
          const c = spawn('skopeo', ['copy', '--quiet', '--src-cert-dir', tls.certDir, '--src-creds', creds, '--override-arch', 'amd64',
            `docker://${refs[i]}`, `dir:${join(work, `skopeo-${r}-${i}`)}`], { stdio: ['ignore', 'ignore', 'inherit'] });
          c.on('close', (code) => (code === 0 ? res() : rej(new Error(`skopeo exited ${code}`))));
        });
      }
    }));
    theirs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    for (let i = 0; i < refs.length; i++) rmSync(join(work, `skopeo-${r}-${i}`), { recursive: true, force: true });
  };
  // One warm-up of each (the registry's files into the page cache), then alternate who goes first.
  await kubeseedRun(-1);
  await skopeoRun(-1);
  ours.length = 0;
  theirs.length = 0;
  for (let r = 0; r < runs; r++) {
    if (r % 2 === 0) {
      await kubeseedRun(r);
      await skopeoRun(r);
    } else {
      await skopeoRun(r);
      await kubeseedRun(r);
    }
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pull = median(ours.map((o) => o.pullMs));
  const archive = median(ours.map((o) => o.archiveMs));
  const sk = median(theirs);
  const mbps = (ms) => (imageBytes / 1e6 / (ms / 1000)).toFixed(1);
  const rss = Math.max(...ours.map((o) => o.maxRssKiB)) / 1024;
  console.log([
    `load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (${cpus().length} CPUs)`,
    `input: ${count} images (busybox-static + ${fillerMiB} MiB incompressible layer; amd64 of an amd64+arm64 index), ${(imageBytes / 1048576).toFixed(1)} MiB of layers, docker-registry on 127.0.0.1 over TLS with basic auth; median of ${runs} runs after one warm-up, alternating which goes first, 3 images at a time for both`,
    `kubeseed pull   : ${(pull / 1000).toFixed(2)} s  ${mbps(pull)} MB/s  (min ${(Math.min(...ours.map((o) => o.pullMs)) / 1000).toFixed(2)} s, max ${(Math.max(...ours.map((o) => o.pullMs)) / 1000).toFixed(2)} s)  peak RSS ${rss.toFixed(1)} MB`,
    `skopeo copy     : ${(sk / 1000).toFixed(2)} s  ${mbps(sk)} MB/s  (min ${(Math.min(...theirs) / 1000).toFixed(2)} s, max ${(Math.max(...theirs) / 1000).toFixed(2)} s)`,
    `ratio skopeo/kubeseed (higher is better for kubeseed): ${(sk / pull).toFixed(2)}  (target >= 1.0)`,
    `kubeseed archives from the warm store (OCI layout tars, hashed as written): ${(archive / 1000).toFixed(2)} s  ${mbps(archive)} MB/s`,
  ].join('\n'));
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
