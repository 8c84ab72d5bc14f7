// Bundles the CLI: dist/cli/{bin,main,render-worker}.js become esbuild bundles (code shared
// between them and the lazily loaded commands goes into dist/cli/chunk-*.js). Node resolves,
// links and compiles each ES module on its own, and a command loads ~200 of them (zod alone is
// 95 files, 64 of them locales kubeseed never uses): one bundle starts ~0.1 s sooner. Every
// dependency is inside (scripts/bundle-seams.mjs), so dist/cli runs without node_modules (the
// npm package has no dependencies to install). tsc's per-module output stays in the rest of
// dist/ for the build and bench scripts. The single files: scripts/release.mjs.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { buildCommit, seams } from './bundle-seams.mjs';

// dist/cli holds the bundle alone (tsc's modules of src/cli and an earlier build's chunks, named
// by content hash, would otherwise pile up there): it is what the npm package ships.
rmSync('dist/cli', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/bin.ts', 'src/cli/main.ts', 'src/cli/render-worker.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The bundled CommonJS packages (yaml, @iarna/toml, node-forge) call require() for Node's own modules.
  banner: { js: "import { createRequire as kubeseedCreateRequire } from 'node:module'; const require = kubeseedCreateRequire(import.meta.url);" },
  define: { KUBESEED_COMMIT: JSON.stringify(buildCommit()) },
  plugins: [seams()],
  logLevel: 'warning',
});
