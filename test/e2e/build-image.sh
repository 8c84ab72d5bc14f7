#!/usr/bin/env bash
# Builds (once) the Debian bookworm base image the e2e VMs boot, in two cached stages:
#   1. rootfs: debootstrap of image/packages.txt with the initramfs modules of
#      image/initramfs-modules, kept as .cache/e2e/rootfs-<key1>.tar (the slow part, minutes);
#   2. image:  that root file system plus the cloud-init config and the evidence report from
#      image/, made into an ext4 disk with `mkfs.ext4 -d` (no loop mounts), converted to qcow2,
#      with the kernel and initrd beside it for -kernel/-initrd: .cache/e2e/image-<key2>/.
# key1 hashes the package list, the initramfs modules, the suite, the mirror and STAGE1_VERSION
# (bump it when changing stage 1's code); key2 hashes key1, this script and everything in image/.
#
# Variant ifupdown (KUBESEED_E2E_IMAGE_VARIANT=ifupdown): stage 2 adds the packages of
# image-ifupdown/packages.txt from .debs (`apt-get download` on this host, cached in
# debs-ifupdown/), masks systemd-networkd and has cloud-init render with eni; the image is
# .cache/e2e/image-ifupdown-<key2>/ and the build fails if net-tools' route is in it.
#
# Usage: build-image.sh            prints the image directory (and nothing else) on stdout
# Env:   KUBESEED_E2E_MIRROR       Debian mirror (default: the first URIs of the host's apt sources)
#        KUBESEED_E2E_DISK_MB      size of the ext4 file system (default 6144; sparse)
#        KUBESEED_E2E_IMAGE_VARIANT  '' (systemd-networkd, the default) or ifupdown
# Exit:  0 built or cached, 1 failed, 77 cannot run here (not root, tools missing).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# Only the image directory goes to stdout (fd 3); every tool's chatter goes to stderr.
exec 3>&1 1>&2

need_root
need_cmds debootstrap:debootstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils chroot:coreutils \
  sha256sum:coreutils tar:tar

SUITE=bookworm
STAGE1_VERSION=1

mirror=${KUBESEED_E2E_MIRROR:-}
if [[ -z $mirror ]]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $1; exit}')
fi
if [[ -z $mirror ]]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
[[ -n $mirror ]] || { log "no Debian mirror found; set KUBESEED_E2E_MIRROR"; exit 1; }

key1=$({
  cat "$E2E_DIR/image/packages.txt" "$E2E_DIR/image/initramfs-modules"
  echo "$SUITE $mirror $STAGE1_VERSION"
} | sha256sum | cut -c1-16)
variant=${KUBESEED_E2E_IMAGE_VARIANT:-}
case $variant in
  '') image_prefix='image-' ;;
  ifupdown) image_prefix='image-ifupdown-' ;;
  *) log "KUBESEED_E2E_IMAGE_VARIANT must be empty or ifupdown, not $variant"; exit 2 ;;
esac
key2=$({
  echo "$key1"
  cat "$E2E_DIR/build-image.sh" "$E2E_DIR"/image/*
  [[ -z $variant ]] || { echo "$variant"; cat "$E2E_DIR/image-$variant"/*; }
} | sha256sum | cut -c1-16)
rootfs_tar=$CACHE_DIR/rootfs-$key1.tar
out=$CACHE_DIR/$image_prefix$key2

if [[ -f $out/done ]]; then
  log "base image cached: $out"
  echo "$out" >&3
  exit 0
fi

# Unmounts whatever is still mounted below $1 (debootstrap mounts /proc and /sys in the target
# and leaves them when it is killed), deepest first, so that rm -rf never walks into them.
unmount_below() {
  local m
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" || true
  done
}

mkdir -p "$CACHE_DIR/debs"
for stale in "$CACHE_DIR"/build-*.tmp; do
  [[ -d $stale ]] || continue
  unmount_below "$stale"
  rm -rf "$stale"
done
work=$CACHE_DIR/build-$key2.tmp
mkdir -p "$work"
root=$work/rootfs
trap 'unmount_below "$work"' EXIT
t0=$SECONDS

# ---- stage 1: the debootstrapped root file system ----
if [[ -f $rootfs_tar ]]; then
  log "root file system cached: $rootfs_tar"
else
  mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$E2E_DIR/image/packages.txt")
  log "debootstrap $SUITE from $mirror (${#packages[@]} packages; log: $work/debootstrap.log)"
  if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    --cache-dir="$CACHE_DIR/debs" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log"
    [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 30 "$root/debootstrap/debootstrap.log"
    exit 1
  fi
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$E2E_DIR/image/initramfs-modules" >>"$root/etc/initramfs-tools/modules"
  mount -t proc proc "$root/proc"
  chroot "$root" update-initramfs -u -k all >"$work/initramfs.log" 2>&1
  chroot "$root" apt-get clean
  {
    echo "suite=$SUITE"
    echo "mirror=$mirror"
    # shellcheck disable=SC2016 # dpkg-query expands these itself
    chroot "$root" dpkg-query -W -f='pkg=${Package} ${Version}\n' "${packages[@]}"
  } >"$root/.kubeseed-e2e-rootfs"
  umount "$root/proc"
  # The kernel modules the boot depends on must be in the initrd.
  initrd=$(cd "$root/boot" && ls initrd.img-*)
  chroot "$root" lsinitramfs "/boot/$initrd" >"$work/initrd.list"
  for m in virtio_blk virtio_pci ext4 ahci sr_mod isofs; do
    grep -q "/$m\.ko" "$work/initrd.list" || { log "initrd lacks $m"; exit 1; }
  done
  rm -rf "$root/var/lib/apt/lists/"* "$root/var/log/"*.log "$root/tmp/"*
  tar --numeric-owner --xattrs --acls -C "$root" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  for old in "$CACHE_DIR"/rootfs-*.tar; do
    [[ $old == "$rootfs_tar" ]] || rm -f "$old"
  done
  log "root file system built in $((SECONDS - t0)) s"
fi
t_stage1=$((SECONDS - t0))

# ---- stage 2: configure, make the disk ----
rm -rf "$root"
mkdir -p "$root"
tar --numeric-owner --xattrs --acls -C "$root" -xf "$rootfs_tar"
log "configuring the root file system"
install -m 0644 "$E2E_DIR/image/90-kubeseed-e2e.cfg" "$root/etc/cloud/cloud.cfg.d/90-kubeseed-e2e.cfg"
install -D -m 0755 "$E2E_DIR/image/report" "$root/usr/local/lib/kubeseed-e2e/report"
install -d -m 0755 "$root/usr/local/lib/kubeseed-e2e/evidence.d"
install -m 0644 "$E2E_DIR/image/kubeseed-e2e-report.service" "$root/etc/systemd/system/kubeseed-e2e-report.service"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
# An empty machine-id makes every boot of a fresh overlay a systemd first boot with its own id.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname"
# cloud-init's locale module runs update-locale (package locales) unless the file already says so.
printf 'LANG=C.UTF-8\n' >"$root/etc/default/locale"
printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$root/etc/apt/sources.list"
if [[ $variant == ifupdown ]]; then
  mapfile -t extra < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$E2E_DIR/image-ifupdown/packages.txt")
  vdebs=$CACHE_DIR/debs-ifupdown
  if [[ ! -f $vdebs/done ]]; then
    rm -rf "$vdebs"
    mkdir -p "$vdebs"
    (cd "$vdebs" && apt-get download -q "${extra[@]}" >"$work/apt-download.log" 2>&1) || { cat "$work/apt-download.log"; exit 1; }
    touch "$vdebs/done"
  fi
  cp "$vdebs"/*.deb "$root/tmp/"
  chroot "$root" sh -c 'dpkg -i /tmp/*.deb' >"$work/dpkg-variant.log" 2>&1 || { cat "$work/dpkg-variant.log"; exit 1; }
  rm -f "$root"/tmp/*.deb
  install -m 0644 "$E2E_DIR/image-ifupdown/91-kubeseed-e2e-ifupdown.cfg" "$root/etc/cloud/cloud.cfg.d/91-kubeseed-e2e-ifupdown.cfg"
  chroot "$root" systemctl mask systemd-networkd.service systemd-networkd.socket \
    systemd-networkd-wait-online.service >"$work/mask.log" 2>&1
  chroot "$root" systemctl enable networking.service systemd-resolved.service kubeseed-e2e-report.service >"$work/enable.log" 2>&1
  for tool in route ifconfig; do
    if chroot "$root" sh -c "command -v $tool" >/dev/null; then log "the ifupdown image must not have $tool (net-tools)"; exit 1; fi
  done
else
  chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service \
    kubeseed-e2e-report.service >"$work/enable.log" 2>&1
fi
chroot "$root" passwd -l root >/dev/null
# Packages the e2e bundle delivers (image/purge.txt): removed here so that the node's artifacts
# phase really installs them from the seed ISO's offline bundle (their libraries stay).
mapfile -t purge < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$E2E_DIR/image/purge.txt")
if ((${#purge[@]})); then
  chroot "$root" dpkg --purge "${purge[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; exit 1; }
fi

mkdir -p "$work/image"
cp "$root"/boot/vmlinuz-* "$work/image/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/image/initrd.img"
{
  cat "$root/.kubeseed-e2e-rootfs"
  echo "kernel=$(cd "$root/boot" && ls vmlinuz-*)"
  echo "rootfs=${rootfs_tar##*/}"
  echo "variant=${variant:-networkd}"
} >"$work/image/info"
rm -f "$root/.kubeseed-e2e-rootfs"

disk_mb=${KUBESEED_E2E_DISK_MB:-6144}
log "mkfs.ext4 -d ($disk_mb MiB, sparse) and qemu-img convert"
mkfs.ext4 -q -F -L kubeseed-root -d "$root" "$work/disk.raw" "${disk_mb}M"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/image/disk.qcow2"
rm -f "$work/disk.raw"
touch "$work/image/done"

rm -rf "$out"
mv "$work/image" "$out"
rm -rf "$work"
# Older images of this variant only (the default's names are image-<hex>).
for old in "$CACHE_DIR/$image_prefix"*; do
  [[ $old == "$out" ]] || [[ -z $variant && ${old#"$CACHE_DIR"/image-} == ifupdown-* ]] || rm -rf "$old"
done
log "base image built in $((SECONDS - t0)) s (root file system: ${t_stage1} s): $out"
echo "$out" >&3
