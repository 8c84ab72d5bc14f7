/**
 * The entry point compiles use: reuse the state if there is one, make it once if not. A new state
 * is made in memory first and written only when the caller commits (a compile does so just
 * before its tree goes into place), so a compile that fails for any reason, a usage error or a
 * user-data over a platform's limit, leaves no fresh state directory behind.
 */
import { createClusterState, type ClusterState, type CreateClusterStateOptions } from '../pki/cluster-state.js';
import { parseAdminKubeconfig, serverUrl } from '../pki/kubeconfig.js';
import { readState } from './read.js';
import { writeState } from './write.js';

export interface LoadedState {
  readonly state: ClusterState;
  /** True when this call made a new state (written by commit, or already by loadOrCreateState). */
  readonly created: boolean;
  readonly dir: string;
  /**
   * Loose permissions, and options the existing state was not made with (key algorithm, cluster
   * name, endpoint): the existing state wins, since changing it means a new cluster.
   */
  readonly warnings: readonly string[];
}

export interface PreparedState extends LoadedState {
  /** Writes a new state (no-op for one read from disk); throws StateExistsError if one appeared meanwhile. */
  commit(): void;
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
 * Reads the state in `dir`; if there is no directory, makes a new state with `opts` in memory,
 * to be written by `commit()`. A damaged state throws (StateFileError) and is left exactly as it is.
 */
export function prepareState(dir: string, opts: CreateClusterStateOptions): PreparedState {
  const found = readState(dir);
  if (found.status === 'present') {
    return { state: found.state, created: false, dir: found.dir, warnings: [...found.warnings, ...differences(found.state, opts)], commit: () => {} };
  }
  const state = createClusterState(opts);
  let written = false;
  return {
    state,
    created: true,
    dir: found.dir,
    warnings: [],
    commit: () => {
      if (written) return;
      writeState(found.dir, state);
      written = true;
    },
  };
}

/** prepareState, and a new state written at once. */
export function loadOrCreateState(dir: string, opts: CreateClusterStateOptions): LoadedState {
  const { commit, ...loaded } = prepareState(dir, opts);
  commit();
  return loaded;
}
