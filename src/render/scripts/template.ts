/**
 * Shell scripts are the one format built from text templates: real `.sh.hbs` files under
 * ./templates, compiled with `noEscape` (HTML escaping is wrong for shell) and `strict` (a
 * missing value is an error, not an empty string). Every value reaches the script through
 * `{{sh x}}`, which single-quotes it, or `{{shArray xs}}`, which makes a quoted bash array body.
 */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TEMPLATE_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** POSIX single-quoting: the only character needing care inside '...' is ' itself. */
export function shQuote(value: string | number | boolean): string {
  const s = String(value);
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const hb = Handlebars.create();
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

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>.sh.hbs` with the given data. */
export function renderScript(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    const source = readFileSync(`${TEMPLATE_DIR}${name}.sh.hbs`, 'utf8');
    // knownHelpersOnly: an unknown {{name}} is a compile error, and helper calls skip the lookup.
    tpl = hb.compile(source, { noEscape: true, strict: true, knownHelpersOnly: true, knownHelpers: { sh: true, shArray: true } });
    cache.set(name, tpl);
  }
  return tpl(data);
}
