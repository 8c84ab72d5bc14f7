// npm run release: kubeseed as one file, for workstations with no registry (README "Single-file
// kubeseed"). Writes into dist/release/ (or --out DIR), after `npm run build`:
// - kubeseed.mjs: one self-contained ES module for any host with Node 20+ (any architecture);
// - kubeseed-linux-<arch>: a Node single executable application made from the node running this
//   script (Node 20's --experimental-sea-config, the blob injected with postject), so <arch> is
//   this machine's; it needs glibc, nothing else;
// - THIRD-PARTY-NOTICES.txt: the licenses of what is bundled in them;
// - SHA256SUMS over all three (`sha256sum -c SHA256SUMS`).
// Every dependency is bundled, the shell templates precompiled (scripts/bundle-seams.mjs), and the
// render worker's own bundle is carried as text and started with eval: a single executable
// cannot load a module from a file, and a single file has no file beside it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildCommit, seams } from './bundle-seams.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist/release') } } });
const out = resolve(values.out);
const ARCH = { x64: 'amd64', arm64: 'arm64' }[process.arch];
if (!ARCH || process.platform !== 'linux') throw new Error(`release: a single executable is made for linux amd64 or arm64, not ${process.platform} ${process.arch}`);
const EXE = `kubeseed-linux-${ARCH}`;
// Node's own: the marker postject finds in the node binary and flips once the blob is in.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const commit = buildCommit();
const common = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  define: { KUBESEED_COMMIT: JSON.stringify(commit) },
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  // Every import.meta left in would be empty in the CommonJS builds: fail rather than ship that.
  logOverride: { 'empty-import-meta': 'error' },
};
const text = (r) => r.outputFiles[0].text;

// The worker is a CommonJS script: a worker started with eval runs its code as one.
const worker = await build({ ...common, entryPoints: ['src/cli/render-worker.ts'], format: 'cjs', plugins: [seams({ worker: null })] });
const cli = (format) => build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  format,
  // The bundled CommonJS packages call require() for Node's own modules; an ES module has none.
  ...(format === 'esm' ? { banner: { js: "import { createRequire as kubeseedCreateRequire } from 'node:module'; const require = kubeseedCreateRequire(import.meta.url);" } } : {}),
  // A bundled ES module package (openpgp) asks import.meta.url for createRequire(): in the
  // CommonJS build it is the file's own URL, as it would be in the ES module build.
  ...(format === 'cjs' ? {
    define: { ...common.define, 'import.meta.url': 'kubeseedImportMetaUrl' },
    banner: { js: "var kubeseedImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  } : {}),
  plugins: [seams({ worker: text(worker) })],
});
const [esm, cjs] = await Promise.all([cli('esm'), cli('cjs')]);

mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'kubeseed-release-'));
try {
  // Everything is made under its final name + .tmp and renamed at the end: no half-written artifact.
  const made = [];
  const put = (name, content, mode) => {
    writeFileSync(join(out, `${name}.tmp`), content, { mode });
    chmodSync(join(out, `${name}.tmp`), mode);
    made.push(name);
  };
  put('kubeseed.mjs', text(esm), 0o755);

  // The single executable: node's blob of the CommonJS bundle, injected into a copy of node.
  writeFileSync(join(work, 'kubeseed.cjs'), text(cjs));
  // Paths relative to `work`: the blob keeps the main script's path as given (stack traces show
  // it), and a temporary directory's name would make every build differ.
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify({
    main: 'kubeseed.cjs',
    output: 'sea.blob',
    disableExperimentalSEAWarning: true,
    // No V8 code cache: it would save ~70 ms of start-up CPU (236 -> 161 ms for --version, as
    // much as node dist/cli/bin.js), but its bytes differ on every build (V8 seeds its string
    // hashes at random; made with a fixed --hash-seed it is the same each time, and the
    // executable then rejects it and starts as slowly as without). Without it the same commit
    // and the same node make the same executable, byte for byte.
    useCodeCache: false,
  }));
  const sea = spawnSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, encoding: 'utf8' });
  if (sea.status !== 0) throw new Error(`release: node --experimental-sea-config failed: ${sea.stderr.trim()}`);
  const exe = join(out, `${EXE}.tmp`);
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // The node binary's symbols and debug sections are of no use to kubeseed's users (-13 MB here).
  const strip = spawnSync('strip', ['--strip-all', exe], { encoding: 'utf8' });
  if (strip.error) console.warn('release: no strip (apt-get install binutils): the executable keeps node\'s symbols');
  else if (strip.status !== 0) throw new Error(`release: strip failed: ${strip.stderr.trim()}`);
  // postject's ELF reader (LIEF) warns about node's many .note sections on stderr, from its
  // WebAssembly: run in a child, and only those lines are dropped.
  const postject = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', join(work, 'sea.blob'), '--sentinel-fuse', SEA_FUSE], { encoding: 'utf8' });
  const said = postject.stderr.split('\n').filter((l) => l !== '' && !/^warning: Can't find string offset for section name '\.note/.test(l));
  if (postject.status !== 0 || said.length > 0) throw new Error(`release: postject failed (${postject.status}): ${said.join('\n')}`);
  made.push(EXE);

  put('THIRD-PARTY-NOTICES.txt', notices([esm, worker]), 0o644);

  for (const name of made) renameSync(join(out, `${name}.tmp`), join(out, name));
  const sums = made.sort().map((name) => `${createHash('sha256').update(readFileSync(join(out, name))).digest('hex')}  ${name}\n`).join('');
  writeFileSync(join(out, 'SHA256SUMS.tmp'), sums);
  renameSync(join(out, 'SHA256SUMS.tmp'), join(out, 'SHA256SUMS'));
  for (const name of made) console.log(`${relative(process.cwd(), join(out, name))}: ${(statSync(join(out, name)).size / 1048576).toFixed(1)} MiB`);
  console.log(`commit ${commit}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  for (const name of readdirSync(out)) if (name.endsWith('.tmp')) rmSync(join(out, name), { force: true });
}

/** Every npm package esbuild put into the bundles, with its license text; and Node's, for the executable. */
function notices(results) {
  const packages = new Map();
  for (const r of results) {
    for (const input of Object.keys(r.metafile.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) packages.set(m[1], JSON.parse(readFileSync(join(ROOT, m[1], 'package.json'), 'utf8')));
    }
  }
  const parts = ['kubeseed bundles the following packages (kubeseed.mjs and the executable).\n'];
  for (const [dir, pkg] of [...packages].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = readdirSync(join(ROOT, dir)).find((n) => /^(licen[cs]e|copying)/i.test(n));
    parts.push(`\n=== ${pkg.name} ${pkg.version} (${pkg.license}) ===\n\n${file ? readFileSync(join(ROOT, dir, file), 'utf8').trim() : `(no license file; package.json says ${pkg.license})`}\n`);
  }
  const nodeLicense = [join(dirname(process.execPath), '../share/doc/nodejs/LICENSE'), join(dirname(process.execPath), '../share/doc/node/LICENSE')].find(existsSync);
  parts.push(`\n=== Node.js ${process.version} (the runtime inside ${EXE}) ===\n\n${nodeLicense ? readFileSync(nodeLicense, 'utf8').trim() : 'MIT; see https://github.com/nodejs/node/blob/main/LICENSE'}\n`);
  return parts.join('');
}
