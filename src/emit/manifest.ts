/** manifest.json: every file kubeseed wrote, with its sha256 and mode, for review and audit. */
import { createHash } from 'node:crypto';
import type { OutputFile } from '../render/node.js';
import { toJson } from '../render/serialize.js';

export interface ManifestEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly mode: string;
}

export function manifestEntry(f: OutputFile): ManifestEntry {
  const bytes = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
  return manifestEntryOf(f.path, createHash('sha256').update(bytes).digest('hex'), bytes.byteLength, f.mode);
}

/** An entry for a file hashed elsewhere (the tree writer hashes on its own thread). */
export function manifestEntryOf(path: string, sha256: string, size: number, mode: number): ManifestEntry {
  return { path, sha256, size, mode: `0${mode.toString(8)}` };
}

export function renderManifest(cluster: string, entries: readonly ManifestEntry[]): string {
  const files = [...entries].sort((a, b) => (a.path < b.path ? -1 : 1));
  return toJson({ kind: 'KubeseedManifest', cluster, files });
}
