/** The `secrets` phase script (template phase-secrets.sh.hbs): the node's secret files into place. */
import type { ClusterPlan, NodeShape } from '../../plan/types.js';
import { scriptCommon } from '../scripts/phases.js';
import { renderScript } from '../scripts/template.js';
import { SEED_SECRETS_DIR } from './delivery.js';

export function renderSecretsPhase(plan: ClusterPlan, node: NodeShape): string {
  return renderScript('phase-secrets', {
    ...scriptCommon(plan),
    paths: node.secretPaths,
    seedDir: SEED_SECRETS_DIR,
  });
}
