/**
 * Whole-file golden Ignition configs: every example profile switched to Flatcar and to Fedora
 * CoreOS, every node. A difference fails; `npm run golden:update` (KUBESEED_UPDATE_GOLDEN=1)
 * rewrites the files, and the diff is reviewed like code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderNodeOutputs } from '../../../src/render/node.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { IGNITION_FAMILIES, switchedPlan } from '../../render/ignition/switch.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';

describe.each(EXAMPLE_PROFILES.flatMap((p) => IGNITION_FAMILIES.map((f) => [p, f] as const)))('%s as %s', (profile, family) => {
  const plan = switchedPlan(profile, family);
  it.each(plan.nodes.map((n) => n.name))('%s/ignition.json matches its golden file', (name) => {
    const node = plan.nodes.find((n) => n.name === name)!;
    const [out] = renderNodeOutputs(plan, node);
    const golden = join(HERE, family, basename(profile, '.yaml'), name, 'ignition.json');
    if (UPDATE) {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, out!.content);
    }
    expect(existsSync(golden), `missing ${golden}: run npm run golden:update`).toBe(true);
    expect(String(out!.content)).toBe(readFileSync(golden, 'utf8'));
  });
});
