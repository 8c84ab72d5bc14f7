/**
 * Where an offline bundle travels to a node on removable media, and in which order the node's
 * artifacts phase looks for it. One place for the names both sides must agree on: compile --iso
 * writes the media (src/emit/bundle-iso.ts, src/emit/seed-iso.ts), the artifacts phase searches
 * them (src/render/artifacts/files.ts).
 *
 * - shared (the default): the bundle is written once, as its own ISO 9660 image
 *   OUT/<cluster>.bundle/bundle.iso with volume id KSBUNDLE, attached to every node beside a small
 *   seed ISO (a second CD drive, a datastore ISO all VMs share). 200 nodes cost one bundle copy.
 * - seed: the bundle rides inside each node's seed ISO (cidata), as before: one medium per node,
 *   for a BMC with a single virtual CD slot.
 */

export type BundleMediumKind = 'shared' | 'seed';

/**
 * The bundle medium's volume id. Upper-case letters only: ISO 9660 d-characters, so the primary
 * volume descriptor needs no relaxed rules and the Joliet one holds the same name (libblkid may
 * report either). Eight characters: within the 11 of a FAT label, so
 * the same label works for a USB stick made by hand (`mkfs.vfat -n KSBUNDLE`), and within ext4's
 * 16. Nothing but [A-Z] means udev's /dev/disk/by-label/ link needs no \x escaping. It cannot be
 * taken for a seed: cloud-init's NoCloud looks for cidata/CIDATA, its ConfigDrive for config-2.
 */
export const BUNDLE_VOLUME_ID = 'KSBUNDLE';
/** A NoCloud seed's volume id, as cloud-init looks for it. */
export const SEED_VOLUME_ID = 'cidata';
/** The bundle medium's file name in OUT/<cluster>.bundle/. */
export const BUNDLE_ISO = 'bundle.iso';
/** The directory of a seed ISO that holds the bundle (seed) or the node's secrets (secrets/). */
export const SEED_KUBESEED_DIR = 'kubeseed';
/** The files of a bundle a medium carries, by their names in OUT/<cluster>.bundle/. */
export const BUNDLE_MEDIUM_FILES = ['kubeseed-bundle.tar', 'bundle.json', 'SHA256SUMS'] as const;

/** A medium the artifacts phase may find the bundle on. */
export interface BundleMediumPlace {
  /** The volume label the phase looks the device up by (blkid -L, /dev/disk/by-label/). */
  readonly label: string;
  /** Where it is mounted read-only while the phase reads it. */
  readonly mount: string;
  /** The bundle tar's path inside the medium. */
  readonly tar: string;
  /** What the log calls it. */
  readonly what: string;
}

const SHARED: BundleMediumPlace = { label: BUNDLE_VOLUME_ID, mount: '/run/kubeseed/bundle', tar: BUNDLE_MEDIUM_FILES[0], what: 'bundle medium' };
// The secrets phase mounts the seed ISO on the same directory.
const SEED: BundleMediumPlace = { label: SEED_VOLUME_ID, mount: '/run/kubeseed/seed', tar: `${SEED_KUBESEED_DIR}/${BUNDLE_MEDIUM_FILES[0]}`, what: 'seed ISO' };

/**
 * The media in the order the phase tries them: the one compile --iso wrote first, the other
 * after it, so a node still finds a bundle someone attached the other way (a seed from an older
 * compile, a bundle.iso beside a single-medium seed).
 */
export function bundleMediaOrder(kind: BundleMediumKind): readonly BundleMediumPlace[] {
  return kind === 'shared' ? [SHARED, SEED] : [SEED, SHARED];
}
