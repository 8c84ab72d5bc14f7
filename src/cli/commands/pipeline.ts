/**
 * The steps compile, explain and state share: load the profile (printing diagnostics), then the
 * state, then the plan. Returns an exit code instead of a result when a step fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseBundleManifest, type BundleManifest } from '../../plan/bundle-manifest.js';
import { hasErrors } from '../../profile/diagnostics.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildPlan, type PlanOptions } from '../../plan/build.js';
import { planCni, type RecordedDigest } from '../../plan/cni.js';
import { mirrorUrl } from '../../plan/artifacts.js';
import { versionEntry, type VersionTable } from '../../plan/versions.js';
import { fetchFile } from '../../emit/bundle/fetch.js';
import { BUNDLE_TAR } from '../../emit/bundle/manifest.js';
import { durationSeconds } from '../../plan/duration.js';
import type { ClusterPlan, ClusterSecrets } from '../../plan/types.js';
import type { CreateClusterStateOptions } from '../../pki/cluster-state.js';
import { EXIT } from '../exit.js';
import { printDiagnostics, type Io } from '../io.js';

/**
 * What a command gets besides its arguments. Only tests fill it in (in-process, through main):
 * a version table of their own, so that fixture manifests can stand in for upstream ones. The
 * command line cannot reach it, so the shipped table is the only one a user's kubeseed reads.
 */
export interface CliEnv {
  readonly table?: VersionTable;
}

export interface LoadedProfile {
  readonly file: string;
  readonly profile: Profile;
  readonly given: ReadonlySet<string>;
}

export function profileOrExit(file: string, io: Io, table?: VersionTable): LoadedProfile | number {
  const r = loadProfile(file, table);
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

/**
 * The time every output is stamped with: SOURCE_DATE_EPOCH (read by the caller before anything is
 * written, `sourceDateEpoch()`) wins; otherwise the state's creation time, so the same state gives
 * the same bytes; 0 without state.
 */
export function outputEpoch(envEpoch: number | undefined, createdAt?: string): number {
  return envEpoch ?? (createdAt === undefined ? 0 : Math.floor(Date.parse(createdAt) / 1000));
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

export function planFor(loaded: LoadedProfile, secrets: ClusterSecrets, opts: Omit<PlanOptions, 'given'>): ClusterPlan {
  return buildPlan(loaded.profile, secrets, { ...opts, given: loaded.given });
}

/** The artifacts cache: $KUBESEED_CACHE, else ~/.cache/kubeseed/artifacts. */
export function defaultCacheDir(): string {
  return process.env.KUBESEED_CACHE || join(homedir(), '.cache', 'kubeseed', 'artifacts');
}

/** Whether downloads are off: --offline, or KUBESEED_OFFLINE=1 (the test suite sets it). */
export function offline(flag: boolean | undefined): boolean {
  return flag === true || process.env.KUBESEED_OFFLINE === '1';
}

/**
 * Image digests a built bundle recorded (bundle.json beside its tar), by upstream reference,
 * whatever the artifacts source: a digest kubeseed bundle got when it pulled a tag is what the
 * site trusts from then on (trust on first use).
 */
export function recordedDigests(bundleDir: string): Map<string, RecordedDigest> {
  const out = new Map<string, RecordedDigest>();
  const file = join(bundleDir, 'bundle.json');
  if (!existsSync(file)) return out;
  for (const a of parseBundleManifest(readFileSync(file, 'utf8'), file).artifacts) {
    // `source` is the reference pulled: pinned, or a tag whose digest the pull recorded.
    const upstream = a.source?.replace(/@sha256:[0-9a-f]{64}$/, '');
    if (a.kind === 'image' && upstream && a.digest) {
      out.set(upstream, { digest: a.digest, source: `recorded by kubeseed bundle in ${file} (trust on first use)` });
    }
  }
  return out;
}

export interface CniManifestLookup {
  readonly bundleDir: string;
  readonly fromDir?: string | undefined;
  readonly cacheDir: string;
  readonly offline: boolean;
  readonly table?: VersionTable | undefined;
}

/**
 * The upstream manifest of the profile's pod network, for compile to patch: from --from, the
 * built bundle, the cache, else (artifacts source online or mirror, unless offline) downloaded
 * into the cache, sha256-checked. `missing` says, in one line, why there is none and how to get
 * it; undefined for plugin none.
 */
export async function cniManifestFor(profile: Profile, o: CniManifestLookup): Promise<{ text: string; origin: string } | { missing: string } | undefined> {
  const entry = versionEntry(profile.spec.kubernetes.version, o.table);
  if (!entry) return undefined;
  const cni = planCni(profile, entry.minor, o.table ? { table: o.table } : {});
  if (cni.plugin === 'none') return undefined;
  const { manifest } = cni;
  const a = profile.spec.artifacts;
  const url = o.offline || a.source === 'bundle' ? undefined : a.source === 'mirror' && a.mirror ? mirrorUrl(a.mirror.url, manifest.url) : manifest.url;
  const got = await fetchFile(
    { fileName: manifest.fileName, bundlePath: `files/${manifest.fileName}`, sha256: manifest.sha256 },
    { ...(o.fromDir ? { fromDir: o.fromDir } : {}), bundleTar: join(o.bundleDir, BUNDLE_TAR), cacheDir: o.cacheDir, ...(url ? { url } : {}), download: { maxAttempts: 3, timeoutMs: 15_000 } },
  );
  if (got.found) return { text: got.bytes.toString('utf8'), origin: got.origin };
  const why = url ? '' : o.offline ? ' (downloads are off: --offline or KUBESEED_OFFLINE=1)' : ' (artifacts source bundle: compile downloads nothing)';
  return {
    missing: `no pod network compiled in: ${cni.plugin} ${cni.version}'s manifest ${manifest.fileName} (sha256 ${manifest.sha256}, ${manifest.url}) is ${got.tried.join('; ')}${why}. `
      + 'The first control-plane node will log that no pod network was applied, and the nodes stay NotReady. '
      + `Fix: run kubeseed bundle (it puts the file in the bundle and the cache), or put the file in the cache as ${join(o.cacheDir, 'sha256', manifest.sha256)}, `
      + `or compile with --from DIR holding ${manifest.fileName}`,
  };
}
