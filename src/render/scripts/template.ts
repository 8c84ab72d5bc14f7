/**
 * Shell scripts are the one format built from text templates: real `.sh.hbs` files under
 * ./templates, compiled with `noEscape` (HTML escaping is wrong for shell) and `strict` (a
 * missing value is an error, not an empty string). Every value reaches the script through
 * `{{sh x}}`, which single-quotes it, or `{{shArray xs}}`, which makes a quoted bash array body.
 *
 * The build precompiles each template next to it (`<name>.sh.cjs`, scripts/copy-assets.mjs), so
 * the CLI loads only Handlebars' runtime and compiles nothing; run from the sources (the tests),
 * there are none and the templates are compiled here, with the same options.
 */
import type Handlebars from 'handlebars';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Set by scripts/bundle.mjs: bundled, this module's code sits in dist/cli/, not beside the templates. */
declare const KUBESEED_TEMPLATE_DIR: string | undefined;
const TEMPLATE_DIR = fileURLToPath(new URL(typeof KUBESEED_TEMPLATE_DIR === 'string' ? KUBESEED_TEMPLATE_DIR : './templates/', import.meta.url));
const require = createRequire(import.meta.url);
const PRECOMPILED = existsSync(`${TEMPLATE_DIR}firstboot.sh.cjs`);

/**
 * noEscape: HTML escaping is wrong for shell. strict: a missing value is an error. knownHelpersOnly:
 * an unknown {{name}} is a compile error, and helper calls skip the lookup.
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

const hb = (require(PRECOMPILED ? 'handlebars/runtime' : 'handlebars') as typeof Handlebars).create();
hb.registerHelper('sh', (value: unknown) => {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`template: sh helper got ${value === undefined ? 'undefined' : typeof value}`);
  }
  return shQuote(value);
});
hb.registerHelper('shArray', (values: unknown) => {
  if (!Array.isArray(values)) throw new Error('template: shArray helper needs an array');
  return values.map((v) => shQuote(v as string)).join(' ');
});

type TemplateSpecification = Parameters<typeof Handlebars.template>[0];
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>.sh.hbs` with the given data. */
export function renderScript(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    tpl = PRECOMPILED
      ? hb.template(require(`${TEMPLATE_DIR}${name}.sh.cjs`) as TemplateSpecification)
      : hb.compile(readFileSync(`${TEMPLATE_DIR}${name}.sh.hbs`, 'utf8'), compileOptions());
    cache.set(name, tpl);
  }
  return tpl(data);
}
