/**
 * netboot/machines.json (its format: src/serve/machine-index.ts): what `kubeseed serve` knows of
 * the cluster, so that it reads no profile and parses no node file. A file is secret when compile
 * wrote it 0600.
 */
import type { ClusterPlan } from '../../plan/types.js';
import { FETCHED_FILES, type Machine, type MachineIndex } from '../../serve/machine-index.js';
import { toJson } from '../serialize.js';
import { macScriptPath } from './ipxe.js';

/** `written[i]` holds the paths and modes compile wrote for plan.nodes[i]. */
export function renderMachineIndex(plan: ClusterPlan, written: readonly (readonly { path: string; mode: number }[])[]): string {
  const machines = plan.nodes.map((node, i): Machine => {
    const dir = `nodes/${node.name}/`;
    const files = (written[i] ?? [])
      .filter((f) => f.path.startsWith(dir) && FETCHED_FILES.includes(f.path.slice(dir.length)))
      .map((f) => ({ name: f.path.slice(dir.length), path: f.path, secret: (f.mode & 0o077) === 0 }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return { node: node.name, mac: node.mac, ...(node.productUuid ? { uuid: node.productUuid } : {}), script: macScriptPath(node.mac), files };
  }).sort((a, b) => (a.node < b.node ? -1 : 1));
  return toJson({ kind: 'KubeseedNetboot', version: 1, cluster: plan.name, machines } satisfies MachineIndex);
}
