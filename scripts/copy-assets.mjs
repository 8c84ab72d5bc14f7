// tsc copies only .ts and imported .json; templates and other data files are copied here so that
// tsc's per-module dist/ resolves them at the same relative paths as src/ does under vitest.
// (The bundled CLI carries the templates precompiled: scripts/bundle-seams.mjs.)
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.(hbs|ya?ml)$/;
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (ASSET.test(name)) cpSync(p, join('dist', relative('src', p)));
  }
}
walk('src');
