#!/usr/bin/env bash
# Boots a throwaway VM on Debian's kernel, for the tests that need kernel features this sandbox's
# kernel lacks (IPVS for the load-balancer checker, bonding and 8021q for systemd-networkd's
# bonds and VLANs). No disk image and no network: the Debian kernel package that
# prepare-kernel.sh downloads, and an initramfs made from this host's own bash, ipvsadm, curl,
# iproute2, openssl, kmod, unshare and systemd-networkd with the libraries they link, the
# modules those need, and the guest's /init.
#
# Usage: kernel-vm.sh KERNEL_DIR GUEST_INIT INPUT_DIR CONSOLE_LOG
#   KERNEL_DIR  the extracted linux-image package (boot/vmlinuz-*, lib/modules/*)
#   GUEST_INIT  the guest's /init (a bash script that prints "GUEST DONE" and powers off)
#   INPUT_DIR   root-relative files for the guest (what GUEST_INIT reads)
#   CONSOLE_LOG where the guest's console goes
# Exit: 0 the VM ran (read CONSOLE_LOG for results), 1 failure, 77 cannot run here.
set -euo pipefail
kernel_dir=$1 guest=$2 input=$3 console=$4

for cmd in qemu-system-x86_64 cpio gzip ldd ipvsadm curl ip openssl modprobe depmod bash awk unshare; do
  command -v "$cmd" >/dev/null || { echo "kernel-vm.sh: $cmd is missing" >&2; exit 77; }
done
kernels=("$kernel_dir"/boot/vmlinuz-*)
vmlinuz=${kernels[0]}
[[ -f $vmlinuz ]] || { echo "kernel-vm.sh: no kernel in $kernel_dir (run test/vm/prepare-kernel.sh)" >&2; exit 77; }
kver=${vmlinuz##*/vmlinuz-}

root=$(mktemp -d)
# mktemp's 0700 would become the guest's / and shut out every user but root (networkd runs as
# systemd-network).
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,srv,var/run}

# Binaries and every library they link (ldd's "=> /path" and the loader line); a command goes
# to /usr/bin, an absolute path stays where it is.
copy_bin() {
  local path to
  if [[ $1 == /* ]]; then path=$1 to=$1; else path=$(command -v "$1") to=/usr/bin/${1##*/}; fi
  install -D -m 0755 "$path" "$root$to"
  ldd "$path" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}' | while read -r lib; do
    [[ -e $root$lib ]] || install -D -m 0755 "$lib" "$root$lib"
  done
}
for b in bash ipvsadm curl ip openssl modprobe insmod sysctl awk sed cat sleep date mkdir mount ls sync \
  cp rm ln grep tr wc cut head sort uname env unshare install seq; do
  copy_bin "$b"
done
# systemd-networkd (at its own path, beside the shared library its RUNPATH names), and the
# users it and `install -o` look up.
if [[ -x /lib/systemd/systemd-networkd ]]; then
  copy_bin /lib/systemd/systemd-networkd
  copy_bin udevadm
fi
grep -E '^(root|systemd-network):' /etc/passwd >"$root/etc/passwd"
grep -E '^(root|systemd-network):' /etc/group >"$root/etc/group"
# iptables (legacy) with its extensions, for the stateful-firewall check; optional.
if command -v xtables-legacy-multi >/dev/null; then
  copy_bin xtables-legacy-multi
  ln -s xtables-legacy-multi "$root/usr/bin/iptables"
  mkdir -p "$root/usr/lib/x86_64-linux-gnu"
  cp -a /usr/lib/x86_64-linux-gnu/xtables "$root/usr/lib/x86_64-linux-gnu/"
fi
ln -s /usr/bin/bash "$root/bin/bash"
ln -s /usr/bin/bash "$root/bin/sh"
# curl loads libraries at run time too (NSS, gconv are not needed for https with --cacert).
cp -a /usr/lib/x86_64-linux-gnu/engines-3 "$root/usr/lib/x86_64-linux-gnu/" 2>/dev/null || true
mkdir -p "$root/usr/lib/ssl"
cp /usr/lib/ssl/openssl.cnf "$root/usr/lib/ssl/" 2>/dev/null || true

# The kernel modules the test needs, with their dependencies resolved by depmod.
mods=$root/lib/modules/$kver
mkdir -p "$mods"
src=$kernel_dir/lib/modules/$kver
cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$mods/" 2>/dev/null || true
for d in kernel/net/netfilter kernel/net/ipv4 kernel/net/ipv6 kernel/drivers/net/veth.ko kernel/drivers/net/dummy.ko \
  kernel/drivers/net/bonding kernel/net/tls kernel/net/8021q kernel/net/802 kernel/net/llc kernel/lib kernel/crypto; do
  mkdir -p "$mods/$(dirname "$d")"
  cp -r "$src/$d" "$mods/$(dirname "$d")/"
done
depmod -b "$root" "$kver"

cp -r "$input"/. "$root/"
install -m 0755 "$guest" "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$root.cpio.gz"
trap 'rm -rf "$root" "$root.cpio.gz"' EXIT

# KVM when it works (a nested /dev/kvm can exist and still refuse to run a guest), else TCG.
accel=${KUBESEED_VM_ACCEL:-}
if [[ -z $accel ]]; then
  accel=tcg
  if [[ -c /dev/kvm ]]; then
    timeout -k 2 15 qemu-system-x86_64 -machine q35,accel=kvm -cpu host -nodefaults -display none -no-reboot \
      -m 256 -kernel "$vmlinuz" -append "console=ttyS0 panic=-1 root=/dev/null" -serial "file:$root.probe" \
      >/dev/null 2>&1 || true
    grep -q 'Linux version' "$root.probe" 2>/dev/null && accel=kvm
    rm -f "$root.probe"
  fi
fi
case $accel in
  kvm) machine=q35,accel=kvm cpu=host ;;
  *) machine=q35,accel=tcg cpu=max ;;
esac
echo "kernel-vm.sh: accel $accel" >&2

timeout 600 qemu-system-x86_64 -machine "$machine" -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$root.cpio.gz" -nic none \
  -append "console=ttyS0 panic=-1 quiet rdinit=/init" >"$console" 2>&1 || true
grep -q '^GUEST DONE' "$console" || { echo "kernel-vm.sh: the guest did not finish; see $console" >&2; exit 1; }
