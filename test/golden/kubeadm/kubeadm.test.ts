/**
 * Golden kubeadm configurations: every node's /etc/kubernetes/kubeadm/kubeadm.yaml for the three
 * example profiles in both kubeadm API versions (the other version forced by changing
 * spec.kubernetes.version in a copy). Update with `npm run golden:update` and review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KUBEADM_CONFIG } from '../../../src/render/kubeadm/model.js';
import { kubeadmFiles } from '../../../src/render/kubeadm/files.js';
import { EXAMPLE_PROFILES } from '../../builders/plan.js';
import { APIS, planFor } from '../../render/kubeadm/plans.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';

describe.each(EXAMPLE_PROFILES.flatMap((p) => APIS.map((api) => [p, api] as const)))('%s (%s)', (profile, api) => {
  const plan = planFor(profile, api);
  it.each(plan.nodes.map((n) => n.name))('%s kubeadm.yaml matches its golden file', (name) => {
    const node = plan.nodes.find((n) => n.name === name)!;
    const text = String(kubeadmFiles(plan, node).find((f) => f.path === KUBEADM_CONFIG)!.content);
    const golden = join(HERE, basename(profile, '.yaml'), api, `${name}.yaml`);
    if (UPDATE) {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, text);
    }
    if (!existsSync(golden)) throw new Error(`missing golden file ${golden}: run npm run golden:update and review it`);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
