/**
 * Where user-data goes when a node is a VM: each platform's carrier, encoding and size limit.
 * Checked after rendering, so a node whose user-data is too large fails the compile with the way
 * out, instead of failing at boot with a truncated or refused user-data.
 */
import { gzipSync } from 'node:zlib';
import type { OutputFile } from './node.js';

export type Platform = 'nocloud' | 'ec2' | 'openstack' | 'vsphere' | 'proxmox' | 'libvirt';
export const PLATFORMS: readonly Platform[] = ['nocloud', 'ec2', 'openstack', 'vsphere', 'proxmox', 'libvirt'];

interface PlatformFacts {
  readonly label: string;
  /** Largest user-data the platform takes, in bytes as the platform counts them; none when unlimited. */
  readonly limit?: number;
  /** The platform counts the base64 form (OpenStack's API takes user_data base64-encoded). */
  readonly countsBase64: boolean;
}

const FACTS: Readonly<Record<Platform, PlatformFacts>> = Object.freeze({
  nocloud: { label: 'a NoCloud seed', countsBase64: false },
  ec2: { label: 'EC2', limit: 16384, countsBase64: false },
  openstack: { label: 'OpenStack Nova', limit: 65535, countsBase64: true },
  // VMware's guestinfo keys are carried in the VM's configuration; 64 KiB keeps them reliable.
  vsphere: { label: 'vSphere guestinfo', limit: 65536, countsBase64: true },
  proxmox: { label: 'Proxmox cicustom', countsBase64: false },
  libvirt: { label: 'libvirt', countsBase64: false },
});

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

/**
 * The platform's files for one node: `user-data.gz` with --gzip; for vSphere the guestinfo values
 * (base64, with their encoding named in the file name); then the size check.
 */
export function platformFiles(platform: Platform, userData: OutputFile, gzip: boolean): PlatformResult {
  const facts = FACTS[platform];
  const dir = userData.path.slice(0, userData.path.lastIndexOf('/'));
  const payload = gzip ? gzipUserData(userData.content) : userData.content;
  const files: OutputFile[] = [];
  if (gzip) files.push({ path: `${dir}/user-data.gz`, content: payload, mode: userData.mode });
  if (platform === 'vsphere') {
    const enc = gzip ? 'gzip+base64' : 'base64';
    files.push({ path: `${dir}/guestinfo.userdata.${enc}`, content: `${Buffer.from(payload).toString('base64')}\n`, mode: userData.mode });
  }
  if (facts.limit === undefined) return { files };
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const size = facts.countsBase64 ? base64Length(bytes) : bytes;
  if (size > facts.limit) {
    const what = `${dir}/user-data${gzip ? ' (gzip)' : ''} is ${size} bytes${facts.countsBase64 ? ' base64-encoded' : ''}`;
    const way = gzip ? 'boot from the seed ISO instead (--iso, or --platform nocloud)' : 'compile with --gzip (cloud-init reads gzip user-data), or boot from the seed ISO (--iso)';
    return { files, error: `${what}, over ${facts.label}'s ${facts.limit}-byte user-data limit; ${way}` };
  }
  return { files };
}

/** guestinfo.metadata.base64 beside the node's other files in `dir`, from its meta-data text. */
export function metaDataGuestinfo(dir: string, metaData: string): OutputFile {
  return { path: `${dir}/guestinfo.metadata.base64`, content: `${Buffer.from(metaData).toString('base64')}\n`, mode: 0o644 };
}
