/**
 * The artifacts phase as rendered: golden files for a bundle, a mirror and an online profile;
 * shellcheck and cloud-init's schema on the variants the example profiles do not cover; the
 * node's artifact list (mirror URLs, Flatcar, a bundle.json that does not fit). Update the golden
 * files with `KUBESEED_UPDATE_GOLDEN=1 npx vitest run test/render/artifacts` and review the diff.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mirrorUrl } from '../../../src/emit/bundle/index.js';
import { artifactFacts, bundleProblems, neededArtifacts } from '../../../src/plan/artifacts.js';
import { buildPlan } from '../../../src/plan/build.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { givenPaths } from '../../../src/profile/given.js';
import { artifactsFiles } from '../../../src/render/artifacts/files.js';
import { parseBundleManifest, type BundleManifest } from '../../../src/plan/bundle-manifest.js';
import { nodeArtifacts } from '../../../src/render/artifacts/list.js';
import { nodeFiles, renderNodeOutputs } from '../../../src/render/node.js';
import { FAKE_SECRETS, planFromFile, profileFrom } from '../../builders/plan.js';
import { needTools, run } from '../../helpers/tools.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.KUBESEED_UPDATE_GOLDEN === '1';

function planOf(text: string, bundle?: BundleManifest): ClusterPlan {
  return buildPlan(profileFrom(text), FAKE_SECRETS, { epoch: 1_700_000_000, given: givenPaths(parse(text)), ...(bundle ? { bundle } : {}) });
}

const withArtifacts = (profile: string, block: string) =>
  readFileSync(profile, 'utf8').replace('\n  nodes:\n', `\n  artifacts:\n${block}\n  nodes:\n`);

const BUNDLE_PROFILE = withArtifacts('profiles/lab.yaml', '    source: bundle');
const FLATCAR_PROFILE = withArtifacts('profiles/lab.yaml', '    source: bundle').replace(/family: ubuntu\n\s+version: "24.04"/, 'family: flatcar');

/**
 * The bundle.json `kubeseed bundle` would write for BUNDLE_PROFILE with the pause image and
 * Debian's ipvsadm .deb supplied: binaries and archives at the version table's digests.
 */
function bundleManifest(): BundleManifest {
  const needed = neededArtifacts({ kubernetesVersion: 'v1.31.12', arch: 'amd64', osFamily: 'ubuntu' });
  const files = needed.filter((a) => a.kind === 'binary' || a.kind === 'archive' || a.name === 'image/pause');
  return parseBundleManifest(JSON.stringify({
    kind: 'KubeseedBundle',
    version: 2,
    kubernetesVersion: 'v1.31.12',
    arch: 'amd64',
    artifacts: [
      ...files.map((a) => ({
        name: a.name, kind: a.kind, version: a.version, path: a.bundlePath, sha256: a.sha256 ?? 'e'.repeat(64), size: 1000,
        ...(a.ref ? { ref: a.ref, source: a.pull, digest: a.digest, manifestDigest: `sha256:${'c'.repeat(64)}`, platform: 'linux/amd64' } : {}),
      })),
      { name: 'package/ipvsadm', kind: 'package', version: '1:1.31-1+b1', path: 'packages/ipvsadm_1.31-1+b1_amd64.deb', sha256: 'd'.repeat(64), size: 1000 },
    ],
    packages: [],
  }));
}

const GOLDEN: readonly (readonly [string, () => ClusterPlan])[] = [
  ['bundle', () => planOf(BUNDLE_PROFILE, bundleManifest())],
  ['mirror', () => planFromFile('profiles/external-etcd.yaml')],
  ['online', () => planFromFile('profiles/ha.yaml')],
];

describe.each(GOLDEN)('%s profile', (name, make) => {
  const plan = make();
  const node = plan.nodes[0]!;
  const files = nodeFiles(plan, node).filter((f) =>
    f.path === `${plan.os.libDir}/phases/artifacts.sh` || artifactsFiles(plan, node).some((a) => a.path === f.path));

  it.each(files.map((f) => f.path))('%s matches its golden file', (path) => {
    const text = String(files.find((f) => f.path === path)!.content);
    const golden = join(HERE, 'golden', name, node.name, path);
    if (UPDATE) {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, text);
    }
    if (!existsSync(golden)) throw new Error(`missing golden file ${golden}: run npm run golden:update and review it`);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('the phase comes right after preflight and secrets, before os, which uses the packages it installs', () => {
    expect(node.phases.slice(0, 4)).toEqual(['preflight', 'secrets', 'artifacts', 'os']);
  });
});

describe('variants the example profiles do not cover', () => {
  const variants = [['bundle', planOf(BUNDLE_PROFILE, bundleManifest())], ['bundle without bundle.json', planOf(BUNDLE_PROFILE)], ['flatcar', planOf(FLATCAR_PROFILE)]] as const;

  it.for(variants)('%s: the phase script passes shellcheck', ([, plan], ctx) => {
    needTools(ctx, 'shellcheck:shellcheck');
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-sc-'));
    const script = join(dir, 'artifacts.sh');
    writeFileSync(script, String(nodeFiles(plan, plan.nodes[0]!).find((f) => f.path.endsWith('/phases/artifacts.sh'))!.content));
    const r = run('shellcheck', ['--severity=style', '--shell=bash', script]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.for(variants)('%s: systemd-analyze verify accepts the units as the phase installs them', ([, plan], ctx) => {
    needTools(ctx, 'systemd-analyze:systemd');
    const node = plan.nodes[0]!;
    const list = nodeArtifacts(plan);
    // A root with the host's unit library, the installed binaries (stand-ins) and the units at their targets.
    const root = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-units-'));
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    if (existsSync('/usr/lib/systemd/system')) cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    const put = (path: string, content: string, mode: number) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
      chmodSync(join(root, path), mode);
    };
    for (const f of list.files) {
      if (f.kind === 'binary') put(f.installTo, '#!/bin/sh\n', 0o755);
      if (f.name === 'containerd') put(`${f.installTo}/bin/containerd`, '#!/bin/sh\n', 0o755);
    }
    put('/sbin/modprobe', '#!/bin/sh\n', 0o755);
    const script = String(nodeFiles(plan, node).find((f) => f.path.endsWith('/phases/artifacts.sh'))!.content);
    const arr = (name: string) => [...new RegExp(`^${name}=\\((.*)\\)$`, 'm').exec(script)![1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const [srcs, dsts] = [arr('UNIT_SRCS'), arr('UNIT_DSTS')];
    const staged = artifactsFiles(plan, node);
    srcs.forEach((src, i) => put(dsts[i]!, String(staged.find((f) => f.path === src)!.content), 0o644));
    const units = dsts.filter((d) => d.endsWith('.service'));
    expect(units.length).toBeGreaterThan(0);
    const r = run('systemd-analyze', ['verify', `--root=${root}`, ...units]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bundle: user-data still passes cloud-init schema', (ctx) => {
    needTools(ctx, 'cloud-init:cloud-init');
    const plan = variants[0][1];
    const dir = mkdtempSync(join(tmpdir(), 'kubeseed-artifacts-ci-'));
    const userData = renderNodeOutputs(plan, plan.nodes[0]!).find((f) => f.path.endsWith('/user-data'))!;
    writeFileSync(join(dir, 'user-data'), userData.content);
    const r = run('cloud-init', ['schema', '--config-file', join(dir, 'user-data')]);
    expect(r.stdout.trim()).toBe(`Valid cloud-config: ${join(dir, 'user-data')}`);
    expect(r.status).toBe(0);
  });
});

describe('nodeArtifacts', () => {
  it('mirror: every download URL is the one kubeseed bundle uses for that mirror', () => {
    const plan = planFromFile('profiles/external-etcd.yaml');
    const list = nodeArtifacts(plan);
    const needed = neededArtifacts({ kubernetesVersion: plan.kubernetes.version, arch: 'amd64', containerdVersion: plan.containerd.version, osFamily: 'rocky' });
    expect(list.files.map((f) => f.name)).toEqual(['kubeadm', 'kubectl', 'kubelet', 'runc', 'cni-plugins', 'containerd', 'crictl']);
    for (const f of list.files) {
      const a = needed.find((n) => n.name === f.name)!;
      expect(f.url).toBe(mirrorUrl('https://artifacts.example.internal/kubeseed', a.url!));
      expect(f.sha256).toBe(a.sha256);
    }
    expect(list.files.find((f) => f.name === 'kubeadm')!.url).toBe('https://artifacts.example.internal/kubeseed/release/v1.31.12/bin/linux/amd64/kubeadm');
    const script = String(nodeFiles(plan, plan.nodes[0]!).find((f) => f.path.endsWith('/phases/artifacts.sh'))!.content);
    expect(script).toContain(`PKG_NAMES=(${plan.os.packages.map((n) => `'${n}'`).join(' ')})`);
    // Rocky's names (iproute, not iproute2), and chrony: the profile sets NTP servers.
    expect(plan.os.packages).toEqual(['ca-certificates', 'conntrack', 'curl', 'ebtables', 'ethtool', 'iproute', 'iptables', 'ipvsadm', 'kmod', 'socat', 'chrony']);
  });

  it('mirror with a CA: curl trusts that CA file and nothing else is changed', () => {
    const text = readFileSync('profiles/external-etcd.yaml', 'utf8').replace(
      'mirror: { url: "https://artifacts.example.internal/kubeseed" }',
      'mirror: { url: "https://artifacts.example.internal/kubeseed", caFile: /etc/pki/ca-trust/source/anchors/mirror.crt }',
    );
    const plan = planOf(text);
    const script = String(nodeFiles(plan, plan.nodes[0]!).find((f) => f.path.endsWith('/phases/artifacts.sh'))!.content);
    const golden = readFileSync(join(HERE, 'golden/mirror/etcd1/usr/local/lib/kubeseed/phases/artifacts.sh'), 'utf8');
    expect(script).toBe(golden.replace("CA_FILE=''", "CA_FILE='/etc/pki/ca-trust/source/anchors/mirror.crt'"));
  });

  it('flatcar: containerd and runc come with the OS; binaries go to /opt/bin; no containerd unit', () => {
    const plan = planOf(FLATCAR_PROFILE);
    const list = nodeArtifacts(plan);
    expect(list.files.filter((f) => f.kind !== 'image').map((f) => [f.name, f.installTo])).toEqual([
      ['kubeadm', '/opt/bin/kubeadm'], ['kubectl', '/opt/bin/kubectl'], ['kubelet', '/opt/bin/kubelet'],
      ['cni-plugins', '/opt/cni/bin'], ['crictl', '/opt/bin'],
    ]);
    expect(artifactsFiles(plan, plan.nodes[0]!).map((f) => f.path)).toEqual([
      '/etc/kubeseed/units/kubelet.service', '/etc/kubeseed/units/10-kubeadm.conf', '/etc/crictl.yaml',
    ]);
  });

  it('bundle without bundle.json: the plan\'s files at their bundle paths; images checked by their pinned index digest', () => {
    const plan = planOf(BUNDLE_PROFILE);
    const list = nodeArtifacts(plan);
    const table = plan.artifacts.needed.filter((a) => a.kind === 'image');
    expect(list.files.map((f) => [f.file, f.url, f.sha256 === '' ? '' : 'sha256', f.ref, f.digest])).toEqual([
      ['files/kubeadm', '', 'sha256', '', ''], ['files/kubectl', '', 'sha256', '', ''], ['files/kubelet', '', 'sha256', '', ''], ['files/runc.amd64', '', 'sha256', '', ''],
      ['files/cni-plugins-linux-amd64-v1.8.0.tgz', '', 'sha256', '', ''], ['files/containerd-1.7.30-linux-amd64.tar.gz', '', 'sha256', '', ''], ['files/crictl-v1.31.1-linux-amd64.tar.gz', '', 'sha256', '', ''],
      ...table.map((a) => [a.bundlePath, '', '', a.ref, a.digest]),
    ]);
    expect(list.files.find((f) => f.name === 'image/pause')).toMatchObject({ ref: 'registry.k8s.io/pause:3.10', digest: 'sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a' });
    expect(list.notes).toEqual([]);
  });

  it('mirror and online nodes leave images to kubelet', () => {
    expect(nodeArtifacts(planFromFile('profiles/ha.yaml')).files.filter((f) => f.kind === 'image')).toEqual([]);
  });

  it('bundle with bundle.json: exactly its files, package files first; images it lacks are noted', () => {
    const list = nodeArtifacts(planOf(BUNDLE_PROFILE, bundleManifest()));
    expect(list.files.map((f) => f.name)).toEqual([
      'package/ipvsadm', 'kubeadm', 'kubectl', 'kubelet', 'runc', 'cni-plugins', 'containerd', 'crictl', 'image/pause',
    ]);
    expect(list.notes).toContain('the bundle carries no image registry.k8s.io/kube-apiserver:v1.31.12: the registry must serve it');
  });

  it('refuses a bundle.json for another version, with a digest other than the table, a binary it cannot place, or another image digest', () => {
    const profile = profileFrom(BUNDLE_PROFILE);
    const facts = artifactFacts(profile);
    const needed = neededArtifacts(facts);
    const good = bundleManifest();
    expect(bundleProblems(needed, facts, good)).toEqual([]);
    const kubeadm = good.artifacts.find((a) => a.name === 'kubeadm')!;
    const pause = good.artifacts.find((a) => a.name === 'image/pause')!;
    const other = `sha256:${'9'.repeat(64)}`;
    const bad: BundleManifest = {
      ...good,
      kubernetesVersion: 'v1.30.13',
      artifacts: [
        ...good.artifacts.map((a) => (a.name === 'kubeadm' ? { ...a, sha256: 'f'.repeat(64) } : a.name === 'image/pause' ? { ...a, digest: other } : a)),
        { name: 'helm', kind: 'binary', version: '3', path: 'files/helm', sha256: 'a'.repeat(64), size: 1 },
      ],
    };
    expect(bundleProblems(needed, facts, bad)).toEqual([
      'the bundle is for Kubernetes v1.30.13 amd64, the profile wants v1.31.12 amd64: run kubeseed bundle again',
      `files/kubeadm: the bundle lists kubeadm with sha256 ${'f'.repeat(64)}, the version table has ${kubeadm.sha256} for v1.31.12 amd64`,
      `${pause.path}: the bundle has registry.k8s.io/pause:3.10@${other}, the profile wants registry.k8s.io/pause:3.10@${pause.digest}: run kubeseed bundle again`,
      'files/helm: the bundle lists helm (binary), which this profile does not install',
    ]);
    expect(() => planOf(BUNDLE_PROFILE, bad)).toThrow(/^bundle\.json does not fit profile lab:\n {2}the bundle is for Kubernetes v1\.30\.13/);
  });

  it('parseBundleManifest rejects paths that leave the bundle and duplicate paths', () => {
    const text = (artifacts: object[]) => JSON.stringify({ kind: 'KubeseedBundle', version: 2, kubernetesVersion: 'v1.31.12', arch: 'amd64', artifacts });
    const entry = (path: string) => ({ name: 'kubeadm', kind: 'binary', version: 'v1.31.12', path, sha256: 'a'.repeat(64), size: 1 });
    expect(() => parseBundleManifest(text([entry('../etc/passwd')]))).toThrow(/artifacts\.0\.path: a relative path without "\.\."/);
    expect(() => parseBundleManifest(text([entry('/files/kubeadm')]))).toThrow(/artifacts\.0\.path/);
    expect(() => parseBundleManifest(text([entry('files/kubeadm'), entry('files/kubeadm')]))).toThrow('bundle.json: files/kubeadm is listed twice');
    expect(parseBundleManifest(text([entry('files/kubeadm')])).artifacts[0]!.path).toBe('files/kubeadm');
  });
});
