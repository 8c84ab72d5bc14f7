/**
 * Where user-data goes when a node is a VM: each platform's carrier, encoding and size limit
 * (the facts are in plan/platforms.ts). Checked after rendering, so a node whose user-data is too
 * large fails the compile with the way out, instead of failing at boot with a truncated or
 * refused user-data.
 */
import { gzipSync } from 'node:zlib';
import { PLATFORM_FACTS, type Platform } from '../plan/platforms.js';
import type { OutputFile } from './node.js';

function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/**
 * gzip is deterministic here: zlib writes no file name and a zero mtime in the header, so the
 * same user-data always gives the same bytes. cloud-init detects gzip user-data by its magic.
 */
export function gzipUserData(userData: string | Uint8Array): Buffer {
  return gzipSync(typeof userData === 'string' ? Buffer.from(userData) : userData, { level: 9 });
}

export interface PlatformResult {
  readonly files: OutputFile[];
  /** Set when the user-data does not fit: the whole message, naming platform, size and way out. */
  readonly error?: string;
}

/** What to do when even the smallest form of a node's configuration is over the limit. */
function serveInstead(file: OutputFile, gzip: boolean): string {
  const secret = file.mode === 0o600 ? ' (it carries this node\'s secrets: keep the URL private and short-lived)' : '';
  if (file.path.endsWith('/ignition.json')) {
    return `serve ignition.json from a URL the node can reach${secret}, e.g. s3://BUCKET/KEY on EC2 (Ignition fetches it with the instance's role), `
      + 'and give the node as user-data only {"ignition":{"version":"3.3.0","config":{"replace":{"source":"URL"}}}}';
  }
  return `serve user-data${gzip ? '.gz' : ''} from a URL the node can reach${secret}, e.g. an S3 presigned URL on EC2, `
    + 'and give the node as user-data only the two lines "#include" and that URL (cloud-init fetches it and reads gzip too); '
    + 'or boot from the seed ISO (--iso) where the platform can attach one';
}

/**
 * The platform's files for one node: `user-data.gz` with --gzip; for vSphere the guestinfo values
 * (base64, with their encoding named in the file name); then the size check of what the platform
 * carries (user-data, or ignition.json, which Ignition reads uncompressed).
 */
export function platformFiles(platform: Platform, userData: OutputFile, gzip: boolean): PlatformResult {
  const facts = PLATFORM_FACTS[platform];
  const dir = userData.path.slice(0, userData.path.lastIndexOf('/'));
  const name = userData.path.slice(dir.length + 1);
  const payload = gzip ? gzipUserData(userData.content) : userData.content;
  const files: OutputFile[] = [];
  if (gzip) files.push({ path: `${dir}/user-data.gz`, content: payload, mode: userData.mode });
  if (platform === 'vsphere') {
    const enc = gzip ? 'gzip+base64' : 'base64';
    files.push({ path: `${dir}/guestinfo.userdata.${enc}`, content: `${Buffer.from(payload).toString('base64')}\n`, mode: userData.mode });
  }
  if (facts.limit === undefined) return { files };
  const limit = facts.limit;
  const counted = (bytes: number) => (facts.countsBase64 ? base64Length(bytes) : bytes);
  const size = counted(byteLength(payload));
  if (size <= limit) return { files };
  const what = `${dir}/${name}${gzip ? ' (gzip)' : ''} is ${size} bytes${facts.countsBase64 ? ' base64-encoded' : ''}`;
  let way: string;
  if (gzip || name !== 'user-data') way = serveInstead(userData, gzip);
  else {
    const gzipped = counted(gzipUserData(userData.content).byteLength);
    way = gzipped <= limit
      ? `compile with --gzip (cloud-init reads gzip user-data; ${gzipped} bytes here)`
      : `gzipped it is still ${gzipped} bytes: compile with --gzip and ${serveInstead(userData, true)}`;
  }
  return { files, error: `${what}, over ${facts.label}'s ${limit}-byte user-data limit; ${way}` };
}

function byteLength(content: string | Uint8Array): number {
  return typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
}

/** guestinfo.metadata.base64 beside the node's other files in `dir`, from its meta-data text. */
export function metaDataGuestinfo(dir: string, metaData: string): OutputFile {
  return { path: `${dir}/guestinfo.metadata.base64`, content: `${Buffer.from(metaData).toString('base64')}\n`, mode: 0o644 };
}
