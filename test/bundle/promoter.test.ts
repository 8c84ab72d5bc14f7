/**
 * Every image digest in the version table is held to the registry.k8s.io promoter manifest line
 * it was copied from. The lines are transcribed, with the commit of kubernetes/k8s.io they were
 * read at, in test/fixtures/promoter/<staging project>.txt: a `# repo@commit path` header, then
 * `- name: <image>` and that image's `"sha256:<hex>": ["<tag>"]` dmap lines, verbatim.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_NAMES, versionTable } from '../../src/plan/versions.js';

const DIR = 'test/fixtures/promoter';

interface Promoter {
  header: string;
  /** image name → tag → digest */
  dmap: Map<string, Map<string, string>>;
}

function readPromoter(file: string): Promoter {
  const [first, ...lines] = readFileSync(join(DIR, file), 'utf8').trimEnd().split('\n');
  const h = /^# (kubernetes\/k8s\.io@[0-9a-f]{40} registry\.k8s\.io\/images\/[a-z0-9-]+\/images\.yaml)$/.exec(first ?? '');
  if (!h) throw new Error(`${file}: first line is not "# kubernetes/k8s.io@<commit> <path>"`);
  const dmap = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const l of lines) {
    const name = /^- name: ([a-z0-9-]+)$/.exec(l);
    if (name) {
      cur = new Map();
      dmap.set(name[1]!, cur);
      continue;
    }
    const d = /^ {4}"(sha256:[0-9a-f]{64})": \["([^"]+)"\]$/.exec(l);
    if (!d || !cur) throw new Error(`${file}: not a promoter dmap line: ${l}`);
    cur.set(d[2]!, d[1]!);
  }
  return { header: h[1]!, dmap };
}

/** The staging project whose images.yaml promotes each image (FACTS.md). */
const PROJECT: Record<string, string> = { etcd: 'k8s-staging-etcd', coredns: 'k8s-staging-coredns' };

describe('image digests against the promoter manifests', () => {
  const promoters = new Map(readdirSync(DIR).map((f) => [f.replace(/\.txt$/, ''), readPromoter(f)]));

  it('every image row of every release is the promoter line for its tag, and names it as its source', () => {
    const t = versionTable();
    let checked = 0;
    for (const e of Object.values(t.kubernetes)) {
      for (const name of IMAGE_NAMES) {
        const img = e.images[name];
        const p = promoters.get(PROJECT[name] ?? 'k8s-staging-kubernetes');
        const promoted = name === 'coredns' ? 'coredns' : img.path;
        const digest = p?.dmap.get(promoted)?.get(img.tag);
        expect(digest, `${e.version} ${name}:${img.tag}`).toBe(img.digest);
        expect(img.source).toBe(`${p!.header} images[name=${promoted}].dmap "${img.digest}": ["${img.tag}"]`);
        checked++;
      }
    }
    expect(checked).toBe(Object.keys(t.kubernetes).length * IMAGE_NAMES.length);
  });

  it('the fixture holds only lines the table uses (nothing transcribed for nothing)', () => {
    const used = new Set(Object.values(versionTable().kubernetes).flatMap((e) => Object.values(e.images).map((i) => i.digest)));
    for (const p of promoters.values()) for (const tags of p.dmap.values()) for (const d of tags.values()) expect(used.has(d), d).toBe(true);
  });
});
