import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { durationSeconds, goDuration } from '../../plan/duration.js';
import { PLATFORMS, type Platform } from '../../plan/platforms.js';
import type { ClusterPlan } from '../../plan/types.js';
import { patchedManifest } from '../../render/cni/files.js';
import { abandonTree, commitTree, finishStaged, recordStaged, stageTree, writeStaged } from '../../emit/tree.js';
import { writeBundleIso, type BundleIso } from '../../emit/bundle-iso.js';
import { writeSeedIso } from '../../emit/seed-iso.js';
import { BUNDLE_ISO } from '../../plan/bundle-medium.js';
import { renderDnsmasq } from '../../render/netboot/dnsmasq.js';
import { renderBootScript } from '../../render/netboot/ipxe.js';
import { renderMachineIndex } from '../../render/netboot/machines.js';
import { prepareState } from '../../state/load.js';
import { outputFormat } from '../../plan/build.js';
import { checkExpiry, tokenExpiryWarning } from '../../pki/expiry.js';
import { secretsFromState } from '../../state/plan-secrets.js';
import { tokenTtlWarning } from '../../pki/token.js';
import { baseUrl, onePositional, parse, UsageError } from '../args.js';
import { EXIT } from '../exit.js';
import { sourceDateEpoch } from '../source-date-epoch.js';
import type { Io } from '../io.js';
import { renderNodes, startRenderer, stopRenderer, type Renderer } from '../node-renderer.js';
import { progressBar } from '../progress.js';
import {
  builtBundle, cniManifestFor, defaultBundleDir, defaultCacheDir, defaultStateDir, offline, outputEpoch, planFor, profileOrExit, recordedDigests, stateOptions,
  type CliEnv,
} from './pipeline.js';

const USAGE = `usage: kubeseed compile PROFILE [--out DIR] [--state DIR] [--format cloud-init|ignition] [--iso]
                        [--platform nocloud|ec2|openstack|vsphere|proxmox|libvirt] [--gzip] [--netboot URL]
                        [--from DIR] [--cache DIR] [--offline]

Writes OUT/<cluster>/: nodes/<node>/{user-data,meta-data,network-config}, admin.conf and
manifest.json, all at once (a failed compile leaves the previous tree as it was).

  --out DIR      output directory (default: out)
  --state DIR    cluster state: CAs, keys, bootstrap token (default: OUT/<cluster>.state).
                 Made on the first compile and reused after; a damaged state is an error.
  --format F     cloud-init or ignition (default: by spec.os.family)
  --platform P   check user-data (or ignition.json) against the platform's size limit (ec2
                 16384 bytes, openstack 65535 base64, vsphere 65536 base64) and write its extra
                 files (vsphere: guestinfo.userdata.<encoding>, guestinfo.metadata.base64);
                 ec2 also drops the comment and blank lines of the node's scripts, to fit
  --gzip         also write user-data.gz (and check the limit against it); cloud-init only
  --iso          also write nodes/<node>/seed.iso (NoCloud, volume id cidata): its user-data
                 carries no secret, the node's secret files are on it under kubeseed/secrets/.
                 With artifacts.source bundle (run kubeseed bundle first) the bundle goes once
                 into OUT/<cluster>.bundle/bundle.iso (volume id KSBUNDLE, attached to every node
                 beside its seed; kept when the bundle did not change), or with
                 artifacts.bundleMedium seed into every seed ISO
  --netboot URL  where machines will fetch the tree over HTTP (kubeseed serve or any web server):
                 adds netboot/boot.ipxe and netboot/dnsmasq.conf for that URL. With spec.netboot in
                 the profile or this flag, every compile writes netboot/machines.json, each
                 machine's iPXE script (netboot/mac/, netboot/uuid/) and empty vendor-data files
  --from DIR     where the pod network's upstream manifest is (by its file name, e.g. calico.yaml);
                 otherwise compile looks in OUT/<cluster>.bundle/, then the cache, then downloads
                 it (artifacts source online or mirror). Without it the cluster gets no pod network
                 (a warning says so); with it, a file with another sha256 is an error.
  --cache DIR    verified files by sha256 (default: $KUBESEED_CACHE or ~/.cache/kubeseed/artifacts)
  --offline      download nothing (also KUBESEED_OFFLINE=1)

Every directory of OUT/<cluster>/ is 0700 and every file that carries a secret 0600. A compile
stops (exit 1) on an expired certificate it would ship (kubeseed state renew) and warns under
30 days left. Timestamps come from SOURCE_DATE_EPOCH, or else from the state's creation time.`;

export async function compileCommand(argv: string[], io: Io, env: CliEnv = {}): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', default: 'out' },
    state: { type: 'string' },
    format: { type: 'string' },
    iso: { type: 'boolean', default: false },
    platform: { type: 'string', default: 'nocloud' },
    gzip: { type: 'boolean', default: false },
    netboot: { type: 'string' },
    from: { type: 'string' },
    cache: { type: 'string' },
    offline: { type: 'boolean', default: false },
  }, USAGE);
  const file = onePositional(positionals, 'profile', USAGE);
  const format = values.format;
  if (format !== undefined && format !== 'cloud-init' && format !== 'ignition') {
    throw new UsageError(`--format must be cloud-init or ignition, got ${JSON.stringify(format)}`);
  }
  const platform = values.platform as Platform;
  if (!PLATFORMS.includes(platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}`);
  const netbootUrl = values.netboot === undefined ? undefined : baseUrl('--netboot', values.netboot);
  phase('start');
  // A large profile's second rendering thread starts now, to load while the profile is read.
  const renderer = startRenderer(sizeOf(file));
  try {
    return await compileProfile(file, { ...values, format, platform, netbootUrl }, io, renderer, env);
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
  readonly netbootUrl?: string | undefined;
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
  const envEpoch = sourceDateEpoch();
  const cluster = loaded.profile.metadata.name;
  const outDir = resolve(values.out);
  const stateDir = resolve(values.state ?? defaultStateDir(outDir, cluster));
  // Usage that depends on the profile is checked before the state is read or made.
  if (values.iso && outputFormat(loaded.profile, format) !== 'cloud-init') {
    throw new UsageError('--iso makes NoCloud seeds for cloud-init; Ignition nodes take ignition.json');
  }
  if (values.gzip && outputFormat(loaded.profile, format) !== 'cloud-init') {
    throw new UsageError('--gzip writes user-data.gz, which cloud-init reads; Ignition nodes take ignition.json uncompressed');
  }

  phase('load');
  const now = new Date();
  // A new state is written only when the tree is committed: a failed compile leaves none behind.
  const st = prepareState(stateDir, stateOptions(loaded.profile, now));
  for (const w of st.warnings) io.err(`warning: state: ${w}`);
  const external = loaded.profile.spec.controlPlane.etcd.topology === 'external';
  const expiry = checkExpiry(st.state, now, (name) => name !== 'apiserver-etcd-client.crt' || external);
  for (const w of expiry.warnings) io.err(`warning: state: ${w}`);
  if (expiry.errors.length > 0) {
    for (const e of expiry.errors) io.err(`error: state: ${e}`);
    return EXIT.failure;
  }
  const ttlWarning = tokenTtlWarning(durationSeconds(loaded.profile.spec.bootstrapToken.ttl));
  if (ttlWarning) io.err(`warning: ${ttlWarning}`);
  const expired = tokenExpiryWarning(st.state, now);
  if (expired) io.err(`warning: ${expired}`);

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
    epoch: outputEpoch(envEpoch, st.state.createdAt), platform,
    ...(format ? { format } : {}),
    ...(bundle ? { bundle } : {}),
    ...(values.netbootUrl ? { netbootUrl: values.netbootUrl } : {}),
    ...(env.table ? { table: env.table } : {}),
    ...(cni && 'text' in cni ? { cniManifest: cni } : {}),
    recordedDigests: recordedDigests(bundleDir),
  });
  const loose = unpinnedWarning(plan);
  if (loose) io.err(`warning: ${loose}`);
  // Patched now, before anything is staged: a manifest without an anchor fails the compile here.
  patchedManifest(plan);
  phase('plan');
  // Nodes are rendered one at a time and their files written into the staging tree by the thread
  // that rendered them, so memory does not grow with the cluster; nothing reaches out/<cluster>
  // unless every node succeeded.
  const tree = stageTree(outDir, cluster);
  // By node index: nodes may finish in any order, messages keep the plan's.
  const tooLarge: string[] = [];
  // With a network boot entry, the names and modes of every node's files, for netboot/machines.json.
  const written: { path: string; mode: number }[][] = [];
  try {
    writeStaged(tree, { path: 'admin.conf', content: st.state.adminConf, mode: 0o600 });
    for await (const { index, files, error } of renderNodes(plan, values.gzip, tree, renderer)) {
      if (error) tooLarge[index] = error;
      if (plan.netboot) written[index] = [...files];
    }
    if (plan.netboot) {
      writeStaged(tree, { path: 'netboot/machines.json', content: renderMachineIndex(plan, written), mode: 0o644 });
      if (plan.netboot.url !== undefined) {
        writeStaged(tree, { path: 'netboot/boot.ipxe', content: renderBootScript(plan), mode: 0o644 });
        writeStaged(tree, { path: 'netboot/dnsmasq.conf', content: renderDnsmasq(plan), mode: 0o644 });
      }
    }
    phase('render');
    finishStaged(tree);
    phase('write');
    if (tooLarge.length > 0) {
      abandonTree(tree);
      for (const e of tooLarge.filter((x) => x !== undefined)) io.err(`error: ${e}`);
      return EXIT.badInput;
    }
    let medium: BundleIso | undefined;
    if (values.iso) {
      // The bundle goes on media as the plan says: once, as the shared bundle medium beside the
      // bundle (kept when unchanged), or into every seed ISO.
      const bundleDir = defaultBundleDir(outDir, cluster);
      if (plan.artifacts.bundleMedium === 'shared') {
        const bar = progressBar(io, BUNDLE_ISO);
        medium = await writeBundleIso(bundleDir, { epochSeconds: plan.epoch, onProgress: (w, t) => bar.update(w, t) });
        bar.done();
        tree.bundleMedium = { path: relative(join(outDir, cluster), medium.path), volumeId: medium.volumeId, sha256: medium.sha256, size: medium.size };
      }
      const seedBundle = plan.artifacts.bundleMedium === 'seed' ? bundleDir : undefined;
      // A seed's user-data is not the tree's (it carries no secret: the ISO holds them apart), so
      // each node's seed files are rendered here, one node at a time.
      const { renderSeedFiles } = await import('../../render/node.js');
      for (const n of plan.nodes) {
        const node = n.name;
        const bar = progressBar(io, `seed.iso ${node}`);
        recordStaged(tree, await writeSeedIso(tree, {
          node,
          seed: renderSeedFiles(plan, n),
          ...(seedBundle ? { bundleDir: seedBundle } : {}),
          epochSeconds: plan.epoch,
          onProgress: (w, t) => bar.update(w, t),
        }));
        bar.done();
      }
      phase('iso');
    }
    st.commit();
    if (st.created) io.err(`state: created ${stateDir} (keep it: it holds the cluster's CAs)`);
    const target = await commitTree(tree, outDir, cluster, () => phase('commit'));
    phase('remove');
    // Every file the manifest lists, and the manifest itself.
    io.out(`${target}: ${plan.nodes.length} nodes, ${tree.entries.length + 1} files`);
    if (medium) io.out(`${medium.path}: bundle medium (volume id ${medium.volumeId}) for every node, ${medium.reused ? 'unchanged, kept' : 'written'}`);
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
