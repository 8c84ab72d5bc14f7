/**
 * The binaries gatherer: kubeadm, kubelet, kubectl, runc (files) and containerd, CNI plugins,
 * crictl (archives), each from the --from directory, the content-addressed cache, or the mirror
 * (resumable downloads into the cache), each checked against the version table's sha256 (again
 * as it is copied into the tar).
 */
import { regularFileSize } from '../file-size.js';
import { makeOutputDir } from '../make-dir.js';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { mirrorUrl, type Artifact } from '../../plan/artifacts.js';
import type { ContentStore } from '../../oci/content-store.js';
import { DigestMismatchError, sha256File } from './digest.js';
import { downloadResumable } from './download.js';
import type { Gathered, GatherOptions } from './gathered.js';


function gathered(a: Artifact, source: string, size: number, label: string, from: Gathered['from']): Gathered {
  return { file: { artifact: a, path: a.bundlePath!, sha256: a.sha256!, size }, source, label, from };
}

async function resolveOne(a: Artifact, o: GatherOptions, store: ContentStore, caPem: string | undefined): Promise<Gathered | null> {
  if (!a.fileName || !a.bundlePath || !a.sha256) return null;
  if (o.fromDir) {
    for (const candidate of [join(o.fromDir, a.fileName), join(o.fromDir, a.bundlePath)]) {
      const size = await regularFileSize(candidate);
      if (size === null) continue;
      o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'dir', path: candidate });
      // compile reads the pod network's manifest from the cache too: a verified copy goes there.
      if (a.kind === 'manifest') await cacheCopy(candidate, a.sha256, store);
      return gathered(a, candidate, size, candidate, 'dir');
    }
  }
  const digest = `sha256:${a.sha256}`;
  const cached = store.path(digest);
  const cachedSize = await regularFileSize(cached);
  if (cachedSize !== null) {
    o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'cache', path: cached });
    return gathered(a, cached, cachedSize, `${a.fileName} (cache ${cached})`, 'cache');
  }
  if (o.mirror && a.url) {
    const url = mirrorUrl(o.mirror.url, a.url);
    const part = store.partialPath(digest);
    o.onProgress?.({ type: 'resolve', artifact: a.name, from: 'mirror', path: url });
    const { size } = await downloadResumable({
      url,
      dest: part,
      expectedSha256: a.sha256,
      label: `${a.fileName} (${url})`,
      ...(caPem ? { ca: caPem } : {}),
      ...o.download,
      onProgress: (p) => o.onProgress?.({ type: 'download', artifact: a.name, ...p }),
    });
    makeOutputDir(join(store.dir, 'sha256'));
    await fs.rename(part, cached);
    return gathered(a, cached, size, `${a.fileName} (cache ${cached})`, 'mirror');
  }
  return null;
}

/** Copies a small file into the cache under its sha256, checked first; a mismatch throws. */
async function cacheCopy(path: string, sha256: string, store: ContentStore): Promise<void> {
  const got = await sha256File(path);
  if (got.sha256 !== sha256) throw new DigestMismatchError(path, sha256, got.sha256);
  const part = store.partialPath(`sha256:${sha256}`);
  makeOutputDir(dirname(part));
  await fs.copyFile(path, part);
  makeOutputDir(join(store.dir, 'sha256'));
  await fs.rename(part, store.path(`sha256:${sha256}`));
}

/** Every binary, archive and pod-network manifest of `artifacts`; throws naming every one found nowhere. */
export async function gatherBinaries(artifacts: readonly Artifact[], o: GatherOptions, store: ContentStore): Promise<Gathered[]> {
  const caPem = o.mirror?.caFile ? await fs.readFile(o.mirror.caFile, 'utf8') : undefined;
  const out: Gathered[] = [];
  const missing: string[] = [];
  for (const a of artifacts) {
    if (a.kind !== 'binary' && a.kind !== 'archive' && a.kind !== 'manifest') continue;
    const r = await resolveOne(a, o, store, caPem);
    if (r) out.push(r);
    else missing.push(a.fileName ?? a.name);
  }
  if (missing.length > 0) {
    const looked = [o.fromDir ? `--from ${o.fromDir}` : null, `cache ${store.dir}`, o.mirror ? `mirror ${o.mirror.url}` : 'no mirror given']
      .filter(Boolean)
      .join(', ');
    throw new Error(`artifacts not found (${looked}): ${missing.join(', ')}`);
  }
  return out;
}
