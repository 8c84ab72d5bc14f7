/**
 * Every shell template, parsed by Handlebars itself and walked: each mustache is a `sh` or
 * `shArray` call on one value, each block an `if`, `unless` or `each`. A bare `{{vip}}` would
 * render unquoted, and Handlebars' options do not refuse it. The templates are listed from their
 * directory, so a new template is checked too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { templateProblems } from '../../../src/render/scripts/template-check.js';
import { renderScript } from '../../../src/render/scripts/template.js';

const DIR = fileURLToPath(new URL('../../../src/render/scripts/templates/', import.meta.url));
const TEMPLATES = readdirSync(DIR).filter((f) => f.endsWith('.sh.hbs')).sort();
const problems = (source: string) => templateProblems(Handlebars.parse(source));

describe('shell templates', () => {
  it('are all found (a renamed directory would check nothing)', () => {
    expect(TEMPLATES.length).toBeGreaterThanOrEqual(10);
  });

  it.each(TEMPLATES)('%s: every mustache is a quoting helper call', (file) => {
    expect(problems(readFileSync(join(DIR, file), 'utf8'))).toEqual([]);
  });
});

describe('the template check refuses', () => {
  it.each([
    ['a bare value', 'VIP={{vip}}\n', ['1:5 {{vip}}: a value reaches a script only through sh or shArray, which quote it']],
    ['a triple-stash', 'X={{{vip}}}\n', ['1:3 {{vip}}: a value reaches a script only through sh or shArray, which quote it']],
    ['a bare value inside a block', '{{#if a}}\n  echo {{b}}\n{{/if}}\n', ['2:8 {{b}}: a value reaches a script only through sh or shArray, which quote it']],
    ['a bare value in an else branch', '{{#if a}}x{{else}}{{this}}{{/if}}', ['1:19 {{this}}: a value reaches a script only through sh or shArray, which quote it']],
    ['another helper', '{{lookup a b}}', ['1:1 {{lookup …}}: a value reaches a script only through sh or shArray, which quote it']],
    ['sh without a value', '{{sh}}', ['1:1 {{sh}}: sh takes exactly one value path']],
    ['sh of two values', '{{sh a b}}', ['1:1 {{sh …}}: sh takes exactly one value path']],
    ['sh of a sub-expression', '{{sh (lookup a b)}}', ['1:1 {{sh …}}: sh takes exactly one value path']],
    ['sh with a hash', '{{sh a q=1}}', ['1:1 {{sh …}}: sh takes exactly one value path']],
    ['another block helper', '{{#with a}}{{sh b}}{{/with}}', ['1:1 {{#with …}}: the only block helpers allowed are if, unless, each']],
    ['a partial', '{{> other}}', ['1:1 PartialStatement is not allowed in a shell template']],
  ])('%s', (_what, source, expected) => {
    expect(problems(source)).toEqual(expected);
  });

  it('and accepts the quoting helpers inside blocks', () => {
    expect(problems('{{#each xs}}A={{sh this.a}} B=({{shArray this.b}}){{/each}}{{#unless c}}{{sh d}}{{/unless}}')).toEqual([]);
  });
});

describe('the quoting helpers refuse what they cannot quote', () => {
  const data = { lib: '/x/lib.sh', config: '/etc/containerd/config.toml', dropIn: '', configVersion: 2, socket: '/run/c.sock', sandboxImage: 'pause', cgroupDriver: 'systemd' };

  it('sh: an object (the same data renders with a string)', () => {
    expect(renderScript('phase-runtime', data)).toContain("SANDBOX_IMAGE='pause'");
    expect(() => renderScript('phase-runtime', { ...data, sandboxImage: { a: 1 } })).toThrow('template: sh helper got object');
  });

  it('shArray: an element that is not a string, number or boolean', () => {
    const firstboot = { cluster: 'c', nodeEnv: '/etc/kubeseed/node.env', lib: '/x/lib.sh', phaseDir: '/x/phases' };
    expect(renderScript('firstboot', { ...firstboot, phases: ['os', 2, true] })).toContain("PHASES=('os' '2' 'true')");
    expect(() => renderScript('firstboot', { ...firstboot, phases: ['os', { a: 1 }] })).toThrow('template: shArray helper got object');
    expect(() => renderScript('firstboot', { ...firstboot, phases: ['os', null] })).toThrow('template: shArray helper got null');
  });
});
