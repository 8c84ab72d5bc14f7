// What a bundle of the CLI has that the sources do not (scripts/bundle.mjs for dist/cli,
// scripts/release.mjs for the single files). A few source modules are seams, replaced in a
// bundle by generated code with the same exports:
// - src/render/scripts/template-specs.ts: every shell template precompiled (with the options the
//   sources compile with) and Handlebars' runtime instead of its compiler, so no template file is
//   read at run time;
// - src/pki/forge.ts: node-forge through a require() that esbuild resolves, so it is inside the
//   bundle (and still evaluated only when the first certificate is made);
// - src/cli/render-worker-script.ts (single files only): the render worker's own bundle as text.
// And KUBESEED_COMMIT, the commit the build came from, for `kubeseed --version`.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { compileOptions } from '../dist/render/scripts/template-specs.js';
import { templateProblems } from '../dist/render/scripts/template-check.js';

const ROOT = resolve(import.meta.dirname, '..');
const TEMPLATES = join(ROOT, 'src/render/scripts/templates');

/**
 * `git rev-parse HEAD` of this checkout, `<commit>-dirty` when it has uncommitted or untracked
 * changes (the build may then hold code no commit has), `unknown` when it is not a git checkout
 * of its own (an unpacked source tarball, even one inside another repository).
 */
export function buildCommit() {
  const git = (...args) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' });
  const top = git('rev-parse', '--show-toplevel');
  if (top.error || top.status !== 0 || resolve(top.stdout.trim()) !== ROOT) return 'unknown';
  const head = git('rev-parse', '--verify', 'HEAD').stdout.trim();
  if (!/^[0-9a-f]{40}$/.test(head)) return 'unknown';
  return git('status', '--porcelain').stdout.trim() === '' ? head : `${head}-dirty`;
}

function templateSpecs() {
  const names = readdirSync(TEMPLATES).filter((n) => n.endsWith('.sh.hbs')).sort();
  const specs = names.map((n) => {
    const source = readFileSync(join(TEMPLATES, n), 'utf8');
    // A template with a mustache other than a quoting helper call fails the build (template-check.ts).
    const problems = templateProblems(Handlebars.parse(source));
    if (problems.length > 0) throw new Error(`${join(TEMPLATES, n)}: ${problems.join('; ')}`);
    return `  ${JSON.stringify(n.slice(0, -'.sh.hbs'.length))}: ${Handlebars.precompile(source, compileOptions())},`;
  });
  return `import Handlebars from 'handlebars/runtime';
export const handlebars = Handlebars;
const SPECS = {
${specs.join('\n')}
};
export function loadTemplate(hb, name) {
  if (!Object.hasOwn(SPECS, name)) throw new Error(\`template: no template \${name}\`);
  return hb.template(SPECS[name]);
}
`;
}

/**
 * The esbuild plugin that swaps the seams. `worker`: undefined leaves the worker seam as it is
 * (dist/cli runs render-worker.js beside it), null makes it say there is no worker (inside the
 * worker's own bundle), a string is the worker's code to run with eval.
 */
export function seams({ worker } = {}) {
  const generated = new Map([
    [join(ROOT, 'src/render/scripts/template-specs.ts'), templateSpecs()],
    [join(ROOT, 'src/pki/forge.ts'), "export function loadForge() { return require('node-forge'); }\n"],
  ]);
  if (worker !== undefined) {
    generated.set(join(ROOT, 'src/cli/render-worker-script.ts'), worker === null
      ? 'export function renderWorkerScript() { return undefined; }\n'
      : `export function renderWorkerScript() { return { script: ${JSON.stringify(worker)}, eval: true }; }\n`);
  }
  return {
    name: 'kubeseed-seams',
    setup(build) {
      build.onLoad({ filter: /\/src\/(render\/scripts\/template-specs|pki\/forge|cli\/render-worker-script)\.ts$/ }, ({ path }) => {
        const contents = generated.get(path);
        return contents === undefined ? undefined : { contents, loader: 'js', resolveDir: dirname(path) };
      });
    },
  };
}
