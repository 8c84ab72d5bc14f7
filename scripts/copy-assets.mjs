// tsc copies only .ts and imported .json; templates and other data files are copied here so that
// dist/ resolves them at the same relative paths as src/ does under vitest.
// Each shell template is also precompiled beside its copy (<name>.sh.cjs), with the options
// template.ts compiles with, so the CLI needs only Handlebars' runtime; a template with a mustache
// other than a quoting helper call fails the build (template-check.ts).
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { compileOptions } from '../dist/render/scripts/template.js';
import { templateProblems } from '../dist/render/scripts/template-check.js';

const ASSET = /\.(hbs|ya?ml)$/;
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (ASSET.test(name)) {
      const to = join('dist', relative('src', p));
      cpSync(p, to);
      if (!name.endsWith('.sh.hbs')) continue;
      const source = readFileSync(p, 'utf8');
      const problems = templateProblems(Handlebars.parse(source));
      if (problems.length > 0) throw new Error(`${p}: ${problems.join('; ')}`);
      writeFileSync(to.replace(/\.hbs$/, '.cjs'), `module.exports = ${Handlebars.precompile(source, compileOptions())};\n`);
    }
  }
}
walk('src');
