/**
 * A version table for tests: the shipped one with its CNI rows pointing at the hand-written
 * fixture manifests in test/fixtures/cni/ (their sha256, a URL under a test host), and image
 * digests made up for the test (sha256 of a label: clearly not an upstream digest). The shipped
 * table is untouched; the CLI takes this one only in-process (main's CliEnv).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVersionTable } from '../../src/plan/version-table-schema.js';
import { versionTable, type CniRelease, type VersionTable } from '../../src/plan/versions.js';

export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'cni');
export const FIXTURE_HOST = 'https://fixtures.kubeseed.invalid';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A made-up index digest for a reference: the sha256 of a label naming it a test value. */
export function testDigest(ref: string): string {
  return `sha256:${sha256(`kubeseed test digest for ${ref}`)}`;
}

export const MINORS = Object.keys(versionTable().kubernetes);

function release(file: string, url: string, images: readonly [string, string, string][], pinned: boolean, base: CniRelease): CniRelease {
  const bytes = readFileSync(join(FIXTURE_DIR, file));
  return {
    ...base,
    kubernetes: MINORS,
    kubernetesSource: 'test fixture',
    manifest: { url, fileName: base.manifest.fileName, sha256: sha256(bytes), bytes: bytes.length, source: `test fixture ${file}` },
    images: images.map(([registry, path, tag]) => ({
      registry, path, tag,
      digest: pinned ? testDigest(`${registry}/${path}:${tag}`) : null,
      source: pinned ? 'made up for the test' : 'none (test: trust on first use)',
    })),
  };
}

export interface FixtureOptions {
  /** The calico manifest file (default calico.yaml). */
  readonly calicoFile?: string;
  /** Whether calico's images carry digests in the table (default true). */
  readonly calicoPinned?: boolean;
}

export const CALICO_VERSION = 'v3.30.7';
export const FLANNEL_VERSION = 'v0.28.5';
export const CALICO_IMAGES: readonly [string, string, string][] = [
  ['docker.io', 'calico/cni', 'v3.30.7'], ['docker.io', 'calico/kube-controllers', 'v3.30.7'], ['docker.io', 'calico/node', 'v3.30.7'],
];
export const FLANNEL_IMAGES: readonly [string, string, string][] = [
  ['ghcr.io', 'flannel-io/flannel', 'v0.28.5'], ['ghcr.io', 'flannel-io/flannel-cni-plugin', 'v1.9.1-flannel1'],
];

/** One calico and one flannel release, each listing every Kubernetes minor the table has. */
export function fixtureTable(o: FixtureOptions = {}): VersionTable {
  const shipped = versionTable();
  const t = structuredClone(shipped) as { -readonly [K in keyof VersionTable]: VersionTable[K] };
  t.cni = {
    calico: {
      [CALICO_VERSION]: release(o.calicoFile ?? 'calico.yaml', `${FIXTURE_HOST}/projectcalico/calico/${CALICO_VERSION}/manifests/calico.yaml`, CALICO_IMAGES, o.calicoPinned ?? true, shipped.cni.calico[CALICO_VERSION]!),
    },
    flannel: {
      [FLANNEL_VERSION]: release('kube-flannel.yml', `${FIXTURE_HOST}/flannel-io/flannel/${FLANNEL_VERSION}/Documentation/kube-flannel.yml`, FLANNEL_IMAGES, true, shipped.cni.flannel[FLANNEL_VERSION]!),
    },
  };
  return parseVersionTable(t);
}

/** The profile text with its pod network set to `plugin` (replacing a `cni:` line it has). */
export function withPlugin(text: string, plugin: string, extra = ''): string {
  const line = `  cni: { plugin: ${plugin}${extra} }\n`;
  return /^ {2}cni:.*\n/m.test(text) ? text.replace(/^ {2}cni:.*\n/m, line) : text.replace(/^ {2}os:/m, `${line}  os:`);
}

/** The fixture manifest of a plugin, as compile would hand it to the plan. */
export function fixtureManifest(plugin: 'calico' | 'flannel'): { text: string; origin: string } {
  const file = plugin === 'calico' ? 'calico.yaml' : 'kube-flannel.yml';
  return { text: readFileSync(join(FIXTURE_DIR, file), 'utf8'), origin: `test fixture ${file}` };
}
