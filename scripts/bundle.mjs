// Bundles the CLI: dist/cli/{bin,main,render-worker}.js become esbuild bundles (code shared
// between them and the lazily loaded commands goes into dist/cli/chunk-*.js). Node resolves,
// links and compiles each ES module on its own, and a command loads ~200 of them (zod alone is
// 95 files, 64 of them locales kubeseed never uses): one bundle starts ~0.1 s sooner. tsc's
// per-module output stays in dist/ beside it; copy-assets.mjs uses it, and it keeps
// the templates' relative location, which the bundle is told (KUBESEED_TEMPLATE_DIR).
// node-forge stays out: it is loaded only when a certificate is made.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

// Chunks of an earlier build (named by content hash) would otherwise pile up.
for (const name of readdirSync('dist/cli')) if (/-[A-Z0-9]{8}\.js$/.test(name)) rmSync(join('dist/cli', name));

await build({
  entryPoints: ['src/cli/bin.ts', 'src/cli/main.ts', 'src/cli/render-worker.ts'],
  outdir: 'dist/cli',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-forge'],
  // The bundled CommonJS packages (yaml, @iarna/toml) call require() for Node's own modules.
  banner: { js: "import { createRequire as kubeseedCreateRequire } from 'node:module'; const require = kubeseedCreateRequire(import.meta.url);" },
  define: { KUBESEED_TEMPLATE_DIR: JSON.stringify('../render/scripts/templates/') },
  logLevel: 'warning',
});
