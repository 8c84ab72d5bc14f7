/**
 * Reading manifests: an OCI image index or Docker manifest list (one descriptor per platform), or
 * an OCI image manifest or Docker manifest v2 (config and layers). Only the fields kubeseed acts
 * on are checked; the bytes themselves are kept and copied as they are, since their sha256 is the
 * digest everything is pinned by.
 */
import { DIGEST_RE } from './digest.js';
import { DOCKER_LIST, DOCKER_MANIFEST, INDEX_TYPES, MANIFEST_TYPES, OCI_INDEX, OCI_MANIFEST } from './media-types.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
}

export type Manifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly config: Descriptor; readonly layers: readonly Descriptor[] };

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw new ManifestError(`${where} is not a descriptor`);
  if (typeof d.mediaType !== 'string') throw new ManifestError(`${where}.mediaType is missing`);
  if (typeof d.digest !== 'string' || !DIGEST_RE.test(d.digest)) {
    throw new ManifestError(`${where}.digest ${JSON.stringify(d.digest)} is not a sha256 digest (only sha256 is supported)`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ManifestError(`${where}.size is not a byte count`);
  const p = d.platform as Record<string, unknown> | undefined;
  const platform =
    p && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' ? { variant: p.variant } : {}) }
      : undefined;
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(platform ? { platform } : {}) };
}

/**
 * Parses manifest bytes. The media type is the document's own `mediaType` field, else the
 * Content-Type the registry sent, else what the shape says (OCI allows the field to be absent).
 */
export function parseManifest(bytes: Buffer, contentType?: string): Manifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError('the manifest is not JSON');
  }
  if (!doc || typeof doc !== 'object') throw new ManifestError('the manifest is not a JSON object');
  const header = contentType?.split(';')[0]?.trim();
  let mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : header && header !== 'application/json' ? header : undefined;
  mediaType ??= Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;
  if (doc.schemaVersion !== 2) {
    throw new ManifestError(`schemaVersion ${JSON.stringify(doc.schemaVersion)} (${mediaType}) is not supported: only schema 2 and OCI manifests are`);
  }
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError(`${mediaType} without manifests`);
    return { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (MANIFEST_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.layers)) throw new ManifestError(`${mediaType} without layers`);
    return {
      kind: 'manifest',
      mediaType,
      config: descriptor(doc.config, 'config'),
      layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
    };
  }
  throw new ManifestError(`media type ${mediaType} is not an image index or manifest (kubeseed reads ${[OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ')})`);
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The index entry for a Linux architecture, as containerd's default matcher picks it: the same os
 * and architecture; for arm64 the variant v8 or none. Attestation entries (`unknown/unknown`)
 * never match.
 */
export function selectPlatform(manifests: readonly Descriptor[], architecture: string): Descriptor | undefined {
  return manifests.find(
    (m) =>
      m.platform?.os === 'linux' &&
      m.platform.architecture === architecture &&
      (architecture !== 'arm64' || m.platform.variant === undefined || m.platform.variant === 'v8') &&
      MANIFEST_TYPES.includes(m.mediaType),
  );
}

/** The os and architecture an image config names (for images pinned to a single manifest). */
export function configPlatform(bytes: Buffer): Platform | undefined {
  try {
    const c = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (typeof c.os === 'string' && typeof c.architecture === 'string') {
      return { os: c.os, architecture: c.architecture, ...(typeof c.variant === 'string' ? { variant: c.variant } : {}) };
    }
  } catch {
    // Not JSON: the caller reports the image as unusable.
  }
  return undefined;
}
