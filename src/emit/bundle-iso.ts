/**
 * The shared bundle medium: OUT/<cluster>.bundle/bundle.iso, an ISO 9660 image (volume id
 * KSBUNDLE) holding kubeseed-bundle.tar, bundle.json and SHA256SUMS at its root, written once for
 * every node instead of once per seed ISO.
 *
 * It lives beside the bundle it is made from, not in OUT/<cluster>/: that tree is staged and
 * renamed into place on every compile (and its predecessor kept as the next staging directory),
 * which would mean copying or linking gigabytes each time; and `kubeseed bundle` replaces
 * OUT/<cluster>.bundle/ whole, so a new bundle can never sit beside an old medium.
 *
 * A compile rewrites it only when what it is made from changed. bundle.iso.json records, for each
 * input file and for the image itself, its sha256 and a stat fingerprint (device, inode, size,
 * modification and change times in nanoseconds), plus the volume id, the timestamp and the
 * kubeseed version. When every fingerprint still matches, the image is kept and no byte of the
 * tar or the image is read: anything that writes to a file or replaces it changes its change
 * time, which, unlike the modification time (touch, cp -p, rsync), cannot be set back.
 * The image is written into a temporary directory beside it and renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_ISO, BUNDLE_MEDIUM_FILES, BUNDLE_VOLUME_ID } from '../plan/bundle-medium.js';
import { toJson } from '../render/serialize.js';
import { sha256File } from './bundle/digest.js';
import { isoFileFromPath, writeIso, type IsoFile } from './iso/index.js';
import { KUBESEED_VERSION } from './version.js';

/** What compile made from the bundle medium: for manifest.json and the CLI's line. */
export interface BundleIso {
  readonly path: string;
  readonly volumeId: string;
  readonly sha256: string;
  readonly size: number;
  /** Kept from an earlier compile: no byte was written. */
  readonly reused: boolean;
}

export interface BundleIsoOptions {
  readonly epochSeconds: number;
  readonly onProgress?: (written: number, total: number) => void;
}

/** The record beside the image: what it was made from. */
export const BUNDLE_ISO_RECORD = `${BUNDLE_ISO}.json`;
const RECORD_KIND = 'KubeseedBundleMedium';

interface Recorded {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** `dev:ino:size:mtimeNs:ctimeNs` when recorded. */
  readonly stat: string;
}

interface MediumRecord {
  readonly kind: typeof RECORD_KIND;
  readonly kubeseedVersion: string;
  readonly volumeId: string;
  readonly epoch: number;
  readonly files: readonly Recorded[];
  readonly iso: Recorded;
}

async function fingerprint(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return s.isFile() ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded image when it is still the one these inputs would give, else undefined. */
async function reusable(bundleDir: string, epoch: number): Promise<MediumRecord | undefined> {
  let rec: MediumRecord;
  try {
    rec = JSON.parse(await readFile(join(bundleDir, BUNDLE_ISO_RECORD), 'utf8')) as MediumRecord;
  } catch {
    return undefined;
  }
  if (rec?.kind !== RECORD_KIND || rec.kubeseedVersion !== KUBESEED_VERSION || rec.volumeId !== BUNDLE_VOLUME_ID || rec.epoch !== epoch) return undefined;
  if (!Array.isArray(rec.files) || rec.files.map((f) => f.path).join('\0') !== BUNDLE_MEDIUM_FILES.join('\0')) return undefined;
  for (const f of [...rec.files, rec.iso]) {
    if (typeof f?.path !== 'string' || (await fingerprint(join(bundleDir, f.path))) !== f.stat) return undefined;
  }
  return rec;
}

/** The file, hashed as the writer copies it (the ISO writer shows each piece to `observe`). */
function hashedWhileRead(file: IsoFile, hash: Hash): IsoFile {
  return { ...file, observe: (piece) => hash.update(piece) };
}

/**
 * Makes OUT/<cluster>.bundle/bundle.iso from the bundle beside it, or keeps the one there when
 * it was made from the same files with the same timestamp and kubeseed.
 */
export async function writeBundleIso(bundleDir: string, opts: BundleIsoOptions): Promise<BundleIso> {
  const target = join(bundleDir, BUNDLE_ISO);
  for (const name of BUNDLE_MEDIUM_FILES) {
    const p = join(bundleDir, name);
    if (!existsSync(p)) throw new Error(`${p} is missing: run "kubeseed bundle" first (artifacts.source is bundle)`);
  }
  const kept = await reusable(bundleDir, opts.epochSeconds);
  if (kept) return { path: target, volumeId: BUNDLE_VOLUME_ID, sha256: kept.iso.sha256, size: kept.iso.size, reused: true };

  const before = await Promise.all(BUNDLE_MEDIUM_FILES.map((n) => fingerprint(join(bundleDir, n))));
  const hashes = BUNDLE_MEDIUM_FILES.map(() => createHash('sha256'));
  const files = await Promise.all(BUNDLE_MEDIUM_FILES.map(async (n, i) => hashedWhileRead(await isoFileFromPath(join(bundleDir, n), n, 0o644), hashes[i]!)));
  const tmp = await mkdtemp(join(bundleDir, `.${BUNDLE_ISO}.tmp-`));
  try {
    const staged = join(tmp, BUNDLE_ISO);
    await writeIso(files, {
      volumeId: BUNDLE_VOLUME_ID,
      epochSeconds: opts.epochSeconds,
      mode: 0o644,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    }, staged);
    const after = await Promise.all(BUNDLE_MEDIUM_FILES.map((n) => fingerprint(join(bundleDir, n))));
    const changed = BUNDLE_MEDIUM_FILES.filter((_, i) => before[i] !== after[i]);
    if (changed.length > 0) throw new Error(`${join(bundleDir, changed[0]!)} changed while ${target} was written from it; compile again once kubeseed bundle is done`);
    const iso = await sha256File(staged);
    await rename(staged, target);
    // The rename may change the image's change time: its fingerprint is taken in place.
    const record: MediumRecord = {
      kind: RECORD_KIND,
      kubeseedVersion: KUBESEED_VERSION,
      volumeId: BUNDLE_VOLUME_ID,
      epoch: opts.epochSeconds,
      files: files.map((f, i) => ({ path: f.path, sha256: hashes[i]!.digest('hex'), size: f.size, stat: after[i]! })),
      iso: { path: BUNDLE_ISO, sha256: iso.sha256, size: iso.size, stat: (await fingerprint(target))! },
    };
    const recordTmp = join(tmp, BUNDLE_ISO_RECORD);
    await writeFile(recordTmp, toJson(record), { mode: 0o644 });
    await rename(recordTmp, join(bundleDir, BUNDLE_ISO_RECORD));
    return { path: target, volumeId: BUNDLE_VOLUME_ID, sha256: iso.sha256, size: iso.size, reused: false };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
