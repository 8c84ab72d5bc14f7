import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { neededArtifacts } from '../../plan/artifacts.js';
import type { Profile } from '../../profile/schema/v1alpha1.js';
import { buildBundle, listBundle } from '../../emit/bundle/index.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { mib, progressBar, type ProgressBar } from '../progress.js';
import { sourceDateEpoch } from '../source-date-epoch.js';
import { defaultBundleDir, profileOrExit } from './pipeline.js';

const USAGE = `usage: kubeseed bundle PROFILE [--from DIR] [--mirror URL [--mirror-ca FILE]] [--out DIR] [--cache DIR]
       kubeseed bundle PROFILE --list

Builds the offline bundle the profile's nodes install from: OUT/<cluster>.bundle/ with
kubeseed-bundle.tar, SHA256SUMS and bundle.json. Every file is checked against the sha256 in
kubeseed's version table; a mismatch names the file and both digests and leaves no bundle.

  --from DIR       files fetched on a connected machine (by upstream file name; images/ for image tars)
  --mirror URL     an internal mirror of the upstream download paths (downloads resume)
  --mirror-ca F    PEM CA to trust for the mirror
  --out DIR        output directory (default: out)
  --cache DIR      verified files by sha256 (default: ~/.cache/kubeseed/artifacts)
  --list           print what the bundle needs (URLs, digests, images, OS packages) and exit`;

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
    list: { type: 'boolean', default: false },
  }, USAGE);
  const loaded = profileOrExit(onePositional(positionals, 'profile', USAGE), io);
  if (typeof loaded === 'number') return loaded;
  const artifacts = artifactsFor(loaded.profile);
  if (values.list) {
    io.out(listBundle(artifacts).join('\n'));
    return EXIT.ok;
  }
  if (values.from === undefined && values.mirror === undefined) {
    throw new UsageError(`give --from DIR and/or --mirror URL\n\n${USAGE}`);
  }
  if (values['mirror-ca'] !== undefined && values.mirror === undefined) throw new UsageError('--mirror-ca needs --mirror');
  const outDir = resolve(defaultBundleDir(resolve(values.out), loaded.profile.metadata.name));
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
    cacheDir: resolve(values.cache ?? join(homedir(), '.cache', 'kubeseed', 'artifacts')),
    outDir,
    sourceDateEpoch: sourceDateEpoch() ?? 0,
    onProgress: (e) => {
      if (e.type === 'download') barFor(`downloading ${e.artifact}`).update(e.bytes, e.total ?? undefined);
      else if (e.type === 'write') barFor('writing bundle').update(e.bytes, e.total);
    },
  });
  bar?.bar.done();
  for (const m of result.missingImages) io.err(`note: image ${m.ref} not supplied (expected ${m.fileName} under --from images/); the site's registry must serve it`);
  io.out(`${result.tarPath}: ${result.files.length} files, ${mib(result.bytes)}`);
  return EXIT.ok;
}
