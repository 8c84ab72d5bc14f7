/** Builders for plan and render tests: a profile from the examples or a snippet, and a plan. */
import { readFileSync } from 'node:fs';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/schema/v1alpha1.js';
import { buildPlan } from '../../src/plan/build.js';
import type { ClusterPlan, ClusterSecrets } from '../../src/plan/types.js';
import { givenPaths } from '../../src/profile/given.js';
import { parse } from 'yaml';

export const EXAMPLE_PROFILES = ['profiles/lab.yaml', 'profiles/ha.yaml', 'profiles/external-etcd.yaml'] as const;

/** Placeholder secrets for plan/render tests that do not look inside the PEMs. */
export const FAKE_SECRETS: ClusterSecrets = {
  caCert: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  caKey: '-----BEGIN PRIVATE KEY-----\nCAKEY\n-----END PRIVATE KEY-----\n',
  frontProxyCaCert: '-----BEGIN CERTIFICATE-----\nFP\n-----END CERTIFICATE-----\n',
  frontProxyCaKey: '-----BEGIN PRIVATE KEY-----\nFPKEY\n-----END PRIVATE KEY-----\n',
  etcdCaCert: '-----BEGIN CERTIFICATE-----\nETCD\n-----END CERTIFICATE-----\n',
  etcdCaKey: '-----BEGIN PRIVATE KEY-----\nETCDKEY\n-----END PRIVATE KEY-----\n',
  saKey: '-----BEGIN PRIVATE KEY-----\nSAKEY\n-----END PRIVATE KEY-----\n',
  saPub: '-----BEGIN PUBLIC KEY-----\nSAPUB\n-----END PUBLIC KEY-----\n',
  token: 'abcdef.0123456789abcdef',
  tokenTtl: '24h0m0s',
  caCertHash: `sha256:${'0'.repeat(64)}`,
  apiserverEtcdClient: {
    cert: '-----BEGIN CERTIFICATE-----\nAEC\n-----END CERTIFICATE-----\n',
    key: '-----BEGIN PRIVATE KEY-----\nAECKEY\n-----END PRIVATE KEY-----\n',
  },
};

export function profileFrom(text: string, file = 'test.yaml'): Profile {
  const r = parseProfile(text, file);
  if (!r.profile) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return r.profile;
}

export function planFromText(text: string, secrets: ClusterSecrets = FAKE_SECRETS): ClusterPlan {
  return buildPlan(profileFrom(text), secrets, { epoch: 1_700_000_000, given: givenPaths(parse(text)) });
}

export function planFromFile(path: string, secrets: ClusterSecrets = FAKE_SECRETS): ClusterPlan {
  return planFromText(readFileSync(path, 'utf8'), secrets);
}
