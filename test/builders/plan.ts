/** Builders for plan and render tests: a profile from the examples or a snippet, and a plan. */
import { readFileSync } from 'node:fs';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/schema/v1alpha1.js';
import { buildPlan, type PlanOptions } from '../../src/plan/build.js';
import type { ClusterPlan, ClusterSecrets } from '../../src/plan/types.js';
import { givenPaths } from '../../src/profile/given.js';
import { parse } from 'yaml';
import { FAKE_SECRETS } from '../fixtures/placeholder-secrets.js';

export { FAKE_SECRETS };

export const EXAMPLE_PROFILES = ['profiles/lab.yaml', 'profiles/ha.yaml', 'profiles/external-etcd.yaml', 'profiles/baremetal-bond.yaml'] as const;

export function profileFrom(text: string, file = 'test.yaml'): Profile {
  const r = parseProfile(text, file);
  if (!r.profile) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return r.profile;
}

/** Plan options a test may set beyond the fixed epoch and the paths the profile gives. */
export type TestPlanOptions = Omit<PlanOptions, 'epoch' | 'given'>;

export function planFromText(text: string, secrets: ClusterSecrets = FAKE_SECRETS, options: TestPlanOptions = {}): ClusterPlan {
  return buildPlan(profileFrom(text), secrets, { epoch: 1_700_000_000, given: givenPaths(parse(text)), ...options });
}

export function planFromFile(path: string, secrets: ClusterSecrets = FAKE_SECRETS, options: TestPlanOptions = {}): ClusterPlan {
  return planFromText(readFileSync(path, 'utf8'), secrets, options);
}
