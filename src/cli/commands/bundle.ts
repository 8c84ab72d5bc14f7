import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDockerConfig, type Credentials } from '../../oci/auth.js';
import type { RegistryConfig } from '../../oci/registries.js';
import { artifactFacts, neededArtifacts } from '../../plan/artifacts.js';
import { osPackagePlan, type OsPackagePlan } from '../../plan/os-packages.js';
import { planCni, type RecordedDigest } from '../../plan/cni.js';
import { versionEntry, versionTable, type VersionTable } from '../../plan/versions.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildBundle, listBundle, type SkippableKind } from '../../emit/bundle/index.js';
import { resolvePackages } from '../../emit/bundle/packages.js';
import { pushImages } from '../../emit/bundle/push.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { mib, progressBar, type ProgressBar } from '../progress.js';
import { sourceDateEpoch } from '../source-date-epoch.js';
import { defaultBundleDir, defaultCacheDir, profileOrExit, recordedDigests, type CliEnv } from './pipeline.js';

const USAGE = `usage: kubeseed bundle PROFILE [--from DIR] [--mirror URL [--mirror-ca FILE]] [--out DIR] [--cache DIR]
                       [--os-mirror URL --keyring FILE]
                       [--registry-mirror HOST=URL]... [--registry-ca HOST=FILE]... [--registry-auth FILE]
                       [--skip KIND[,KIND]] [--push REGISTRY]
       kubeseed bundle PROFILE --list [--os-mirror URL --keyring FILE]

Builds the offline bundle the profile's nodes install from: OUT/<cluster>.bundle/ with
kubeseed-bundle.tar, SHA256SUMS and bundle.json. Every file is checked against the sha256 in
kubeseed's version table, every image against its pinned index digest; a mismatch names the
file or image and both digests and leaves no bundle.

  --from DIR       binaries fetched on a connected machine (by upstream file name)
  --mirror URL     an internal mirror of the upstream download paths (downloads resume)
  --mirror-ca F    PEM CA to trust for the mirror
  --os-mirror URL  the OS release's package archive (apt: where dists/ is; dnf: the root the version
                   table's repository paths are below), a URL or a directory; without it, OS package
                   metadata is read from --from laid out the same way
  --keyring FILE   OpenPGP keys (binary or armored) the archive's metadata must be signed with
  --out DIR        output directory (default: out)
  --cache DIR      verified files and image blobs by sha256 (default: $KUBESEED_CACHE or
                   ~/.cache/kubeseed/artifacts)
  --registry-mirror HOST=URL   pull HOST's images through URL first (repeatable; containerd's mirrors)
  --registry-ca HOST=FILE      PEM CA to trust for the registry or mirror at HOST[:PORT] (repeatable)
  --registry-auth FILE         docker config.json whose auths hold registry credentials
  --skip KIND[,KIND]           leave out binaries, packages and/or the release's images (the nodes
                               get them elsewhere); the profile's extraImages are always bundled
  --push REGISTRY  after bundling, push the bundled images to REGISTRY (host[:port] or URL) under
                   their references' repositories and tags
  --list           print what the bundle needs (URLs, digests, images, OS packages) and exit; OS
                   packages get versions, digests and dependencies only with --os-mirror and --keyring

The pod network's images: those the version table has no digest for are pinned at bundle time
(trust on first use): bundle.json records the digest the pull got, and compile pins it.`;

const SKIPPABLE: readonly SkippableKind[] = ['binaries', 'images', 'packages'];

/** The profile's OS packages plan (null on Flatcar/FCOS, whose nodes install no packages). */
export function packagesFor(profile: Profile): OsPackagePlan | null {
  const os = profile.spec.os;
  return osPackagePlan({ family: os.family, version: os.version, arch: profile.spec.artifacts.arch, ntp: os.ntpServers.length > 0 });
}

/** `HOST=VALUE` pairs into a map of lists, in the order given. */
function pairs(values: string[] | undefined, flag: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`${flag} ${v}: expected HOST=VALUE`);
    const host = v.slice(0, eq).toLowerCase();
    out.set(host, [...(out.get(host) ?? []), v.slice(eq + 1)]);
  }
  return out;
}

function registryConfig(values: { 'registry-mirror'?: string[]; 'registry-ca'?: string[]; 'registry-auth'?: string }): RegistryConfig {
  const mirrors = pairs(values['registry-mirror'], '--registry-mirror');
  for (const [host, urls] of mirrors) {
    for (const u of urls) if (!/^https?:\/\/[^/]+/.test(u)) throw new UsageError(`--registry-mirror ${host}=${u}: the mirror must be an http(s) URL`);
  }
  const cas = new Map<string, string>();
  for (const [host, files] of pairs(values['registry-ca'], '--registry-ca')) {
    if (files.length > 1) throw new UsageError(`--registry-ca ${host}: given ${files.length} times`);
    cas.set(host, readFileSync(resolve(files[0]!), 'utf8'));
  }
  let credentials = new Map<string, Credentials>();
  if (values['registry-auth'] !== undefined) {
    const file = resolve(values['registry-auth']);
    credentials = parseDockerConfig(readFileSync(file, 'utf8'), file);
  }
  return { mirrors, cas, credentials };
}

function skipKinds(value: string | undefined): SkippableKind[] {
  if (value === undefined) return [];
  const kinds = value.split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!SKIPPABLE.includes(k as SkippableKind)) throw new UsageError(`--skip ${value}: ${JSON.stringify(k)} is not one of ${SKIPPABLE.join(', ')}`);
  }
  return [...new Set(kinds)] as SkippableKind[];
}

/** What the bundle needs; a pod-network image keeps the digest an earlier bundle recorded (trust on first use). */
function artifactsFor(profile: Profile, table: VersionTable, recorded: ReadonlyMap<string, RecordedDigest>) {
  const entry = versionEntry(profile.spec.kubernetes.version, table);
  if (!entry) throw new Error(`unreachable: validation rejects Kubernetes ${profile.spec.kubernetes.version}`);
  return neededArtifacts({ ...artifactFacts(profile, table), cni: planCni(profile, entry.minor, { table, recorded }) }, table);
}

export async function bundleCommand(argv: string[], io: Io, env: CliEnv = {}): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    mirror: { type: 'string' },
    'mirror-ca': { type: 'string' },
    out: { type: 'string', default: 'out' },
    cache: { type: 'string' },
    list: { type: 'boolean', default: false },
    'os-mirror': { type: 'string' },
    keyring: { type: 'string' },
    'registry-mirror': { type: 'string', multiple: true },
    'registry-ca': { type: 'string', multiple: true },
    'registry-auth': { type: 'string' },
    skip: { type: 'string' },
    push: { type: 'string' },
  }, USAGE);
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io, env.table);
  if (typeof loaded === 'number') return loaded;
  const epoch = sourceDateEpoch() ?? 0;
  const skip = skipKinds(values.skip);
  const osPlan = skip.includes('packages') ? null : packagesFor(loaded.profile);
  const cacheDir = resolve(values.cache ?? defaultCacheDir());
  const osMirror = values['os-mirror'] === undefined ? undefined : /^https?:\/\//.test(values['os-mirror']) ? values['os-mirror'] : resolve(values['os-mirror']);
  if (osMirror !== undefined && values.keyring === undefined) throw new UsageError('--os-mirror needs --keyring FILE: the archive\'s metadata is trusted only when its signature checks out');
  const outDir = resolve(defaultBundleDir(resolve(values.out), loaded.profile.metadata.name));
  const artifacts = artifactsFor(loaded.profile, env.table ?? versionTable(), recordedDigests(outDir))
    .filter((a) => !(a.kind === 'package' && skip.includes('packages')));
  if (values.list) {
    io.out(listBundle(artifacts.filter((a) => a.kind !== 'package' || !osMirror)).join('\n'));
    if (osPlan && osMirror && values.keyring) {
      const r = await resolvePackages({ plan: osPlan, osMirror, keyringFile: resolve(values.keyring), cacheDir });
      for (const f of r.files) io.out(`package ${f.name} ${f.version} ${f.arch} sha256:${f.sha256} ${f.repository} ${f.path}`);
      for (const n of r.present) io.out(`package ${n}: a minimal ${osPlan.release} install has it (not shipped)`);
    } else if (osPlan) {
      io.err('note: OS packages are listed by name only; their versions, digests and dependencies need --os-mirror URL --keyring FILE');
    }
    return EXIT.ok;
  }
  if (osPlan && values.keyring === undefined) {
    throw new UsageError(`OS packages (${osPlan.names.join(', ')}) need --keyring FILE (the ${osPlan.release} archive's signing keys: ${osPlan.repositories.keyring}) and --os-mirror URL, or --skip packages`);
  }
  if (values['mirror-ca'] !== undefined && values.mirror === undefined) throw new UsageError('--mirror-ca needs --mirror');
  const registries = registryConfig(values);
  // One bar per download, then one for writing the tar.
  let bar: { label: string; bar: ProgressBar } | undefined;
  const barFor = (label: string): ProgressBar => {
    if (bar?.label !== label) {
      bar?.bar.done();
      bar = { label, bar: progressBar(io, label) };
    }
    return bar.bar;
  };
  const result = await buildBundle({
    artifacts,
    ...(values.from !== undefined ? { fromDir: resolve(values.from) } : {}),
    ...(values.mirror !== undefined ? { mirror: { url: values.mirror, ...(values['mirror-ca'] ? { caFile: resolve(values['mirror-ca']) } : {}) } } : {}),
    cacheDir,
    outDir,
    sourceDateEpoch: epoch,
    skip,
    registries,
    ...(osPlan ? { packages: { plan: osPlan, keyringFile: resolve(values.keyring!), ...(osMirror ? { osMirror } : {}) } } : {}),
    onProgress: (e) => {
      if (e.type === 'download') barFor(`downloading ${e.artifact}`).update(e.bytes, e.total ?? undefined);
      else if (e.type === 'pull') barFor(`pulling ${e.ref}`).update(e.bytes, e.total);
      else if (e.type === 'write') barFor('writing bundle').update(e.bytes, e.total);
    },
  });
  bar?.bar.done();
  const images = result.files.filter((f) => f.image).length;
  io.out(`${result.tarPath}: ${result.files.length} files (${images} images), ${mib(result.bytes)}`);
  if (values.push !== undefined) {
    await pushImages(result.images, values.push, cacheDir, registries, (r) => {
      io.out(`pushed ${r.reference} ${r.digest}`);
      if (r.platformOnly) io.err(`note: ${r.reference}: the registry refuses an index whose other platforms are absent; the tag names this platform's manifest`);
    });
  }
  return EXIT.ok;
}
