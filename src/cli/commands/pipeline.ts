/**
 * The steps compile, explain and state share: load the profile (printing diagnostics), then the
 * state, then the plan. Returns an exit code instead of a result when a step fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBundleManifest, type BundleManifest } from '../../render/artifacts/bundle-manifest.js';
import { hasErrors } from '../../profile/diagnostics.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildPlan } from '../../plan/build.js';
import { durationSeconds } from '../../plan/duration.js';
import type { ClusterPlan, ClusterSecrets } from '../../plan/types.js';
import type { CreateClusterStateOptions } from '../../pki/cluster-state.js';
import { EXIT } from '../exit.js';
import { printDiagnostics, type Io } from '../io.js';

export interface LoadedProfile {
  readonly file: string;
  readonly profile: Profile;
  readonly given: ReadonlySet<string>;
}

export function profileOrExit(file: string, io: Io): LoadedProfile | number {
  const r = loadProfile(file);
  printDiagnostics(io, r.diagnostics);
  if (!r.profile || hasErrors(r.diagnostics)) return EXIT.badInput;
  return { file, profile: r.profile, given: r.given ?? new Set() };
}

/** The state lives beside the output tree, never inside it, so re-compiles cannot touch it. */
export function defaultStateDir(outDir: string, cluster: string): string {
  return join(outDir, `${cluster}.state`);
}

export function stateOptions(profile: Profile, now: Date): CreateClusterStateOptions {
  const spec = profile.spec;
  return {
    keyAlgorithm: spec.pki.keyAlgorithm,
    now,
    tokenTtlSeconds: durationSeconds(spec.bootstrapToken.ttl),
    clusterName: profile.metadata.name,
    kubernetesVersion: spec.kubernetes.version,
    endpoint: spec.controlPlane.endpoint,
  };
}

/** SOURCE_DATE_EPOCH wins; otherwise the state's creation time, so the same state gives the same bytes. */
export function outputEpoch(createdAt: string): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.floor(Date.parse(createdAt) / 1000);
}

/** `kubeseed bundle` writes beside the output tree, as the state does. */
export function defaultBundleDir(outDir: string, cluster: string): string {
  return join(outDir, `${cluster}.bundle`);
}

/**
 * For artifacts.source bundle: the bundle.json `kubeseed bundle` wrote, when it exists; nodes
 * then expect exactly the files that bundle carries.
 */
export function builtBundle(profile: Profile, bundleDir: string): BundleManifest | undefined {
  if (profile.spec.artifacts.source !== 'bundle') return undefined;
  const file = join(bundleDir, 'bundle.json');
  if (!existsSync(file)) return undefined;
  return parseBundleManifest(readFileSync(file, 'utf8'), file);
}

export function planFor(
  loaded: LoadedProfile,
  secrets: ClusterSecrets,
  epoch: number,
  format?: 'cloud-init' | 'ignition',
  bundle?: BundleManifest,
  netbootUrl?: string,
): ClusterPlan {
  return buildPlan(loaded.profile, secrets, {
    epoch, given: loaded.given, ...(format ? { format } : {}), ...(bundle ? { bundle } : {}), ...(netbootUrl ? { netbootUrl } : {}),
  });
}
