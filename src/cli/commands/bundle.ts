import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { neededArtifacts } from '../../plan/artifacts.js';
import { osPackagePlan, type OsPackagePlan } from '../../plan/os-packages.js';
import { resolvePackages } from '../../emit/bundle/packages.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildBundle, listBundle } from '../../emit/bundle/index.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { mib, progressLine } from '../progress.js';
import { defaultBundleDir, profileOrExit } from './pipeline.js';

const USAGE = `usage: kubeseed bundle PROFILE [--from DIR] [--mirror URL [--mirror-ca FILE]] [--os-mirror URL --keyring FILE]
                       [--skip packages] [--out DIR] [--cache DIR]
       kubeseed bundle PROFILE --list [--os-mirror URL --keyring FILE]

Builds the offline bundle the profile's nodes install from: OUT/<cluster>.bundle/ with
kubeseed-bundle.tar, SHA256SUMS and bundle.json. Every file is checked against the sha256 in
kubeseed's version table; a mismatch names the file and both digests and leaves no bundle.

  --from DIR       files fetched on a connected machine (by upstream file name; images/ for image tars)
  --mirror URL     an internal mirror of the upstream download paths (downloads resume)
  --mirror-ca F    PEM CA to trust for the mirror
  --os-mirror URL  the OS release's package archive (apt: where dists/ is; dnf: the root the version
                   table's repository paths are below), a URL or a directory; without it, OS package
                   metadata is read from --from laid out the same way
  --keyring FILE   OpenPGP keys (binary or armored) the archive's metadata must be signed with
  --skip KIND      leave out a kind of artifact (packages); the nodes then need them from elsewhere
  --out DIR        output directory (default: out)
  --cache DIR      verified files by sha256 (default: ~/.cache/kubeseed/artifacts)
  --list           print what the bundle needs (URLs, digests, images, OS packages) and exit; OS
                   packages get versions, digests and dependencies only with --os-mirror and --keyring`;

const SKIPPABLE = ['packages'] as const;

function parseSkip(values: string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of values ?? []) {
    for (const k of v.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (!(SKIPPABLE as readonly string[]).includes(k)) throw new UsageError(`--skip ${k}: not a kind this command can leave out (${SKIPPABLE.join(', ')})`);
      out.add(k);
    }
  }
  return out;
}

/** The profile's OS packages plan (null on Flatcar/FCOS, whose nodes install no packages). */
export function packagesFor(profile: Profile): OsPackagePlan | null {
  const os = profile.spec.os;
  return osPackagePlan({ family: os.family, version: os.version, arch: profile.spec.artifacts.arch, ntp: os.ntpServers.length > 0 });
}

export function artifactsFor(profile: Profile) {
  const spec = profile.spec;
  return neededArtifacts({
    kubernetesVersion: spec.kubernetes.version,
    arch: spec.artifacts.arch,
    ...(spec.containerd.version ? { containerdVersion: spec.containerd.version } : {}),
    osFamily: spec.os.family,
    source: spec.artifacts.source,
    imageRepository: spec.kubernetes.imageRepository,
  });
}

export async function bundleCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    mirror: { type: 'string' },
    'mirror-ca': { type: 'string' },
    out: { type: 'string', default: 'out' },
    cache: { type: 'string' },
    'os-mirror': { type: 'string' },
    keyring: { type: 'string' },
    skip: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io);
  if (typeof loaded === 'number') return loaded;
  const skip = parseSkip(values.skip);
  const osPlan = skip.has('packages') ? null : packagesFor(loaded.profile);
  const cacheDir = resolve(values.cache ?? join(homedir(), '.cache', 'kubeseed', 'artifacts'));
  const osMirror = values['os-mirror'] === undefined ? undefined : /^https?:\/\//.test(values['os-mirror']) ? values['os-mirror'] : resolve(values['os-mirror']);
  if (osMirror !== undefined && values.keyring === undefined) throw new UsageError('--os-mirror needs --keyring FILE: the archive\'s metadata is trusted only when its signature checks out');
  const artifacts = artifactsFor(loaded.profile).filter((a) => !(a.kind === 'package' && skip.has('packages')));
  if (values.list) {
    io.out(listBundle(artifacts.filter((a) => a.kind !== 'package' || !osMirror)).join('\n'));
    if (osPlan && osMirror && values.keyring) {
      const r = await resolvePackages({ plan: osPlan, osMirror, keyringFile: resolve(values.keyring), cacheDir });
      for (const f of r.files) io.out(`package ${f.name} ${f.version} ${f.arch} sha256:${f.sha256} ${f.repository} ${f.path}`);
      for (const n of r.present) io.out(`package ${n}: a minimal ${osPlan.release} install has it (not shipped)`);
    } else if (osPlan) {
      io.err(`note: OS packages are listed by name only; their versions, digests and dependencies need --os-mirror URL --keyring FILE`);
    }
    return EXIT.ok;
  }
  if (values.from === undefined && values.mirror === undefined && osMirror === undefined) {
    throw new UsageError(`give --from DIR, --mirror URL and/or --os-mirror URL\n\n${USAGE}`);
  }
  if (osPlan && values.keyring === undefined) {
    throw new UsageError(`OS packages (${osPlan.names.join(', ')}) need --keyring FILE (the ${osPlan.release} archive's signing keys: ${osPlan.repositories.keyring}) and --os-mirror URL, or --skip packages`);
  }
  if (values['mirror-ca'] !== undefined && values.mirror === undefined) throw new UsageError('--mirror-ca needs --mirror');
  const outDir = resolve(defaultBundleDir(resolve(values.out), loaded.profile.metadata.name));
  const progress = progressLine(io);
  const result = await buildBundle({
    artifacts,
    ...(values.from !== undefined ? { fromDir: resolve(values.from) } : {}),
    ...(values.mirror !== undefined ? { mirror: { url: values.mirror, ...(values['mirror-ca'] ? { caFile: resolve(values['mirror-ca']) } : {}) } } : {}),
    cacheDir,
    outDir,
    ...(osPlan ? { packages: { plan: osPlan, keyringFile: resolve(values.keyring!), ...(osMirror ? { osMirror } : {}) } } : {}),
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
