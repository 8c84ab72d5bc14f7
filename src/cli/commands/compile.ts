import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { durationSeconds, goDuration } from '../../plan/duration.js';
import type { ClusterPlan } from '../../plan/types.js';
import { patchedManifest } from '../../render/cni/files.js';
import type { OutputFile } from '../../render/node.js';
import { PLATFORMS, type Platform } from '../../render/platforms.js';
import { abandonTree, commitTree, finishStaged, recordStaged, stageTree, writeStaged } from '../../emit/tree.js';
import { writeSeedIso } from '../../emit/seed-iso.js';
import { loadOrCreateState } from '../../state/load.js';
import { secretsFromState } from '../../state/plan-secrets.js';
import { tokenTtlWarning } from '../../pki/token.js';
import { onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import type { Io } from '../io.js';
import { renderNodes, startRenderer, stopRenderer, type Renderer } from '../node-renderer.js';
import { mib, progressLine } from '../progress.js';
import {
  builtBundle, cniManifestFor, defaultBundleDir, defaultCacheDir, defaultStateDir, offline, outputEpoch, planFor, profileOrExit, recordedDigests, stateOptions,
  type CliEnv,
} from './pipeline.js';

const USAGE = `usage: kubeseed compile PROFILE [--out DIR] [--state DIR] [--format cloud-init|ignition] [--iso]
                        [--platform nocloud|ec2|openstack|vsphere|proxmox|libvirt] [--gzip]
                        [--from DIR] [--cache DIR] [--offline]

Writes OUT/<cluster>/: nodes/<node>/{user-data,meta-data,network-config}, admin.conf and
manifest.json, all at once (a failed compile leaves the previous tree as it was).

  --out DIR      output directory (default: out)
  --state DIR    cluster state: CAs, keys, bootstrap token (default: OUT/<cluster>.state).
                 Made on the first compile and reused after; a damaged state is an error.
  --format F     cloud-init or ignition (default: by spec.os.family)
  --platform P   check user-data against the platform's size limit (ec2 16384 bytes, openstack
                 65535 base64, vsphere 65536 base64) and write its extra files (vsphere:
                 guestinfo.userdata.<encoding>, guestinfo.metadata.base64)
  --gzip         also write user-data.gz (and check the limit against it)
  --iso          also write nodes/<node>/seed.iso (NoCloud, volume id cidata); with
                 artifacts.source bundle it carries OUT/<cluster>.bundle/ (run kubeseed bundle first)
  --from DIR     where the pod network's upstream manifest is (by its file name, e.g. calico.yaml);
                 otherwise compile looks in OUT/<cluster>.bundle/, then the cache, then downloads
                 it (artifacts source online or mirror). Without it the cluster gets no pod network
                 (a warning says so); with it, a file with another sha256 is an error.
  --cache DIR    verified files by sha256 (default: $KUBESEED_CACHE or ~/.cache/kubeseed/artifacts)
  --offline      download nothing (also KUBESEED_OFFLINE=1)

Timestamps come from SOURCE_DATE_EPOCH, or else from the state's creation time.`;

export async function compileCommand(argv: string[], io: Io, env: CliEnv = {}): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    format: { type: 'string' },
    iso: { type: 'boolean', default: false },
    platform: { type: 'string', default: 'nocloud' },
    gzip: { type: 'boolean', default: false },
    from: { type: 'string' },
    cache: { type: 'string' },
    offline: { type: 'boolean', default: false },
  }, USAGE);
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const file = onePositional(positionals, 'profile', USAGE);
  const format = values.format;
  if (format !== undefined && format !== 'cloud-init' && format !== 'ignition') {
    throw new UsageError(`--format must be cloud-init or ignition, got ${JSON.stringify(format)}`);
  }
  const platform = values.platform as Platform;
  if (!PLATFORMS.includes(platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}`);
  phase('start');
  // A large profile's second rendering thread starts now, to load while the profile is read.
  const renderer = startRenderer(sizeOf(file));
  try {
    return await compileProfile(file, { ...values, format, platform }, io, renderer, env);
  } finally {
    await stopRenderer(renderer);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

interface CompileOptions {
  readonly out: string;
  readonly state?: string | undefined;
  readonly format?: 'cloud-init' | 'ignition' | undefined;
  readonly platform: Platform;
  readonly iso: boolean;
  readonly gzip: boolean;
  readonly from?: string | undefined;
  readonly cache?: string | undefined;
  readonly offline: boolean;
}

/** Loud, once: images the pod network's manifest names by tag only. */
function unpinnedWarning(plan: ClusterPlan): string | undefined {
  if (plan.cni.plugin === 'none') return undefined;
  const loose = plan.cni.images.filter((i) => i.digest === null);
  if (loose.length === 0) return undefined;
  return `${plan.cni.plugin} ${plan.cni.version} images not pinned by digest: ${loose.map((i) => i.ref).join(', ')}: the version table has no digest for them `
    + 'and no bundle.json recorded one, so nodes pull whatever the tags point to. kubeseed bundle records the digest it pulls (trust on first use); compile again after it to pin them';
}

async function compileProfile(file: string, values: CompileOptions, io: Io, renderer: Renderer | undefined, env: CliEnv): Promise<number> {
  const { format, platform } = values;
  const loaded = profileOrExit(file, io, env.table);
  if (typeof loaded === 'number') return loaded;
  const cluster = loaded.profile.metadata.name;
  const outDir = resolve(values.out);
  const stateDir = resolve(values.state ?? defaultStateDir(outDir, cluster));

  phase('load');
  const st = loadOrCreateState(stateDir, stateOptions(loaded.profile, new Date()));
  for (const w of st.warnings) io.err(`warning: state: ${w}`);
  if (st.created) io.err(`state: created ${stateDir} (keep it: it holds the cluster's CAs)`);
  const ttlWarning = tokenTtlWarning(durationSeconds(loaded.profile.spec.bootstrapToken.ttl));
  if (ttlWarning) io.err(`warning: ${ttlWarning}`);

  phase('state');
  const secrets = secretsFromState(st.state, goDuration(durationSeconds(loaded.profile.spec.bootstrapToken.ttl)));
  const bundle = builtBundle(loaded.profile, defaultBundleDir(outDir, cluster));
  if (loaded.profile.spec.artifacts.source === 'bundle' && !bundle) {
    io.err(`note: no ${defaultBundleDir(outDir, cluster)}/bundle.json yet; nodes expect the version table's files (run kubeseed bundle before --iso)`);
  }
  // The pod network's upstream manifest is read (or downloaded) here, at the edge; planning and
  // patching are pure. Without it the cluster gets no pod network, said loudly, and no failure.
  const bundleDir = defaultBundleDir(outDir, cluster);
  const cni = await cniManifestFor(loaded.profile, {
    bundleDir, fromDir: values.from === undefined ? undefined : resolve(values.from), cacheDir: resolve(values.cache ?? defaultCacheDir()), offline: offline(values.offline), table: env.table,
  });
  if (cni && 'missing' in cni) io.err(`warning: ${cni.missing}`);
  phase('cni');
  const plan = planFor(loaded, secrets, {
    epoch: outputEpoch(st.state.createdAt),
    ...(format ? { format } : {}),
    ...(bundle ? { bundle } : {}),
    ...(env.table ? { table: env.table } : {}),
    ...(cni && 'text' in cni ? { cniManifest: cni } : {}),
    recordedDigests: recordedDigests(bundleDir),
  });
  const loose = unpinnedWarning(plan);
  if (loose) io.err(`warning: ${loose}`);
  // Patched now, before anything is staged: a manifest without an anchor fails the compile here.
  patchedManifest(plan);
  if (values.iso && plan.os.format !== 'cloud-init') throw new UsageError('--iso makes NoCloud seeds for cloud-init; Ignition nodes take ignition.json');
  phase('plan');
  // Nodes are rendered one at a time and their files written into the staging tree by the thread
  // that rendered them, so memory does not grow with the cluster; nothing reaches out/<cluster>
  // unless every node succeeded.
  const tree = stageTree(outDir, cluster);
  // By node index: nodes may finish in any order, messages and seeds keep the plan's.
  const tooLarge: string[] = [];
  // Only the seed files' names and modes are kept: their bytes are read back from the staging
  // tree when the ISOs are written, so memory does not grow with the cluster.
  const seeds: { node: string; files: Omit<OutputFile, 'content'>[] }[] = [];
  try {
    writeStaged(tree, { path: 'admin.conf', content: st.state.adminConf, mode: 0o600 });
    for await (const { index, files, error } of renderNodes(plan, platform, values.gzip, tree, renderer)) {
      if (error) tooLarge[index] = error;
      if (values.iso) seeds[index] = { node: plan.nodes[index]!.name, files: files.filter((f) => /\/(user-data|meta-data|network-config)$/.test(f.path)) };
    }
    phase('render');
    finishStaged(tree);
    phase('write');
    if (tooLarge.length > 0) {
      abandonTree(tree);
      for (const e of tooLarge.filter((x) => x !== undefined)) io.err(`error: ${e}`);
      return EXIT.badInput;
    }
    if (values.iso) {
      const bundleDir = plan.artifacts.source === 'bundle' && plan.artifacts.bundlePath === undefined
        ? defaultBundleDir(outDir, cluster) : undefined;
      const progress = progressLine(io);
      for (const { node, files } of seeds) {
        recordStaged(tree, await writeSeedIso(tree, {
          node,
          seed: files.map((f) => ({ ...f, content: readFileSync(join(tree.dir, f.path)) })),
          ...(bundleDir ? { bundleDir } : {}),
          epochSeconds: plan.epoch,
          onProgress: (w, t) => progress.update(`seed.iso ${node}: ${mib(w)} of ${mib(t)}`),
        }));
      }
      progress.done();
      phase('iso');
    }
    const target = await commitTree(tree, outDir, cluster, () => phase('commit'));
    phase('remove');
    // Every file the manifest lists, and the manifest itself.
    io.out(`${target}: ${plan.nodes.length} nodes, ${tree.entries.length + 1} files`);
    return EXIT.ok;
  } catch (e) {
    // Both rendering threads have stopped writing: renderNodes ends the worker before it returns.
    abandonTree(tree);
    throw e;
  }
}

/**
 * Marks the end of a phase on the global performance timeline (kubeseed:compile:<name>), where
 * the benchmark reads them; nothing is printed and the cost is a few microseconds.
 */
function phase(name: string): void {
  if (name === 'start') performance.clearMarks();
  performance.mark(`kubeseed:compile:${name}`);
}
