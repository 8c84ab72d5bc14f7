#!/usr/bin/env bash
# Builds (once) the Debian bookworm base image the e2e VMs boot: a debootstrapped root file
# system with systemd, cloud-init, containerd and the kubeadm prerequisites, made into an ext4
# disk with `mkfs.ext4 -d` (no loop mounts) and converted to qcow2, plus the kernel and initrd
# to boot it with -kernel/-initrd. The result is cached under .cache/e2e/image-<key>/, keyed
# by a hash of this script and of everything under image/ (package list, cloud-init config,
# evidence report and its unit), so editing any of them rebuilds it; lib.sh is not in the key.
#
# Usage: build-image.sh            prints the image directory on stdout
# Env:   KUBESEED_E2E_MIRROR       Debian mirror (default: the first URIs of the host's apt sources)
#        KUBESEED_E2E_DISK_MB      size of the ext4 file system (default 6144; sparse)
# Exit:  0 built or cached, 1 failed, 77 cannot run here (not root, tools missing).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Only the image directory goes to stdout (fd 3); every tool's chatter goes to stderr.
exec 3>&1 1>&2

need_root
need_cmds debootstrap:debootstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils chroot:coreutils sha256sum:coreutils

SUITE=bookworm
IMAGE_FILES=("$E2E_DIR/build-image.sh" "$E2E_DIR"/image/*)
key=$(cat "${IMAGE_FILES[@]}" | sha256sum | cut -c1-16)
out=$CACHE_DIR/image-$key

if [[ -f $out/done ]]; then
  log "base image cached: $out"
  echo "$out" >&3
  exit 0
fi

mirror=${KUBESEED_E2E_MIRROR:-}
if [[ -z $mirror ]]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $1; exit}')
fi
if [[ -z $mirror ]]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
[[ -n $mirror ]] || { log "no Debian mirror found; set KUBESEED_E2E_MIRROR"; exit 1; }

mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$E2E_DIR/image/packages.txt")
include=$(IFS=,; echo "${packages[*]}")

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
work=$CACHE_DIR/build-$key.tmp
mkdir -p "$work"
root=$work/rootfs
trap 'unmount_below "$work"' EXIT

t0=$SECONDS
log "debootstrap $SUITE from $mirror (${#packages[@]} packages; log: $work/debootstrap.log)"
if ! debootstrap --variant=minbase --include="$include" --cache-dir="$CACHE_DIR/debs" \
  "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
  exit 1
fi
t_debootstrap=$((SECONDS - t0))

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
cat >"$root/etc/apt/sources.list" <<APT
deb $mirror $SUITE main
APT
# The seed ISO sits on the q35 AHCI controller; virtio for the root disk. Loaded in the
# initramfs so the root disk and the cidata CD-ROM are there before cloud-init looks.
cat >>"$root/etc/initramfs-tools/modules" <<'MODS'
virtio_pci
virtio_blk
virtio_net
ext4
ahci
ata_piix
sr_mod
cdrom
isofs
MODS

mount -t proc proc "$root/proc"
chroot "$root" update-initramfs -u -k all >"$work/initramfs.log" 2>&1
chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service \
  kubeseed-e2e-report.service >"$work/enable.log" 2>&1
chroot "$root" passwd -l root >/dev/null
chroot "$root" apt-get clean
umount "$root/proc"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/log/"*.log "$root/tmp/"*

# The kernel modules the boot depends on must be in the initrd.
initrd=$(ls "$root"/boot/initrd.img-*)
kernel=$(ls "$root"/boot/vmlinuz-*)
chroot "$root" lsinitramfs "/boot/${initrd##*/}" >"$work/initrd.list"
for m in virtio_blk virtio_pci ext4 ahci sr_mod isofs; do
  grep -q "/$m\.ko" "$work/initrd.list" || { log "initrd lacks $m"; exit 1; }
done

mkdir -p "$work/image"
cp "$kernel" "$work/image/vmlinuz"
cp "$initrd" "$work/image/initrd.img"

disk_mb=${KUBESEED_E2E_DISK_MB:-6144}
log "mkfs.ext4 -d ($disk_mb MiB, sparse) and qemu-img convert"
mkfs.ext4 -q -F -L kubeseed-root -d "$root" "$work/disk.raw" "${disk_mb}M"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/image/disk.qcow2"
rm -f "$work/disk.raw"

{
  echo "suite=$SUITE"
  echo "mirror=$mirror"
  echo "kernel=${kernel##*/vmlinuz-}"
  echo "debootstrap_seconds=$t_debootstrap"
  echo "build_seconds=$((SECONDS - t0))"
  # shellcheck disable=SC2016 # dpkg-query expands these itself
  chroot "$root" dpkg-query -W -f='pkg=${Package} ${Version}\n' "${packages[@]}"
} >"$work/image/info"
touch "$work/image/done"

rm -rf "$out"
mv "$work/image" "$out"
rm -rf "$work"
# Keep only this image.
for old in "$CACHE_DIR"/image-*; do
  [[ $old == "$out" ]] || rm -rf "$old"
done
log "base image built in $((SECONDS - t0)) s (debootstrap ${t_debootstrap} s): $out"
echo "$out" >&3
