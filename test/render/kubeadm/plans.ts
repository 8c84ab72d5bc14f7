/** Example-profile plans forced to one kubeadm API version, for the kubeadm tests. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { ClusterPlan, ClusterSecrets, KubeadmApi } from '../../../src/plan/types.js';
import { supportedVersions, versionEntry } from '../../../src/plan/versions.js';
import { FAKE_SECRETS, planFromText } from '../../builders/plan.js';

/**
 * A Kubernetes version per kubeadm API version, from the shipped version table: the newest that
 * still uses v1beta3 and the oldest that uses v1beta4 (today v1.30.x and v1.31.x), so that the
 * goldens change only when the table changes those two releases.
 */
export const VERSION_FOR: Readonly<Record<KubeadmApi, string>> = (() => {
  const api = (v: string) => versionEntry(v)!.kubeadmApiVersion;
  const all = supportedVersions();
  const v1beta3 = all.filter((v) => api(v) === 'v1beta3').at(-1);
  const v1beta4 = all.find((v) => api(v) === 'v1beta4');
  if (!v1beta3 || !v1beta4) throw new Error('the version table lacks a v1beta3 or a v1beta4 release');
  return { v1beta3, v1beta4 };
})();
export const APIS: readonly KubeadmApi[] = ['v1beta3', 'v1beta4'];

/** The profile with its spec.kubernetes.version replaced, so either API version can be forced. */
export function profileTextFor(path: string, api: KubeadmApi): string {
  const text = readFileSync(path, 'utf8');
  const re = /^(\s+version: )v1\.\d+\.\d+$/m;
  if (!re.test(text)) throw new Error(`${path}: no spec.kubernetes.version line to replace`);
  return text.replace(re, `$1${VERSION_FOR[api]}`);
}

export function planFor(path: string, api: KubeadmApi, secrets: ClusterSecrets = FAKE_SECRETS): ClusterPlan {
  const plan = planFromText(profileTextFor(path, api), secrets);
  if (plan.kubernetes.kubeadmApi !== api) throw new Error(`${path}: expected ${api}, plan chose ${plan.kubernetes.kubeadmApi}`);
  return plan;
}

/** Parses a multi-document stream the way kubeadm's YAML 1.1 reader would. */
export function parseStream(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text, { version: '1.1' }).map((d) => {
    if (d.errors.length) throw new Error(d.errors.map((e) => e.message).join('\n'));
    return d.toJS() as Record<string, unknown>;
  });
}
