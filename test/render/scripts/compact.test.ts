/**
 * Scripts without their comment lines (user-data for EC2) are the same program: bash parses each
 * script, wrapped in a function, and prints it back (`declare -f`, which drops comments and keeps
 * every string and here-document); the stripped script must print back identically. Every script
 * of every example profile and OS family is checked.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { nodeFiles } from '../../../src/render/node.js';
import { stripCommentLines } from '../../../src/render/scripts/compact.js';
import { EXAMPLE_PROFILES, planFromFile, planFromText } from '../../builders/plan.js';
import { FAMILY_CASES } from '../../golden/families.js';
import { needTools, run } from '../../helpers/tools.js';
import { IGNITION_FAMILIES, switchedPlan } from '../ignition/switch.js';

/** bash's own reprint of the script's code: comments gone, everything else as parsed. */
function parsedBack(script: string): string {
  const r = run('bash', ['-c', `__script() {\n${script}\n}\ndeclare -f __script`]);
  if (r.status !== 0) throw new Error(`bash could not parse the script: ${r.stderr}`);
  return r.stdout;
}

function scripts(plans: readonly ClusterPlan[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const plan of plans) {
    for (const node of plan.nodes) {
      for (const f of nodeFiles(plan, node)) {
        if (typeof f.content === 'string' && f.content.startsWith('#!/usr/bin/env bash\n')) out.set(`${plan.name}/${plan.os.family}/${node.name}${f.path}`, f.content);
      }
    }
  }
  return out;
}

const PLANS = [
  ...EXAMPLE_PROFILES.map((p) => planFromFile(p)),
  ...FAMILY_CASES.map((c) => planFromText(c.text)),
  ...EXAMPLE_PROFILES.flatMap((p) => IGNITION_FAMILIES.map((f) => switchedPlan(p, f))),
];
// One check per distinct script text: workers share theirs.
const SCRIPTS = [...new Map([...scripts(PLANS)].map(([k, v]) => [v, k])).entries()].map(([text, where]) => [where, text] as const);

describe('scripts without comment lines', () => {
  it.for(SCRIPTS)('%s parses to the same program', ([, text], ctx) => {
    needTools(ctx, 'bash:bash');
    const stripped = stripCommentLines(text);
    expect(stripped.length).toBeLessThan(text.length);
    expect(parsedBack(stripped)).toBe(parsedBack(text));
  });

  it('the check notices a stripped line that was not a comment (a here-document line)', (ctx) => {
    needTools(ctx, 'bash:bash');
    const text = '#!/usr/bin/env bash\n# a comment\ncat <<EOF\n# kept text\nEOF\n';
    expect(stripCommentLines(text)).toBe('#!/usr/bin/env bash\ncat <<EOF\nEOF\n');
    expect(parsedBack(stripCommentLines(text))).not.toBe(parsedBack(text));
  });

  it('keeps the #! line and shellcheck directives', () => {
    expect(stripCommentLines('#!/usr/bin/env bash\n# why\n  # indented why\n# shellcheck source=/dev/null\n. x # after code\n')).toBe('#!/usr/bin/env bash\n# shellcheck source=/dev/null\n. x # after code\n');
  });

  it('are what an EC2 plan renders, and a NoCloud plan keeps the comments', () => {
    const ec2 = planFromFile('profiles/ha.yaml', undefined, { platform: 'ec2' });
    const nocloud = planFromFile('profiles/ha.yaml');
    const w1 = (plan: ClusterPlan) => nodeFiles(plan, plan.nodes.find((n) => n.name === 'w1')!);
    const [a, b] = [w1(ec2), w1(nocloud)];
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    a.forEach((f, i) => expect(f.content).toBe(typeof b[i]!.content === 'string' && b[i]!.content.startsWith('#!/usr/bin/env bash\n') ? stripCommentLines(b[i]!.content) : b[i]!.content));
    expect(ec2.scriptComments).toBe(false);
    expect(nocloud.scriptComments).toBe(true);
  });
});
