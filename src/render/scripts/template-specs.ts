/**
 * Where the shell templates come from when kubeseed runs from its sources (vitest, and tsc's
 * per-module dist/ that the build scripts use): each is compiled on first use from
 * templates/<name>.sh.hbs with the whole of Handlebars.
 *
 * The bundles (dist/cli and the single-file release, scripts/bundle-seams.mjs) replace this
 * module with one that holds every template precompiled, with these options, and loads only
 * Handlebars' runtime: a bundle then reads no template file and needs no node_modules.
 */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { templateProblems } from './template-check.js';

/**
 * noEscape: HTML escaping is wrong for shell. strict: a missing value is an error. knownHelpersOnly:
 * an unknown {{name}} is a compile error, and helper calls skip the lookup.
 */
export function compileOptions(): CompileOptions {
  // A new object each time: Handlebars writes into the options it is given.
  return { noEscape: true, strict: true, knownHelpersOnly: true, knownHelpers: { sh: true, shArray: true } };
}

type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

/** The Handlebars that template.ts makes its environment from (the bundles': the runtime). */
export const handlebars: typeof Handlebars = Handlebars;

/** Template `name` for the environment `hb`, refused if it has a mustache other than a quoting helper call. */
export function loadTemplate(hb: typeof Handlebars, name: string): Handlebars.TemplateDelegate {
  const file = new URL(`./templates/${name}.sh.hbs`, import.meta.url);
  const source = readFileSync(file, 'utf8');
  const problems = templateProblems(hb.parse(source));
  if (problems.length > 0) throw new Error(`template ${file.pathname}: ${problems.join('; ')}`);
  return hb.compile(source, compileOptions());
}
