/**
 * How a node's secret files travel, so that they reach their paths only after the preflight has
 * found the machine to be the node (the secrets phase moves them in):
 * - on a seed ISO they are files of their own under kubeseed/secrets/, never in user-data:
 *   cloud-init keeps a copy of user-data under /var/lib/cloud, on the machine's disk, whatever
 *   the machine turns out to be;
 * - where user-data is the only carrier (VM templates, vSphere guestinfo, clouds) it stages them
 *   under the plan's secretStaging, a tmpfs under /run; Ignition, which can write only to the
 *   root file system, stages them in a private directory there.
 */
import type { ClusterPlan } from '../../plan/types.js';
import type { NodeFile } from '../files.js';
import type { OutputFile } from '../node.js';

/** Where a seed ISO carries the secret files: kubeseed/secrets/<path on the node>. */
export const SEED_SECRETS_DIR = 'kubeseed/secrets';

/** Staged copies, one per NodeFile, so nodes that share a file share its copy (and its YAML). */
const stagedCopies = new WeakMap<NodeFile, NodeFile>();

/** The files as user-data or Ignition carries them: every secret one under the staging directory. */
export function stagedFiles(plan: ClusterPlan, files: readonly NodeFile[]): NodeFile[] {
  return files.map((f) => {
    if (!f.secret) return f;
    let copy = stagedCopies.get(f);
    if (!copy) stagedCopies.set(f, (copy = Object.freeze({ path: `${plan.secretStaging}${f.path}`, content: f.content, mode: 0o600, secret: true })));
    return copy;
  });
}

/** The files a seed's user-data carries: none that holds a secret. */
export function publicFiles(files: readonly NodeFile[]): NodeFile[] {
  return files.filter((f) => !f.secret);
}

/** The secret files as seed ISO entries, each 0600 (Rock Ridge records the mode; root owns them). */
export function seedSecretFiles(files: readonly NodeFile[]): OutputFile[] {
  return files.filter((f) => f.secret).map((f) => ({ path: `${SEED_SECRETS_DIR}${f.path}`, content: f.content, mode: 0o600 }));
}
