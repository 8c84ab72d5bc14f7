#!/usr/bin/env bash
# Boots one e2e VM: the cached base image under a throw-away qcow2 overlay (so every boot is a
# true first boot), the NoCloud seed ISO as an IDE (AHCI on q35) CD-ROM, a virtio NIC with the
# node's MAC (on user-mode networking unless KUBESEED_E2E_NETDEV says otherwise), serial 0 to
# console.log and serial 1 to evidence.txt.
# The guest's kubeseed-e2e-report.service writes the evidence after cloud-init and powers off.
# With KUBESEED_E2E_NETBOOT=1 and SEED_ISO "-" the VM boots from the network instead (netboot.sh):
# no seed ISO and no -kernel: qemu's iPXE ROM (Debian ipxe-qemu) loads kernel and initrd over
# the NIC, as the -netdev spec's bootfile= directs it.
#
# Usage: boot.sh SEED_ISO|- MAC OUT_DIR
# Env:   KUBESEED_E2E_IMAGE    image directory (default: build-image.sh's, built if needed)
#        KUBESEED_E2E_TIMEOUT  hard timeout in seconds; qemu is killed after it (default 900)
#        KUBESEED_E2E_MEM      MiB (default 2048)      KUBESEED_E2E_SMP  vCPUs (default 2)
#        KUBESEED_E2E_ACCEL    kvm | tcg (default: kvm when a probe boot of the kernel works, else tcg)
#        KUBESEED_E2E_NETDEV   the -netdev spec (default user,id=n0,restrict=on); must use id=n0
#        KUBESEED_E2E_MORE_MACS more NICs, with these MACs (space-separated): then every NIC is on
#                              one qemu hub with the netdev, as two bonded ports on one switch
#        KUBESEED_E2E_DISK_GB  virtual size of the overlay disk (default: the base image's)
#        KUBESEED_E2E_UUID     the SMBIOS system UUID (product_uuid; default: a random one)
#        KUBESEED_E2E_NETBOOT  1: boot from the network (-boot n), no seed ISO, no -kernel/-initrd
#        KUBESEED_E2E_EXTRA_ISO a second CD-ROM (volume id KSE2E) with test material: the guest's
#                              report runs its evidence.d/* (see image/report)
#        KUBESEED_E2E_BUNDLE_ISO a third CD-ROM: the shared bundle medium (bundle.iso, volume id
#                              KSBUNDLE) that compile --iso writes once for every node
#        KUBESEED_E2E_KEEP_DISK 1: keep the guest's disk after power-off as OUT_DIR/overlay.qcow2
#                              (over the base image) for search-disk.sh; removed otherwise
# Out:   OUT_DIR/console.log evidence.txt qemu.log timings (key=value) ; exit 0 when the
#        evidence is complete ("=== end ===") and qemu exited by itself, 1 otherwise, 77 when
#        qemu is missing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

(($# == 3)) || { echo "usage: $0 SEED_ISO|- MAC OUT_DIR" >&2; exit 2; }
netboot=${KUBESEED_E2E_NETBOOT:-0}
mac=$2
out=$3
if [[ $netboot == 1 ]]; then
  [[ $1 == - ]] || { log "KUBESEED_E2E_NETBOOT=1 boots without a seed ISO: give - for SEED_ISO"; exit 2; }
  seed=
else
  seed=$(realpath "$1")
  [[ -f $seed ]] || { log "no seed ISO: $seed"; exit 1; }
fi
[[ $mac =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || { log "bad MAC: $mac"; exit 2; }
need_cmds qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils timeout:coreutils

image=${KUBESEED_E2E_IMAGE:-}
[[ -n $image ]] || image=$(bash "$E2E_DIR/build-image.sh")
for f in disk.qcow2 vmlinuz initrd.img; do
  [[ -f $image/$f ]] || { log "image lacks $f: $image"; exit 1; }
done

timeout_s=${KUBESEED_E2E_TIMEOUT:-900}
accel=${KUBESEED_E2E_ACCEL:-}
[[ -n $accel ]] || accel=$(pick_accel "$image")
case $accel in
  kvm) machine=q35,accel=kvm cpu=host ;;
  # TCG cannot offer KVM's "host" model; "max" is every feature TCG emulates.
  tcg) machine=q35,accel=tcg cpu=max ;;
  *) log "KUBESEED_E2E_ACCEL must be kvm or tcg"; exit 2 ;;
esac

mkdir -p "$out"
out=$(realpath "$out")
rm -f "$out"/{console.log,evidence.txt,qemu.log,timings,overlay.qcow2}
overlay=$out/overlay.qcow2
qemu-img create -q -f qcow2 -F qcow2 -b "$image/disk.qcow2" "$overlay" ${KUBESEED_E2E_DISK_GB:+"${KUBESEED_E2E_DISK_GB}G"}
drop_overlay() { [[ ${KUBESEED_E2E_KEEP_DISK:-} == 1 ]] || rm -f "$overlay"; }
trap drop_overlay EXIT

extra_iso=${KUBESEED_E2E_EXTRA_ISO:+$(realpath "$KUBESEED_E2E_EXTRA_ISO")}
bundle_iso=${KUBESEED_E2E_BUNDLE_ISO:+$(realpath "$KUBESEED_E2E_BUNDLE_ISO")}
[[ -z $bundle_iso || -f $bundle_iso ]] || { log "no bundle medium: $bundle_iso"; exit 1; }
netdev=${KUBESEED_E2E_NETDEV:-user,id=n0,restrict=on}
uuid=${KUBESEED_E2E_UUID:-$(cat /proc/sys/kernel/random/uuid)}
if [[ $netboot == 1 ]]; then
  # The NIC's iPXE ROM boots first; the kernel command line comes from the iPXE script served
  # to it (netboot.sh: the profile's spec.netboot.args say what -append says below).
  # graphics=off: SeaBIOS and iPXE write to the serial console, so console.log shows the boot.
  machine=$machine,graphics=off
  boot=(-boot order=n)
else
  boot=(
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img"
    # panic=-1 turns a guest kernel panic into a reboot, which -no-reboot turns into qemu exiting.
    -append "root=/dev/vda rw console=ttyS0 fsck.mode=skip panic=-1"
  )
fi
read -r -a more_macs <<<"${KUBESEED_E2E_MORE_MACS:-}"
nic_args=(-netdev "$netdev")
if ((${#more_macs[@]} == 0)); then
  nic_args+=(-device "virtio-net-pci,netdev=n0,mac=$mac")
else
  # A hub repeats every frame to all its ports: the netdev's and one per NIC.
  nic_args+=(-netdev "hubport,id=h0,hubid=0,netdev=n0")
  i=1
  for m in "$mac" "${more_macs[@]}"; do
    [[ $m =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || { log "bad MAC: $m"; exit 2; }
    nic_args+=(-netdev "hubport,id=h$i,hubid=0" -device "virtio-net-pci,netdev=h$i,mac=$m")
    i=$((i + 1))
  done
fi
args=(
  -machine "$machine" -cpu "$cpu" -nodefaults -display none -no-reboot
  -m "${KUBESEED_E2E_MEM:-2048}" -smp "${KUBESEED_E2E_SMP:-2}"
  "${boot[@]}"
  -drive "file=$overlay,if=virtio,format=qcow2,cache=unsafe,discard=unmap"
  ${seed:+-drive "file=$seed,media=cdrom,if=ide,readonly=on"}
  ${extra_iso:+-drive "file=$extra_iso,media=cdrom,if=ide,readonly=on"}
  ${bundle_iso:+-drive "file=$bundle_iso,media=cdrom,if=ide,readonly=on"}
  "${nic_args[@]}"
  -device virtio-rng-pci
  # SMBIOS system UUID: /sys/class/dmi/id/product_uuid does not exist without it, and kubeadm
  # and kubeseed's preflight read it.
  -uuid "$uuid"
  -serial "file:$out/console.log"
  -serial "file:$out/evidence.txt"
)
log "boot: accel=$accel seed=${seed:-none (netboot)}${bundle_iso:+ bundle medium=$bundle_iso} mac=$mac${more_macs[*]:+ ${more_macs[*]} (one hub)} uuid=$uuid timeout=${timeout_s}s out=$out"

start=$(date +%s.%N)
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${args[@]}" >"$out/qemu.log" 2>&1 &
qpid=$!
# Whoever stops this script stops its VM too.
trap 'kill "$qpid" 2>/dev/null || true; drop_overlay' EXIT
t_evidence=
while kill -0 "$qpid" 2>/dev/null; do
  if [[ -z $t_evidence && -s $out/evidence.txt ]]; then
    t_evidence=$(date +%s.%N)
  fi
  sleep 0.5
done
status=0
wait "$qpid" || status=$?
end=$(date +%s.%N)

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# awk reads to the end: exiting early would kill tr with SIGPIPE, and pipefail would end this script.
guest_done=$(tr -d '\r' <"$out/evidence.txt" 2>/dev/null | awk '/^=== uptime-cloud-init-done ===$/ && !seen { getline; print; seen = 1 }')
{
  echo "accel=$accel"
  echo "qemu_exit=$status"
  echo "total_seconds=$(secs "$start" "$end")"
  [[ -n $t_evidence ]] && echo "host_seconds_to_evidence=$(secs "$start" "$t_evidence")"
  [[ -n $guest_done ]] && echo "guest_uptime_at_cloud_init_done=$guest_done"
} >"$out/timings"
sed 's/^/e2e: timing: /' "$out/timings" >&2

if ((status == 124 || status == 137)); then
  log "TIMEOUT after ${timeout_s}s: qemu killed; last console lines:"
  tail -n 25 "$out/console.log" >&2 || true
  exit 1
fi
if ((status != 0)); then
  log "qemu exited $status:"
  cat "$out/qemu.log" >&2
  exit 1
fi
if ! tr -d '\r' <"$out/evidence.txt" | grep -x '=== end ===' >/dev/null; then
  log "evidence incomplete (no '=== end ==='); last console lines:"
  tail -n 25 "$out/console.log" >&2 || true
  exit 1
fi
