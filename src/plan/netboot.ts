/**
 * The network boot entry: the profile's spec.netboot over each family's defaults, and how the
 * booted OS finds the node's configuration. The README's netboot table mirrors DEFAULTS.
 */
import type { Profile } from '../profile/schema/v1alpha1.js';
import type { NetbootPlan, OsFamily } from './types.js';

type Arch = 'amd64' | 'arm64';

/** The names each distribution publishes its network boot files under (a site may rename them). */
interface FamilyNetboot {
  readonly kernel: (arch: Arch) => string;
  readonly initrd: (arch: Arch) => string[];
  /**
   * The NoCloud name cloud-init takes an http(s) seed under. Before cloud-init 24.1,
   * `ds=nocloud;s=http://…` is claimed by the local-stage datasource, which cannot fetch it, and
   * the network stage then exits ("datasource … in local mode"): only `ds=nocloud-net` works.
   * 24.1 accepts `ds=nocloud` for http seeds and deprecates `nocloud-net` (canonical/cloud-init
   * commit 34d2f75). Debian 12 ships 22.4, RHEL/Rocky 8 and 9 ship 23.4; Ubuntu 22.04 and 24.04
   * carry 24.1 or later through their stable release updates.
   */
  readonly config: 'nocloud' | 'nocloud-net' | 'flatcar' | 'coreos-installer';
}

/** Debian, Ubuntu and the RHEL family all publish their PXE kernel and initrd as vmlinuz and initrd.img. */
const PLAIN: Pick<FamilyNetboot, 'kernel' | 'initrd'> = { kernel: () => 'vmlinuz', initrd: () => ['initrd.img'] };
const FCOS_ARCH: Readonly<Record<Arch, string>> = { amd64: 'x86_64', arm64: 'aarch64' };

export const NETBOOT_DEFAULTS: Readonly<Record<OsFamily, FamilyNetboot>> = Object.freeze({
  ubuntu: { ...PLAIN, config: 'nocloud' },
  debian: { ...PLAIN, config: 'nocloud-net' },
  rocky: { ...PLAIN, config: 'nocloud-net' },
  rhel: { ...PLAIN, config: 'nocloud-net' },
  // Flatcar's "Booting via iPXE" guide: the PXE kernel and image of the release directory.
  flatcar: { kernel: () => 'flatcar_production_pxe.vmlinuz', initrd: () => ['flatcar_production_pxe_image.cpio.gz'], config: 'flatcar' },
  // Fedora CoreOS "Installing from PXE": fedora-coreos-<version>-live-kernel-<arch> and friends,
  // here without the version (a site links or renames the release it serves).
  fcos: {
    kernel: (a) => `fedora-coreos-live-kernel-${FCOS_ARCH[a]}`,
    initrd: (a) => [`fedora-coreos-live-initramfs.${FCOS_ARCH[a]}.img`],
    config: 'coreos-installer',
  },
});

const fcosRootfs = (arch: Arch): string => `fedora-coreos-live-rootfs.${FCOS_ARCH[arch]}.img`;

/** The bundle's file name as kubeseed bundle writes it, expected among the boot assets. */
export const BUNDLE_ASSET = 'kubeseed-bundle.tar';

/**
 * The boot entry, or undefined when the profile has no spec.netboot and no --netboot URL asked
 * for one. `format` is the output format the plan chose (an Ignition output boots like Flatcar or
 * FCOS whatever the family; a cloud-init one through NoCloud).
 */
export function netbootPlan(profile: Profile, format: 'cloud-init' | 'ignition', url: string | undefined): NetbootPlan | undefined {
  const given = profile.spec.netboot;
  if (!given && url === undefined) return undefined;
  const family = profile.spec.os.family;
  const arch = profile.spec.artifacts.arch;
  const d = NETBOOT_DEFAULTS[family];
  const kind = format === 'cloud-init'
    ? (d.config === 'nocloud' ? 'nocloud' : 'nocloud-net')
    : (family === 'flatcar' ? 'flatcar' : 'coreos-installer');
  const config: NetbootPlan['config'] = kind === 'flatcar' ? { kind }
    : kind === 'coreos-installer' ? { kind, rootfs: given?.rootfs ?? fcosRootfs(arch), installDevice: given?.installDevice ?? '/dev/sda' }
    : { kind: 'nocloud', datasource: kind };
  const artifacts = profile.spec.artifacts;
  const bundle = artifacts.source === 'bundle' && artifacts.bundlePath === undefined && config.kind !== 'coreos-installer';
  return {
    kernel: given?.kernel ?? d.kernel(arch),
    initrds: given?.initrd ?? d.initrd(arch),
    args: given?.args ?? [],
    config,
    ...(url === undefined ? {} : { url }),
    ...(bundle ? { bundle: BUNDLE_ASSET } : {}),
  };
}
