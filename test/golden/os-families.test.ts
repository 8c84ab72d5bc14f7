/**
 * Whole-file goldens of the OS-specific files each OS family renders: the OS and containerd files
 * and the preflight, os and runtime phase scripts of a control-plane node and a worker.
 * Updated only with KUBESEED_UPDATE_GOLDEN=1 (npm run golden:update); review the diff.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';
import type { ClusterPlan, NodePlan } from '../../src/plan/types.js';
import { containerdFiles } from '../../src/render/containerd/files.js';
import { nodeFiles } from '../../src/render/node.js';
import { osFiles } from '../../src/render/os/files.js';
import { FAMILY_CASES } from './families.js';

const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';
const ROOT = join(import.meta.dirname, 'os');
const PHASE_SCRIPTS = ['preflight', 'os', 'runtime'];

/** Golden-relative path → content: the OS-specific files, as the node receives them. */
function ownedFiles(plan: ClusterPlan, node: NodePlan): Map<string, string> {
  const mine = new Set([...osFiles(plan, node), ...containerdFiles(plan)].map((f) => f.path));
  for (const p of PHASE_SCRIPTS) mine.add(`${plan.os.libDir}/phases/${p}.sh`);
  const out = new Map<string, string>();
  for (const f of nodeFiles(plan, node)) {
    if (!mine.has(f.path)) continue;
    out.set(join(node.name, f.path), `# mode ${f.mode.toString(8)}\n${String(f.content)}`);
  }
  return out;
}

function listFiles(dir: string): string[] {
  let out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    out = statSync(p).isDirectory() ? out.concat(listFiles(p)) : out.concat(p);
  }
  return out;
}

describe.each(FAMILY_CASES)('golden $id', ({ id, text }) => {
  const plan = planFromText(text);
  const dir = join(ROOT, id);
  const expected = new Map<string, string>();
  for (const node of plan.nodes) for (const [k, v] of ownedFiles(plan, node)) expected.set(k, v);

  if (UPDATE) {
    rmSync(dir, { recursive: true, force: true });
    for (const [rel, content] of expected) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
  }

  it('has exactly the golden files', () => {
    const have = listFiles(dir).map((p) => relative(dir, p)).sort();
    expect(have).toEqual([...expected.keys()].sort());
  });

  it.each([...expected.keys()].sort())('%s matches its golden', (rel) => {
    expect(expected.get(rel)).toBe(readFileSync(join(dir, rel), 'utf8'));
  });
});
