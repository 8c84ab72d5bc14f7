/**
 * `kubeseed bundle --list` of every example profile prints the seven images of its release with
 * the index digests the version table pins (each held to its promoter line by promoter.test.ts).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { IMAGE_NAMES, versionEntry } from '../../src/plan/versions.js';
import { cli } from '../helpers/cli.js';

const PROFILES = readdirSync('profiles').filter((f) => f.endsWith('.yaml')).sort();

describe('bundle --list of the example profiles', () => {
  it.each(PROFILES)('profiles/%s lists all seven images of its release with their digests', async (file) => {
    const path = `profiles/${file}`;
    const spec = (parse(readFileSync(path, 'utf8')) as { spec: { kubernetes: { version: string; imageRepository?: string }; artifacts?: { arch?: string } } }).spec;
    const entry = versionEntry(spec.kubernetes.version)!;
    const repo = spec.kubernetes.imageRepository ?? 'registry.k8s.io';
    const r = await cli('bundle', path, '--list');
    // OS packages are listed by name only without --os-mirror, and it says so.
    expect(r.err).toBe('note: OS packages are listed by name only; their versions, digests and dependencies need --os-mirror URL --keyring FILE\n');
    expect(r.code).toBe(0);
    // The release's images; the pod network's follow (test/cni).
    const paths = IMAGE_NAMES.map((n) => `/${entry.images[n].path}:`);
    const images = r.out.split('\n').filter((l) => l.startsWith('image ') && paths.some((p) => l.includes(p)));
    expect(images).toEqual(
      IMAGE_NAMES.map((n) => entry.images[n])
        .map((i) => `image   ${repo}/${i.path}:${i.tag} ${spec.artifacts?.arch ?? 'amd64'} ${i.digest}${repo === 'registry.k8s.io' ? '' : ` from registry.k8s.io/${i.path}:${i.tag}`}`)
        .sort(),
    );
    for (const l of images) expect(l).toMatch(/ sha256:[0-9a-f]{64}( from |$)/);
  });
});
