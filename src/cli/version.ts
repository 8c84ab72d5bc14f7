/**
 * `kubeseed --version`: the release, the commit the build came from and the version table's
 * date, so an operator can tell which kubeseed (and which pinned versions and digests) a
 * workstation carries.
 */
import { KUBESEED_VERSION } from '../emit/version.js';
import { versionTable } from '../plan/versions.js';

/**
 * Set by scripts/bundle-seams.mjs when the CLI is bundled: `git rev-parse HEAD`, with `-dirty`
 * when the checkout had uncommitted or untracked changes, or `unknown` outside a git checkout.
 */
declare const KUBESEED_COMMIT: string | undefined;

export function versionText(): string {
  const commit = typeof KUBESEED_COMMIT === 'string' ? KUBESEED_COMMIT : 'none (run from the sources)';
  return [
    `kubeseed ${KUBESEED_VERSION}`,
    `commit: ${commit}`,
    `version table: ${versionTable().updated}`,
    `node: ${process.version} (${process.platform}-${process.arch})`,
  ].join('\n');
}
