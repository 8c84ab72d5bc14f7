/** The one entry point compiles use: reuse the state if there is one, make it once if not. */
import { createClusterState, type ClusterState, type CreateClusterStateOptions } from '../pki/cluster-state.js';
import { parseAdminKubeconfig, serverUrl } from '../pki/kubeconfig.js';
import { readState } from './read.js';
import { writeState } from './write.js';

export interface LoadedState {
  readonly state: ClusterState;
  /** True when this call made and wrote a new state. */
  readonly created: boolean;
  readonly dir: string;
  /**
   * Loose permissions, and options the existing state was not made with (key algorithm, cluster
   * name, endpoint): the existing state wins, since changing it means a new cluster.
   */
  readonly warnings: readonly string[];
}

function differences(state: ClusterState, opts: CreateClusterStateOptions): string[] {
  const out: string[] = [];
  if (state.keyAlgorithm !== opts.keyAlgorithm) {
    out.push(`the state was created with ${state.keyAlgorithm} keys; the profile asks for ${opts.keyAlgorithm} (keeping ${state.keyAlgorithm}: the CAs cannot change under a running cluster)`);
  }
  if (state.clusterName !== opts.clusterName) {
    out.push(`the state was created for cluster ${JSON.stringify(state.clusterName)}; the profile names ${JSON.stringify(opts.clusterName)}`);
  }
  const server = parseAdminKubeconfig(state.adminConf).server;
  if (server !== serverUrl(opts.endpoint)) {
    out.push(`admin.conf points at ${server}; the profile's endpoint is ${serverUrl(opts.endpoint)}`);
  }
  return out;
}

/**
 * Reads the state in `dir`; if there is no directory, creates the state with `opts` and writes
 * it. A damaged state throws (StateFileError) and is left exactly as it is.
 */
export function loadOrCreateState(dir: string, opts: CreateClusterStateOptions): LoadedState {
  const found = readState(dir);
  if (found.status === 'present') {
    return { state: found.state, created: false, dir: found.dir, warnings: [...found.warnings, ...differences(found.state, opts)] };
  }
  const state = createClusterState(opts);
  writeState(found.dir, state);
  return { state, created: true, dir: found.dir, warnings: [] };
}
