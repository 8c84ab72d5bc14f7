/**
 * Plans with real-sized secrets: the TEST ONLY RSA state under test/fixtures/pki/state-rsa, for
 * tests about sizes (placeholder secrets are shorter than real keys and compress better).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { buildPlan } from '../../src/plan/build.js';
import { durationSeconds, goDuration } from '../../src/plan/duration.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { givenPaths } from '../../src/profile/given.js';
import { readState } from '../../src/state/read.js';
import { secretsFromState } from '../../src/state/plan-secrets.js';
import { profileFrom, type TestPlanOptions } from './plan.js';

export const REPO = join(import.meta.dirname, '../..');

function fixtureState() {
  const r = readState(join(REPO, 'test/fixtures/pki/state-rsa'));
  if (r.status !== 'present') throw new Error('test/fixtures/pki/state-rsa does not read back');
  return r.state;
}

/** The plan compile makes from this profile text with the fixture state. */
export function planWithFixtureState(text: string, options: TestPlanOptions = {}): ClusterPlan {
  const profile = profileFrom(text);
  const secrets = secretsFromState(fixtureState(), goDuration(durationSeconds(profile.spec.bootstrapToken.ttl)));
  return buildPlan(profile, secrets, { epoch: 1_700_000_000, given: givenPaths(parse(text)), ...options });
}

/** An example profile (path from the repository root) as a user moves it to Flatcar: spec.os only. */
export function flatcarText(path: string): string {
  const doc = parse(readFileSync(join(REPO, path), 'utf8'));
  const { version: _dropped, ...os } = doc.spec.os;
  doc.spec.os = { ...os, family: 'flatcar', iptables: 'nft' };
  return stringify(doc);
}
