/**
 * Where a node's user-data goes when it is a VM: each platform's size limit and how it counts,
 * and what the plan changes to fit it. The render side (render/platforms.ts) writes the
 * platform's files and checks the size.
 */
export type Platform = 'nocloud' | 'ec2' | 'openstack' | 'vsphere' | 'proxmox' | 'libvirt';
export const PLATFORMS: readonly Platform[] = ['nocloud', 'ec2', 'openstack', 'vsphere', 'proxmox', 'libvirt'];

export interface PlatformFacts {
  readonly label: string;
  /** Largest user-data the platform takes, in bytes as the platform counts them; none when unlimited. */
  readonly limit?: number;
  /** The platform counts the base64 form (OpenStack's API takes user_data base64-encoded). */
  readonly countsBase64: boolean;
  /**
   * The shell scripts lose their comment lines, a quarter of a worker's user-data: on EC2 that
   * is what brings a worker's gzipped user-data under the limit. Elsewhere the node keeps the
   * comments, which say why each step is there.
   */
  readonly compactScripts: boolean;
}

export const PLATFORM_FACTS: Readonly<Record<Platform, PlatformFacts>> = Object.freeze({
  nocloud: { label: 'a NoCloud seed', countsBase64: false, compactScripts: false },
  // EC2 refuses user-data over 16 KiB, raw or gzipped, as sent.
  ec2: { label: 'EC2', limit: 16384, countsBase64: false, compactScripts: true },
  openstack: { label: 'OpenStack Nova', limit: 65535, countsBase64: true, compactScripts: false },
  // VMware's guestinfo keys are carried in the VM's configuration; 64 KiB keeps them reliable.
  vsphere: { label: 'vSphere guestinfo', limit: 65536, countsBase64: true, compactScripts: false },
  proxmox: { label: 'Proxmox cicustom', countsBase64: false, compactScripts: false },
  libvirt: { label: 'libvirt', countsBase64: false, compactScripts: false },
});
