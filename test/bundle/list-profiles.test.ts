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
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const images = r.out.split('\n').filter((l) => l.startsWith('image '));
    expect(images).toEqual(
      IMAGE_NAMES.map((n) => entry.images[n])
        .map((i) => `image   ${repo}/${i.path}:${i.tag} ${spec.artifacts?.arch ?? 'amd64'} ${i.digest}${repo === 'registry.k8s.io' ? '' : ` from registry.k8s.io/${i.path}:${i.tag}`}`)
        .sort(),
    );
    for (const l of images) expect(l).toMatch(/ sha256:[0-9a-f]{64}( from |$)/);
  });
});
