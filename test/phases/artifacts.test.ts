/**
 * The rendered artifacts phase, run for real against a bundle the test builds with kubeseed's own
 * bundle builder (plus a .deb made with dpkg-deb), in a throw-away root (see artifacts-root.ts):
 * it installs every file where the plan says with the right modes, a second run changes nothing,
 * and a tampered or missing file stops it before anything is installed, naming the file and both
 * digests.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../src/emit/bundle/index.js';
import { isoFileFromBuffer, isoFileFromPath, writeIso, type IsoFile } from '../../src/emit/iso/index.js';
import { writeBundleIso } from '../../src/emit/bundle-iso.js';
import { artifactFacts, isSiteImage, neededArtifacts } from '../../src/plan/artifacts.js';
import { writeImageArchive } from '../../src/emit/bundle/images.js';
import { ContentStore } from '../../src/oci/content-store.js';
import { buildTestImage } from '../oci/images.mjs';
import { storeBuiltImage } from '../oci/local-image.js';
import { buildPlan } from '../../src/plan/build.js';
import type { ClusterPlan } from '../../src/plan/types.js';
import { versionTable, type VersionTable } from '../../src/plan/versions.js';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import { artifactsFiles, renderArtifactsPhase } from '../../src/render/artifacts/files.js';
import { parseBundleManifest, type BundleManifest } from '../../src/plan/bundle-manifest.js';
import { containerdService, kubeadmDropIn, kubeletService } from '../../src/render/artifacts/units.js';
import { renderUnit } from '../../src/render/systemd/unit.js';
import { NODE_ENV_FILE, renderNodeEnv, scriptCommon } from '../../src/render/scripts/phases.js';
import { renderScript } from '../../src/render/scripts/template.js';
import { givenPaths } from '../../src/profile/given.js';
import { FAKE_SECRETS, profileFrom } from '../builders/plan.js';
import { hasTool, needRoot, needTools, run, type Skippable } from '../helpers/tools.js';
import { buildDeb, buildTgz, makeRoot, putFile, putNodeFiles, runInRoot, runInRootAsync, sha256Of, snapshot, type Root } from './artifacts-root.js';
import { nodeArtifacts } from '../../src/render/artifacts/list.js';


const BUNDLE_AT = '/opt/kubeseed/kubeseed-bundle.tar';
/** The lab profile from a bundle at a template path, with one site image (extraImages). */
const profileWith = (image: string) => readFileSync('profiles/lab.yaml', 'utf8').replace(
  '\n  nodes:\n',
  `\n  artifacts:\n    source: bundle\n    bundlePath: ${BUNDLE_AT}\n    extraImages: [ "${image}" ]\n  nodes:\n`,
);
const SITE_IMAGE = 'registry.kubeseed.test/site/busybox:1.0';
/**
 * Test stand-in for ctr (test/oci/containerd.test.ts runs the real one): `images import F` names
 * the image as containerd does an OCI layout's, by index.json's io.containerd.image.name, and
 * remembers its digest; `images ls name==REF` prints ctr's columns for it.
 */
const FAKE_CTR = `#!/bin/sh
for last; do :; done
db=/var/lib/fake-ctr/images
mkdir -p /var/lib/fake-ctr
case "$*" in
  *" images import "*)
    echo "ctr $* $(sha256sum <"$last" | cut -c1-64)" >>/var/log/fake-calls.log
    tar -xOf "$last" index.json | python3 -c 'import json, sys; m = json.load(sys.stdin)["manifests"][0]; print(m["annotations"]["io.containerd.image.name"], m["digest"])' >>"$db" ;;
  *" images ls "*)
    echo "ctr $*" >>/var/log/fake-calls.log
    echo "REF TYPE DIGEST SIZE PLATFORMS LABELS"
    [ -f "$db" ] || exit 0
    awk -v r="\${last#name==}" '$1 == r { d = $2 } END { if (d != "") print r, "application/vnd.oci.image.index.v1+json", d, "1.0", "MiB", "linux/amd64", "-" }' "$db" ;;
  *) exit 1 ;;
esac
`;
const script = (name: string) => `#!/bin/sh\necho ${name} test build\n`;

interface World {
  dir: string;
  /** The artifacts by upstream file name (what a mirror serves). */
  from: string;
  table: VersionTable;
  manifest: BundleManifest;
  plan: ClusterPlan;
  tar: string;
  /** Installed content by node path (binaries and archive members). */
  expected: Record<string, string>;
  debSha: string;
  /** The site image's archive in the bundle, its sha256 and index digest. */
  image: { path: string; sha256: string; digest: string };
  profile: string;
}

const TOOLS = ['unshare:util-linux', 'dpkg-deb:dpkg', 'python3:python3', 'busybox:busybox-static'] as const;

/** Whether the shared fixtures can be made (in beforeAll, where a test cannot be skipped). */
function canRun(): boolean {
  return process.getuid?.() === 0 && TOOLS.every((t) => hasTool(t.split(':')[0]!));
}

/** In each test: skipped (failed under CI) without root or a tool. */
function needAll(ctx: Skippable, ...more: readonly `${string}:${string}`[]): void {
  needTools(ctx, ...TOOLS, ...more);
  needRoot(ctx, 'the artifacts phase in a throw-away root');
}

async function makeWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-test-'));
  const from = join(dir, 'from');
  mkdirSync(from, { recursive: true });
  // The site image: a busybox index built here, written as kubeseed's own image archive.
  const built = buildTestImage({ dir: join(dir, 'image'), name: 'site' });
  const profile = profileWith(`${SITE_IMAGE}@${built.index.digest}`);
  const upstream = neededArtifacts({ kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'ubuntu' });
  const fileOf = (n: string) => upstream.find((a) => a.name === n)!.fileName!;
  const versionOf = (n: string) => upstream.find((a) => a.name === n)!.version;
  for (const n of ['kubeadm', 'kubelet', 'kubectl']) writeFileSync(join(from, fileOf(n)), script(n));
  writeFileSync(join(from, fileOf('runc')), script('runc'));
  const members = {
    containerd: { 'bin/containerd': [script('containerd'), 0o755], 'bin/containerd-shim-runc-v2': [script('shim'), 0o755], 'bin/ctr': [FAKE_CTR, 0o755] },
    'cni-plugins': { bridge: [script('bridge'), 0o755], loopback: [script('loopback'), 0o755], LICENSE: ['license text\n', 0o644] },
    crictl: { crictl: [script('crictl'), 0o755] },
  } as const satisfies Record<string, Record<string, [string, number]>>;
  for (const [n, files] of Object.entries(members)) copyFileSync(buildTgz(dir, fileOf(n), files), join(from, fileOf(n)));
  // The version table with these files' digests, as kubeseed's own table has upstream's.
  const raw = structuredClone(versionTable()) as VersionTable;
  for (const n of ['kubeadm', 'kubelet', 'kubectl', 'runc', 'containerd', 'cni-plugins', 'crictl'] as const) {
    raw.digests[n][versionOf(n)]!.amd64 = sha256Of(readFileSync(join(from, fileOf(n))));
  }
  const table = parseVersionTable(raw);
  const out = join(dir, 'bundle');
  const artifacts = neededArtifacts(artifactFacts(profileFrom(profile)), table);
  // The release's images are skipped and the site image is added below from this machine (no registry);
  // the pod network's manifest is compile's input, never the node's.
  await buildBundle({ artifacts: artifacts.filter((a) => !isSiteImage(a) && a.kind !== 'manifest'), fromDir: from, cacheDir: join(dir, 'cache'), outDir: out, sourceDateEpoch: 0, skip: ['images'] });
  // An OS package file, as the end-to-end bundle carries Debian's own .deb files.
  mkdirSync(join(dir, 'packages'));
  const deb = buildDeb(join(dir, 'packages'), 'kubeseed-test-tool', '1.0', 'opt/kubeseed-test/tool', 'a tool\n');
  const tar = join(out, 'kubeseed-bundle.tar');
  expect(run('tar', ['-rf', tar, '-C', dir, 'packages/kubeseed-test-tool_1.0_all.deb']).status).toBe(0);
  const debSha = sha256Of(readFileSync(deb));
  const manifest = parseBundleManifest(readFileSync(join(out, 'bundle.json'), 'utf8'));
  manifest.artifacts.push({
    name: 'package/kubeseed-test-tool', kind: 'package', version: '1.0', path: 'packages/kubeseed-test-tool_1.0_all.deb',
    sha256: debSha, size: statSync(deb).size,
  });
  // The site image's archive, as the images gatherer writes it, added to the bundle and its bundle.json.
  const site = artifacts.find((a) => a.ref === SITE_IMAGE)!;
  const store = new ContentStore(join(dir, 'cache'));
  const pulled = await storeBuiltImage(built, store, 'amd64', site.pull!);
  mkdirSync(join(dir, 'images'));
  const archive = await writeImageArchive(pulled, site.ref!, store, join(dir, site.bundlePath!), new Date(0));
  expect(run('tar', ['-rf', tar, '-C', dir, site.bundlePath!]).status).toBe(0);
  manifest.artifacts.push({
    name: site.name, kind: 'image', version: site.version, path: site.bundlePath!, sha256: archive.sha256, size: archive.bytes,
    ref: site.ref!, source: site.pull!, digest: built.index.digest, manifestDigest: built.manifests.amd64.digest, platform: 'linux/amd64',
  });

  const plan = buildPlan(profileFrom(profile), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(profile)), bundle: manifest, table });
  const expected: Record<string, string> = {
    '/usr/local/bin/kubeadm': script('kubeadm'),
    '/usr/local/bin/kubelet': script('kubelet'),
    '/usr/local/bin/kubectl': script('kubectl'),
    '/usr/local/sbin/runc': script('runc'),
    '/usr/local/bin/containerd': script('containerd'),
    '/usr/local/bin/containerd-shim-runc-v2': script('shim'),
    '/usr/local/bin/ctr': FAKE_CTR,
    '/opt/cni/bin/bridge': script('bridge'),
    '/opt/cni/bin/loopback': script('loopback'),
    '/usr/local/bin/crictl': script('crictl'),
  };
  return { dir, from, table, manifest, plan, tar, expected, debSha, image: { path: site.bundlePath!, sha256: archive.sha256, digest: built.index.digest }, profile };
}

/** A fresh root holding the node's files for the artifacts phase and the bundle at its template path. */
function rootFor(w: World, tar = w.tar): Root {
  const root = makeRoot();
  const node = w.plan.nodes[0]!;
  putNodeFiles(root, artifactsFiles(w.plan, node));
  putFile(root, `${w.plan.os.libDir}/lib.sh`, renderScript('lib', scriptCommon(w.plan)));
  putFile(root, NODE_ENV_FILE, renderNodeEnv(w.plan, node));
  putFile(root, `${w.plan.os.libDir}/phases/artifacts.sh`, renderArtifactsPhase(w.plan), 0o755);
  putFile(root, BUNDLE_AT, readFileSync(tar));
  return root;
}

/** A copy of the bundle tar with members replaced or dropped, re-packed with the system tar. */
function alteredTar(w: World, name: string, change: (tree: string) => void): string {
  const tree = join(w.dir, `${name}-tree`);
  mkdirSync(tree, { recursive: true });
  expect(run('tar', ['-xf', w.tar, '-C', tree]).status).toBe(0);
  change(tree);
  const out = join(w.dir, `${name}.tar`);
  const members = run('tar', ['-tf', w.tar]).stdout.split('\n').filter((m) => m && !m.endsWith('/'));
  const r = run('bash', ['-c', 'cd "$1" && shift && tar -cf "$0" --no-recursion $(for m; do [ -e "$m" ] && echo "$m"; done)', out, tree, ...members]);
  expect(r.status, r.stderr).toBe(0);
  return out;
}

/** An ISO image written by kubeseed's own writer, as bytes. */
async function isoBytes(files: IsoFile[], volumeId: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-iso-'));
  try {
    await writeIso(files, { volumeId, epochSeconds: 0 }, join(dir, 'image.iso'));
    return readFileSync(join(dir, 'image.iso'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const notLogs = (p: string) => p.startsWith('/var/log');
const calls = (root: Root) => readFileSync(root.host('/var/log/fake-calls.log'), 'utf8').trimEnd().split('\n');

describe('artifacts phase in a throw-away root', () => {
  let w: World;
  beforeAll(async () => {
    if (canRun()) w = await makeWorld();
  }, 60_000);

  it('installs every file with its mode, units, the package file and the image; a second run changes nothing', (ctx) => {
    needAll(ctx);
    const root = rootFor(w);
    const first = runInRoot(root, `${w.plan.os.libDir}/phases/artifacts.sh`);
    expect(first.status, first.stderr).toBe(0);

    for (const [path, content] of Object.entries(w.expected)) {
      expect(readFileSync(root.host(path), 'utf8'), path).toBe(content);
      expect((statSync(root.host(path)).mode & 0o7777).toString(8), path).toBe('755');
    }
    expect((statSync(root.host('/opt/cni/bin/LICENSE')).mode & 0o7777).toString(8)).toBe('644');
    const units: Record<string, string> = {
      '/etc/systemd/system/kubelet.service': renderUnit(kubeletService('/usr/local/bin')),
      '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf': renderUnit(kubeadmDropIn('/usr/local/bin', '/etc/default/kubelet')),
      '/etc/systemd/system/containerd.service': renderUnit(containerdService('/usr/local', w.plan.containerd.version)),
    };
    for (const [path, content] of Object.entries(units)) {
      expect(readFileSync(root.host(path), 'utf8'), path).toBe(content);
      expect((statSync(root.host(path)).mode & 0o7777).toString(8), path).toBe('644');
    }
    // The .deb went through the real dpkg into the root's copy of the package database.
    expect(readFileSync(root.host('/opt/kubeseed-test/tool'), 'utf8')).toBe('a tool\n');
    const status = readFileSync(root.host('/var/lib/dpkg/status'), 'utf8');
    expect(status).toMatch(/^Package: kubeseed-test-tool\nStatus: install ok installed\n/m);
    const ls = `ctr --address /run/containerd/containerd.sock -n k8s.io images ls name==${SITE_IMAGE}`;
    expect(calls(root)).toEqual([
      'systemctl daemon-reload',
      'systemctl is-enabled --quiet containerd',
      'systemctl enable containerd',
      'systemctl is-enabled --quiet kubelet',
      'systemctl enable kubelet',
      'systemctl is-active --quiet containerd',
      'systemctl start containerd',
      `ctr --address /run/containerd/containerd.sock -n k8s.io images import /var/lib/kubeseed/artifacts/stage/${w.image.path} ${w.image.sha256}`,
      ls,
    ]);
    expect(first.stderr).toMatch(/\[artifacts\] note: the bundle carries no image registry\.k8s\.io\/kube-apiserver:v1\.31\.12: the registry must serve it\n/);
    expect(first.stderr).toMatch(/\[artifacts\] verified the sha256 of 9 artifacts\n/);
    expect(first.stderr).toContain(`[artifacts] image ${SITE_IMAGE} imported\n`);
    expect(first.stderr).toContain('[artifacts] images: 1 references resolve to their pinned digests\n');
    // The staging copy of the bundle is gone once everything is installed.
    expect(() => statSync(root.host('/var/lib/kubeseed/artifacts/stage'))).toThrow();

    // The second run starts containerd again (a reboot empties /run) to check the image; the fake
    // systemctl's own state file is not an install.
    const unchanged = (p: string) => notLogs(p) || p.startsWith('/var/lib/fake-systemd/');
    const before = snapshot(root, unchanged);
    const second = runInRoot(root, `${w.plan.os.libDir}/phases/artifacts.sh`);
    expect(second.status, second.stderr).toBe(0);
    expect(snapshot(root, unchanged)).toEqual(before);
    expect(second.stderr).toMatch(/\[artifacts\] all 9 artifacts already installed\n/);
    expect(second.stderr).toMatch(/\[artifacts\] artifacts: 0 changes\n$/);
    // Nothing is imported again; the reference is checked again.
    expect(calls(root).slice(9)).toEqual(['systemctl is-enabled --quiet containerd', 'systemctl is-enabled --quiet kubelet', 'systemctl is-active --quiet containerd', 'systemctl start containerd', ls]);

    // Someone retags the reference: the phase stops before kubeadm, naming the image and both digests.
    const other = `sha256:${'0'.repeat(64)}`;
    writeFileSync(root.host('/var/lib/fake-ctr/images'), `${readFileSync(root.host('/var/lib/fake-ctr/images'), 'utf8')}${SITE_IMAGE} ${other}\n`);
    const third = runInRoot(root, `${w.plan.os.libDir}/phases/artifacts.sh`);
    expect(third.status).toBe(1);
    expect(third.stderr).toMatch(new RegExp(`\\[artifacts\\] FATAL: image ${SITE_IMAGE.replaceAll('.', '\\.')} resolves to ${other} in containerd, the plan pins ${w.image.digest}\\n$`));
  });

  it('refuses a tampered file before installing anything, naming the file and both digests', (ctx) => {
    needAll(ctx);
    const kubeadm = w.manifest.artifacts.find((a) => a.name === 'kubeadm')!;
    const evil = '#!/bin/sh\necho not the kubeadm kubeseed checked\n';
    const tar = alteredTar(w, 'tampered', (tree) => writeFileSync(join(tree, 'files/kubeadm'), evil));
    const root = rootFor(w, tar);
    const before = snapshot(root, notLogs);
    const r = runInRoot(root, `${w.plan.os.libDir}/phases/artifacts.sh`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`\\[artifacts\\] TAMPERED: files/kubeadm \\(kubeadm\\): sha256 mismatch: expected ${kubeadm.sha256}, actual ${sha256Of(evil)}\\n`));
    expect(r.stderr).toMatch(/\[artifacts\] FATAL: 1 of 9 artifacts missing or failing their sha256 check; nothing was installed\n$/);
    // Nothing outside kubeseed's own staging area changed: no binary, unit, package or image.
    const after = snapshot(root, (p) => notLogs(p) || p.startsWith('/var/lib/kubeseed/'));
    expect(after).toEqual(new Map([...before].filter(([p]) => !p.startsWith('/var/lib/kubeseed/'))));
  });

  it('names a file the bundle lacks, with the digest it expected', (ctx) => {
    needAll(ctx);
    const kubelet = w.manifest.artifacts.find((a) => a.name === 'kubelet')!;
    const tar = alteredTar(w, 'short', (tree) => rmSync(join(tree, 'files/kubelet')));
    const root = rootFor(w, tar);
    const r = runInRoot(root, `${w.plan.os.libDir}/phases/artifacts.sh`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`\\[artifacts\\] MISSING: files/kubelet \\(kubelet\\) not in the bundle; expected sha256 ${kubelet.sha256}\\n`));
    expect(() => statSync(root.host('/usr/local/bin/kubeadm'))).toThrow();
  });

  /**
   * Removable media, as compile --iso writes them (kubeseed's ISO writer): a seed ISO (cidata)
   * with or without the bundle under kubeseed/, and the shared bundle medium (KSBUNDLE).
   */
  const MEDIA_CASES: readonly {
    name: string;
    medium: 'shared' | 'seed';
    /** What the stand-in block devices hold: sr0 a seed ISO, sr1 the shared medium. */
    sr0?: 'seed' | 'seed with the bundle';
    sr1?: 'bundle medium';
    calls: readonly string[];
    /** The line naming where the bundle came from, or the FATAL line. */
    line: string;
  }[] = [
    {
      name: 'shared: the bundle medium by its label KSBUNDLE, beside a seed ISO without the bundle',
      medium: 'shared', sr0: 'seed', sr1: 'bundle medium',
      calls: ['blkid -L KSBUNDLE', 'mount -o ro /dev/sr1 /run/kubeseed/bundle', 'umount /run/kubeseed/bundle'],
      line: 'bundle on the bundle medium /dev/sr1 (label KSBUNDLE), mounted read-only on /run/kubeseed/bundle',
    },
    {
      name: 'shared: no KSBUNDLE device, the seed ISO (cidata) carries the bundle',
      medium: 'shared', sr0: 'seed with the bundle',
      calls: ['blkid -L KSBUNDLE', 'blkid -L cidata', 'mount -o ro /dev/sr0 /run/kubeseed/seed', 'umount /run/kubeseed/seed'],
      line: 'bundle on the seed ISO /dev/sr0 (label cidata), mounted read-only on /run/kubeseed/seed',
    },
    {
      name: 'seed: the seed ISO first; it has no bundle, so the bundle medium',
      medium: 'seed', sr0: 'seed', sr1: 'bundle medium',
      calls: ['blkid -L cidata', 'mount -o ro /dev/sr0 /run/kubeseed/seed', 'blkid -L KSBUNDLE', 'mount -o ro /dev/sr1 /run/kubeseed/bundle', 'umount /run/kubeseed/seed', 'umount /run/kubeseed/bundle'],
      line: 'bundle on the bundle medium /dev/sr1 (label KSBUNDLE), mounted read-only on /run/kubeseed/bundle',
    },
    {
      name: 'seed: the seed ISO carries the bundle',
      medium: 'seed', sr0: 'seed with the bundle', sr1: 'bundle medium',
      calls: ['blkid -L cidata', 'mount -o ro /dev/sr0 /run/kubeseed/seed', 'umount /run/kubeseed/seed'],
      line: 'bundle on the seed ISO /dev/sr0 (label cidata), mounted read-only on /run/kubeseed/seed',
    },
    {
      name: 'shared: no medium holds the bundle',
      medium: 'shared', sr0: 'seed',
      calls: ['blkid -L KSBUNDLE', 'blkid -L cidata', 'mount -o ro /dev/sr0 /run/kubeseed/seed', 'umount /run/kubeseed/seed'],
      line: 'FATAL: no offline bundle found (artifacts.source bundle): no device labelled KSBUNDLE (bundle medium); the seed ISO /dev/sr0 (label cidata) has no kubeseed/kubeseed-bundle.tar; no kubeseed.bundle= on the kernel command line',
    },
  ];

  it.for(MEDIA_CASES)('finds the bundle on removable media by volume label and logs the device: $name', async (c, ctx) => {
    needAll(ctx, 'xorriso:xorriso');
    const text = w.profile.replace(`    bundlePath: ${BUNDLE_AT}\n`, c.medium === 'seed' ? '    bundleMedium: seed\n' : '');
    const plan = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(text)), bundle: w.manifest, table: w.table });
    expect(plan.artifacts.bundleMedium).toBe(c.medium);
    const root = rootFor({ ...w, plan });
    const userData = isoFileFromBuffer('user-data', '#cloud-config\n');
    const images: Record<string, () => Promise<Buffer>> = {
      seed: async () => isoBytes([userData], 'cidata'),
      'seed with the bundle': async () => isoBytes([userData, await isoFileFromPath(w.tar, 'kubeseed/kubeseed-bundle.tar', 0o644)], 'cidata'),
      // The shared medium exactly as compile --iso writes it, from the bundle directory.
      'bundle medium': async () => readFileSync((await writeBundleIso(dirname(w.tar), { epochSeconds: 0 })).path),
    };
    const devices = { sr0: { label: 'cidata', holds: c.sr0 }, sr1: { label: 'KSBUNDLE', holds: c.sr1 } };
    for (const [dev, d] of Object.entries(devices)) if (d.holds) putFile(root, `/opt/media/${dev}.iso`, await images[d.holds]!());
    // This kernel has no iso9660 driver: blkid and mount are stand-ins. blkid names a device for
    // the label of each attached medium only; mount reads that device's image with xorriso into the
    // mount point, read-only afterwards.
    putFile(root, '/opt/fake/bin/blkid', [
      '#!/bin/sh', 'echo "blkid $*" >>/var/log/fake-calls.log', 'case "$1 $2" in',
      ...Object.entries(devices).filter(([, d]) => d.holds).map(([dev, d]) => `  "-L ${d.label}") echo /dev/${dev} ;;`),
      '  *) exit 2 ;;', 'esac', '',
    ].join('\n'), 0o755);
    putFile(root, '/opt/fake/bin/mount', [
      '#!/bin/sh', 'echo "mount $*" >>/var/log/fake-calls.log', '[ "$1 $2" = "-o ro" ] || exit 32',
      'xorriso -osirrox on -indev "/opt/media/${3#/dev/}.iso" -extract / "$4" >/dev/null 2>&1 && chmod -R a-w "$4"', '',
    ].join('\n'), 0o755);
    putFile(root, '/opt/fake/bin/umount', '#!/bin/sh\necho "umount $*" >>/var/log/fake-calls.log\n', 0o755);
    const before = snapshot(root, notLogs);
    const r = runInRoot(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(calls(root).filter((x) => /^(blkid|mount|umount) /.test(x))).toEqual(c.calls);
    if (c.line.startsWith('FATAL')) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`\\[artifacts\\] ${c.line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
      expect(snapshot(root, (p) => notLogs(p) || p.startsWith('/var/lib/kubeseed/'))).toEqual(new Map([...before].filter(([p]) => !p.startsWith('/var/lib/kubeseed/'))));
      return;
    }
    expect(r.status, r.stderr).toBe(0);
    const tar = c.line.includes('KSBUNDLE') ? '/run/kubeseed/bundle/kubeseed-bundle.tar' : '/run/kubeseed/seed/kubeseed/kubeseed-bundle.tar';
    expect(r.stderr).toContain(`[artifacts] ${c.line}\n`);
    expect(r.stderr).toContain(`[artifacts] bundle ${tar}: 9 of 9 needed files extracted\n`);
    expect(r.stderr).toMatch(/\[artifacts\] verified the sha256 of 9 artifacts\n/);
    expect(readFileSync(root.host('/usr/local/bin/kubeadm'), 'utf8')).toBe(w.expected['/usr/local/bin/kubeadm']);
  });

  it('a bundle without kubeadm still installs what it carries (the kubeadm phase reports the gap)', (ctx) => {
    needAll(ctx);
    const manifest = { ...w.manifest, artifacts: w.manifest.artifacts.filter((a) => a.name !== 'kubeadm') };
    const plan = buildPlan(profileFrom(w.profile), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(w.profile)), bundle: manifest, table: w.table });
    const root = rootFor({ ...w, plan, manifest }, alteredTar(w, 'nokubeadm', (tree) => rmSync(join(tree, 'files/kubeadm'))));
    const r = runInRoot(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[artifacts\] note: the bundle carries no kubeadm \(kubeadm\): not installed here\n/);
    expect(() => statSync(root.host('/usr/local/bin/kubeadm'))).toThrow();
    expect(readFileSync(root.host('/usr/local/bin/kubelet'), 'utf8')).toBe(w.expected['/usr/local/bin/kubelet']);
  });
});

describe('artifacts phase, source mirror, from a server on 127.0.0.1', () => {
  let w: World;
  let server: Server;
  let plan: ClusterPlan;
  const served = new Map<string, Buffer>();
  const requests: string[] = [];
  beforeAll(async () => {
    if (!canRun()) return;
    w = await makeWorld();
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = served.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body ?? 'not here\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const text = readFileSync('profiles/lab.yaml', 'utf8').replace(
      '\n  nodes:\n',
      `\n  artifacts:\n    source: mirror\n    mirror: { url: "http://127.0.0.1:${port}/mirror" }\n  nodes:\n`,
    );
    plan = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(text)), table: w.table });
    for (const f of nodeArtifacts(plan).files) served.set(new URL(f.url).pathname, readFileSync(join(w.from, f.file)));
  }, 60_000);
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  function mirrorRoot(): Root {
    const root = makeRoot();
    const node = plan.nodes[0]!;
    putNodeFiles(root, artifactsFiles(plan, node));
    putFile(root, `${plan.os.libDir}/lib.sh`, renderScript('lib', scriptCommon(plan)));
    putFile(root, NODE_ENV_FILE, renderNodeEnv(plan, node));
    putFile(root, `${plan.os.libDir}/phases/artifacts.sh`, renderArtifactsPhase(plan), 0o755);
    return root;
  }

  it('downloads each file from the mirror path, checks it, installs it; OS packages by name; a second run fetches nothing', async (ctx) => {
    needAll(ctx);
    const root = mirrorRoot();
    requests.length = 0;
    const first = await runInRootAsync(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(first.status, first.stderr).toBe(0);
    expect([...requests].sort()).toEqual([...served.keys()].sort());
    expect(requests).toContain('/mirror/release/v1.31.12/bin/linux/amd64/kubeadm');
    for (const [path, content] of Object.entries(w.expected)) {
      expect(readFileSync(root.host(path), 'utf8'), path).toBe(content);
      expect((statSync(root.host(path)).mode & 0o7777).toString(8), path).toBe('755');
    }
    // The packages this machine lacks went to apt-get by name (the phase asks dpkg-query first).
    const missing = ['conntrack', 'ebtables', 'ethtool', 'ipvsadm', 'socat'].filter(
      (p) => run('dpkg-query', ['-W', '-f=${Status}', p]).stdout !== 'install ok installed');
    const apt = calls(root).filter((c) => c.startsWith('apt-get'));
    expect(apt).toEqual(missing.length ? ['apt-get update -q', `apt-get install -y -q --no-install-recommends ${missing.join(' ')}`] : []);

    requests.length = 0;
    const before = snapshot(root, notLogs);
    const second = await runInRootAsync(root, `${plan.os.libDir}/phases/artifacts.sh`);
    expect(second.status, second.stderr).toBe(0);
    expect(requests).toEqual([]);
    expect(snapshot(root, notLogs)).toEqual(before);
    expect(second.stderr).toMatch(/\[artifacts\] artifacts: 0 changes\n$/);
  });

  it('refuses a file the mirror serves with other bytes, naming it and both digests', async (ctx) => {
    needAll(ctx);
    const url = '/mirror/release/v1.31.12/bin/linux/amd64/kubelet';
    const good = served.get(url)!;
    const evil = Buffer.from('#!/bin/sh\necho a kubelet from somewhere else\n');
    served.set(url, evil);
    try {
      const root = mirrorRoot();
      const r = await runInRootAsync(root, `${plan.os.libDir}/phases/artifacts.sh`);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`\\[artifacts\\] TAMPERED: kubelet \\(kubelet\\): sha256 mismatch: expected ${sha256Of(good)}, actual ${sha256Of(evil)}\\n`));
      expect(() => statSync(root.host('/usr/local/bin/kubeadm'))).toThrow();
    } finally {
      served.set(url, good);
    }
  });
});

describe('artifacts phase, source mirror over https with its own CA', () => {
  it('downloads through curl --cacert with the profile\'s caFile, and refuses a server that CA did not sign', async (ctx) => {
    needAll(ctx, 'openssl:openssl');
    const w = await makeWorld();
    // A CA and a server certificate for 127.0.0.1, made here with openssl.
    const pki = join(w.dir, 'pki');
    mkdirSync(pki);
    const ssl = (args: string[]) => expect(run('openssl', args, { cwd: pki }).status).toBe(0);
    ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubeseed test mirror CA']);
    ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
    ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=some other CA']);
    writeFileSync(join(pki, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'ext.cnf']);
    const served = new Map<string, Buffer>();
    const server = createHttpsServer({ key: readFileSync(join(pki, 'srv.key')), cert: readFileSync(join(pki, 'srv.crt')) }, (req, res) => {
      const body = served.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body ?? 'not here\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const caPath = '/etc/kubeseed-test/mirror-ca.crt';
      const text = readFileSync('profiles/lab.yaml', 'utf8').replace(
        '\n  nodes:\n',
        `\n  artifacts:\n    source: mirror\n    mirror: { url: "https://127.0.0.1:${port}/m", caFile: ${caPath} }\n  nodes:\n`,
      );
      const plan = buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(text)), table: w.table });
      for (const f of nodeArtifacts(plan).files) served.set(new URL(f.url).pathname, readFileSync(join(w.from, f.file)));
      const node = plan.nodes[0]!;
      const rootWith = (ca: boolean) => {
        const root = makeRoot();
        putNodeFiles(root, artifactsFiles(plan, node));
        putFile(root, `${plan.os.libDir}/lib.sh`, renderScript('lib', scriptCommon(plan)));
    putFile(root, NODE_ENV_FILE, renderNodeEnv(plan, node));
        putFile(root, `${plan.os.libDir}/phases/artifacts.sh`, renderArtifactsPhase(plan), 0o755);
        putFile(root, caPath, readFileSync(join(pki, ca ? 'ca.crt' : 'other.crt')));
        return root;
      };
      const good = rootWith(true);
      const r = await runInRootAsync(good, `${plan.os.libDir}/phases/artifacts.sh`);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(good.host('/usr/local/bin/kubeadm'), 'utf8')).toBe(w.expected['/usr/local/bin/kubeadm']);
      // With another CA in that file, curl refuses the server (status 60, not retried) and the
      // phase names what it could not get.
      const bad = rootWith(false);
      const f = await runInRootAsync(bad, `${plan.os.libDir}/phases/artifacts.sh`);
      expect(f.status).toBe(1);
      expect(f.stderr).toMatch(new RegExp(`\\[artifacts\\] download failed \\(curl status 60\\): https://127\\.0\\.0\\.1:${port}/m/release/v1\\.31\\.12/bin/linux/amd64/kubeadm\\n`));
      expect(f.stderr).toMatch(new RegExp(`\\[artifacts\\] MISSING: kubeadm \\(kubeadm\\) not in https://127\\.0\\.0\\.1:${port}/m/release/v1\\.31\\.12/bin/linux/amd64/kubeadm; expected sha256 [0-9a-f]{64}\\n`));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 120_000);
});
