/**
 * Shell scripts are the one format built from text templates: real `.sh.hbs` files under
 * ./templates, compiled with `noEscape` (HTML escaping is wrong for shell) and `strict` (a
 * missing value is an error, not an empty string). Every value reaches the script through
 * `{{sh x}}`, which single-quotes it, or `{{shArray xs}}`, which makes a quoted bash array body;
 * a template with any other mustache is refused (template-check.ts).
 *
 * Where the templates come from is template-specs.ts: from the sources they are compiled on use;
 * the bundled CLI carries them precompiled and loads only Handlebars' runtime.
 */
import type Handlebars from 'handlebars';
import { handlebars, loadTemplate } from './template-specs.js';

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

const hb = handlebars.create();
hb.registerHelper('sh', (value: unknown) => shQuote(quotable(value, 'sh')));
hb.registerHelper('shArray', (values: unknown) => {
  if (!Array.isArray(values)) throw new Error(`template: shArray helper needs an array, got ${values === null ? 'null' : typeof values}`);
  return values.map((v) => shQuote(quotable(v, 'shArray'))).join(' ');
});

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders `templates/<name>.sh.hbs` with the given data. */
export function renderScript(name: string, data: object): string {
  let tpl = cache.get(name);
  if (!tpl) {
    tpl = loadTemplate(hb, name);
    cache.set(name, tpl);
  }
  return tpl(data);
}
