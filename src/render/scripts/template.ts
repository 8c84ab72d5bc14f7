/**
 * Shell scripts are the one format built from text templates: real `.sh.hbs` files under
 * ./templates, compiled with `noEscape` (HTML escaping is wrong for shell) and `strict` (a
 * missing value is an error, not an empty string). Every value reaches the script through
 * `{{sh x}}`, which single-quotes it, or `{{shArray xs}}`, which makes a quoted bash array body;
 * a template with any other mustache is refused (template-check.ts).
 *
 * The build precompiles each template next to it (`<name>.sh.cjs`, scripts/copy-assets.mjs), so
 * the CLI loads only Handlebars' runtime and compiles nothing; run from the sources (the tests),
 * there are none and the templates are compiled here, with the same options.
 */
import type Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { templateProblems } from './template-check.js';

/** Set by scripts/bundle.mjs: bundled, this module's code sits in dist/cli/, not beside the templates. */
declare const KUBESEED_TEMPLATE_DIR: string | undefined;
const TEMPLATE_DIR = fileURLToPath(new URL(typeof KUBESEED_TEMPLATE_DIR === 'string' ? KUBESEED_TEMPLATE_DIR : './templates/', import.meta.url));
const require = createRequire(import.meta.url);
const PRECOMPILED = existsSync(`${TEMPLATE_DIR}firstboot.sh.cjs`);

/**
 * noEscape: HTML escaping is wrong for shell. strict: a missing value is an error.
 * knownHelpersOnly: an unknown helper is a compile error, and helper calls skip the lookup (a bare
 * {{name}} is not a helper call: template-check.ts refuses it).
 */
export function compileOptions(): CompileOptions {
  // A new object each time: Handlebars writes into the options it is given.
  return { noEscape: true, strict: true, knownHelpersOnly: true, knownHelpers: { sh: true, shArray: true } };
}

/** POSIX single-quoting: the only character needing care inside '...' is ' itself. */
export function shQuote(value: string | number | boolean): string {
  const s = String(value);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A value a helper may quote: a string, number or boolean; anything else is a renderer's bug. */
function quotable(value: unknown, helper: string): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new Error(`template: ${helper} helper got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
}

const hb = (require(PRECOMPILED ? 'handlebars/runtime' : 'handlebars') as typeof Handlebars).create();
hb.registerHelper('sh', (value: unknown) => shQuote(quotable(value, 'sh')));
hb.registerHelper('shArray', (values: unknown) => {
  if (!Array.isArray(values)) throw new Error(`template: shArray helper needs an array, got ${values === null ? 'null' : typeof values}`);
  return values.map((v) => shQuote(quotable(v, 'shArray'))).join(' ');
});

/** Compiles a template's source, refusing any mustache that is not a quoting helper call. */
function compileSource(name: string): Handlebars.TemplateDelegate {
  const file = `${TEMPLATE_DIR}${name}.sh.hbs`;
  const source = readFileSync(file, 'utf8');
  const problems = templateProblems(hb.parse(source));
  if (problems.length > 0) throw new Error(`template ${file}: ${problems.join('; ')}`);
  return hb.compile(source, compileOptions());
}

type TemplateSpecification = Parameters<typeof Handlebars.template>[0];
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>.sh.hbs` with the given data. */
export function renderScript(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    tpl = PRECOMPILED
      ? hb.template(require(`${TEMPLATE_DIR}${name}.sh.cjs`) as TemplateSpecification)
      : compileSource(name);
    cache.set(name, tpl);
  }
  return tpl(data);
}
