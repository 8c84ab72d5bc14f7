import { resolve } from 'node:path';
import { neededArtifacts } from '../../plan/artifacts.js';
import { planCni, type RecordedDigest } from '../../plan/cni.js';
import { versionEntry, versionTable, type VersionTable } from '../../plan/versions.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildBundle, listBundle } from '../../emit/bundle/index.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { mib, progressLine } from '../progress.js';
import { defaultBundleDir, defaultCacheDir, profileOrExit, recordedDigests, type CliEnv } from './pipeline.js';

const USAGE = `usage: kubeseed bundle PROFILE [--from DIR] [--mirror URL [--mirror-ca FILE]] [--out DIR] [--cache DIR]
       kubeseed bundle PROFILE --list

Builds the offline bundle the profile's nodes install from: OUT/<cluster>.bundle/ with
kubeseed-bundle.tar, SHA256SUMS and bundle.json. Every file is checked against the sha256 in
kubeseed's version table; a mismatch names the file and both digests and leaves no bundle.

  --from DIR       files fetched on a connected machine (by upstream file name; images/ for image tars)
  --mirror URL     an internal mirror of the upstream download paths (downloads resume)
  --mirror-ca F    PEM CA to trust for the mirror
  --out DIR        output directory (default: out)
  --cache DIR      verified files by sha256 (default: $KUBESEED_CACHE or ~/.cache/kubeseed/artifacts)
  --list           print what the bundle needs (URLs, digests, images, OS packages) and exit

The pod network's images: those the version table has no digest for are pinned at bundle time
(trust on first use): bundle.json records the digest the pull got, and compile pins it.`;

export function artifactsFor(profile: Profile, table: VersionTable = versionTable(), recorded?: ReadonlyMap<string, RecordedDigest>) {
  const spec = profile.spec;
  const entry = versionEntry(spec.kubernetes.version, table);
  if (!entry) throw new Error(`unreachable: validation rejects Kubernetes ${spec.kubernetes.version}`);
  return neededArtifacts({
    kubernetesVersion: spec.kubernetes.version,
    arch: spec.artifacts.arch,
    ...(spec.containerd.version ? { containerdVersion: spec.containerd.version } : {}),
    osFamily: spec.os.family,
    source: spec.artifacts.source,
    imageRepository: spec.kubernetes.imageRepository,
    cni: planCni(profile, entry.minor, { table, ...(recorded ? { recorded } : {}) }),
  }, table);
}

export async function bundleCommand(argv: string[], io: Io, env: CliEnv = {}): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    mirror: { type: 'string' },
    'mirror-ca': { type: 'string' },
    out: { type: 'string', default: 'out' },
    cache: { type: 'string' },
    list: { type: 'boolean', default: false },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io, env.table);
  if (typeof loaded === 'number') return loaded;
  const outDir = resolve(defaultBundleDir(resolve(values.out), loaded.profile.metadata.name));
  const artifacts = artifactsFor(loaded.profile, env.table, recordedDigests(outDir));
  if (values.list) {
    io.out(listBundle(artifacts).join('\n'));
    return EXIT.ok;
  }
  if (values.from === undefined && values.mirror === undefined) {
    throw new UsageError(`give --from DIR and/or --mirror URL\n\n${USAGE}`);
  }
  if (values['mirror-ca'] !== undefined && values.mirror === undefined) throw new UsageError('--mirror-ca needs --mirror');
  const progress = progressLine(io);
  const result = await buildBundle({
    artifacts,
    ...(values.from !== undefined ? { fromDir: resolve(values.from) } : {}),
    ...(values.mirror !== undefined ? { mirror: { url: values.mirror, ...(values['mirror-ca'] ? { caFile: resolve(values['mirror-ca']) } : {}) } } : {}),
    cacheDir: resolve(values.cache ?? defaultCacheDir()),
    outDir,
    onProgress: (e) => {
      if (e.type === 'download') progress.update(`downloading ${e.artifact}: ${mib(e.bytes)}${e.total ? ` of ${mib(e.total)}` : ''}`);
      else if (e.type === 'write') progress.update(`writing bundle: ${mib(e.bytes)} of ${mib(e.total)}`);
    },
  });
  progress.done();
  for (const m of result.missingImages) io.err(`note: image ${m.ref} not supplied (expected ${m.fileName} under --from images/); the site's registry must serve it`);
  io.out(`${result.tarPath}: ${result.files.length} files, ${mib(result.bytes)}`);
  return EXIT.ok;
}
