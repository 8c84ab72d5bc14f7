/** Every OS family's scripts pass shellcheck and its user-data passes cloud-init's schema. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';
import { FAMILY_CASES } from '../golden/families.js';
import { shellcheckFindings, writeNodeFiles, writeOutputs } from '../helpers/outputs.js';
import { needTools, run } from '../helpers/tools.js';

describe.each(FAMILY_CASES)('$id', ({ text }) => {
  const plan = planFromText(text);

  it('every script, the preflight, os and runtime phases included, passes shellcheck', (ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const { scripts } = writeNodeFiles(plan);
    const phases = scripts.filter((s) => /\/phases\/(preflight|os|runtime)\.sh$/.test(s));
    expect(phases).toHaveLength(3 * plan.nodes.length);
    expect(shellcheckFindings(scripts)).toBe('');
  });

  it.for(plan.nodes.map((n) => n.name))('user-data of %s passes cloud-init schema', (name, ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const out = writeOutputs(plan);
    const file = join(out, 'nodes', name, 'user-data');
    const r = run('cloud-init', ['schema', '--config-file', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`Valid cloud-config: ${file}`);
    expect(r.status).toBe(0);
  });
});
