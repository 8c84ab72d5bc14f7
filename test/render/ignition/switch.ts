/**
 * The example profiles moved to Flatcar or Fedora CoreOS the way a user would: change
 * spec.os (family, no version, iptables nft) and nothing else. Plus decoders for Ignition
 * configs and cloud-init user-data, so tests compare what a node receives, not encodings.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { buildPlan } from '../../../src/plan/build.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import type { PlanOptions } from '../../../src/plan/build.js';
import { givenPaths } from '../../../src/profile/given.js';
import { FAKE_SECRETS, profileFrom } from '../../builders/plan.js';

export const IGNITION_FAMILIES = ['flatcar', 'fcos'] as const;
export type IgnitionFamily = (typeof IGNITION_FAMILIES)[number];

export function switchedProfileText(path: string, family: IgnitionFamily): string {
  const doc = parse(readFileSync(path, 'utf8'));
  const { version: _dropped, ...os } = doc.spec.os;
  doc.spec.os = { ...os, family, iptables: 'nft' };
  return stringify(doc);
}

/** `extra`: more plan inputs (a version table, a CNI manifest). */
export function switchedPlan(path: string, family: IgnitionFamily, format?: 'cloud-init' | 'ignition', extra: Partial<PlanOptions> = {}): ClusterPlan {
  const text = switchedProfileText(path, family);
  return buildPlan(profileFrom(text), FAKE_SECRETS, {
    epoch: 1_700_000_000,
    given: givenPaths(parse(text)),
    ...(format ? { format } : {}),
    ...extra,
  });
}

/** What a node ends up with at a path: the bytes and the permission bits. */
export interface Received {
  readonly content: Buffer;
  readonly mode: number;
}

export function decodeDataUrl(source: string): Buffer {
  const prefix = 'data:;base64,';
  if (!source.startsWith(prefix)) throw new Error(`not a base64 data URL: ${source.slice(0, 40)}`);
  return Buffer.from(source.slice(prefix.length), 'base64');
}

interface IgnitionJson {
  storage: { files: { path: string; mode: number; contents: { source: string; compression?: string } }[] };
}

/** Each file as Ignition writes it: `compression: gzip` contents inflated. */
export function ignitionFiles(json: string): Map<string, Received> {
  const config = JSON.parse(json) as IgnitionJson;
  return new Map(config.storage.files.map((f) => {
    const raw = decodeDataUrl(f.contents.source);
    return [f.path, { content: f.contents.compression === 'gzip' ? gunzipSync(raw) : raw, mode: f.mode }];
  }));
}

interface WriteFile {
  path: string;
  permissions: string;
  content: string;
  encoding?: string;
}

export function userDataFiles(userData: string): Map<string, Received> {
  const config = parse(userData, { version: '1.1' }) as { write_files: WriteFile[] };
  const decode = (f: WriteFile): Buffer => {
    if (f.encoding === 'gz+b64') return gunzipSync(Buffer.from(f.content, 'base64'));
    return f.encoding === 'b64' ? Buffer.from(f.content, 'base64') : Buffer.from(f.content, 'utf8');
  };
  return new Map(config.write_files.map((f) => [f.path, { content: decode(f), mode: Number.parseInt(f.permissions, 8) }]));
}
