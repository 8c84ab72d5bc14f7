#!/usr/bin/env bash
# Network boot VM run: one node of the e2e cluster boots with NO seed ISO.
#   1. compile-nodes.sh compiles test/e2e/profile.yaml (it has spec.netboot) and builds the bundle.
#   2. kubeseed serve serves the tree on the host's loopback (a port the OS picks), with the base
#      image's vmlinuz and initrd.img and the bundle as boot assets, secrets one-shot.
#   3. boot.sh boots the VM with -boot n on qemu's user network (restrict=on: the guest reaches
#      nothing but what guestfwd forwards). qemu's DHCP hands the NIC's iPXE ROM (Debian
#      ipxe-qemu) the boot file http://10.0.2.100:8080/boot.ipxe; the guest's 10.0.2.100:8080 is
#      forwarded to the server (guestfwd ... cmd:busybox nc, one per connection; slirp refuses a
#      guestfwd on its own address 10.0.2.2, which restrict=on closes). iPXE chains to
#      /ipxe?mac=...&uuid=..., loads kernel and initrd, and the kernel command line leads
#      cloud-init to its NoCloud-net seed (/nodes/<node>/) and the artifacts phase to the bundle.
#   4. The guest's evidence is asserted with the node's expect file (as run.sh does), less the
#      seed ISO's facts, plus the network boot's; the server's access log must show each fetch.
#
# Usage: netboot.sh [NODE]     (default cp1; cp1 or w1)
# Env:   KUBESEED_E2E_OUT      work/output directory (default $CACHE_DIR/netboot)
#        and those of boot.sh / build-image.sh / compile-nodes.sh.
# Exit:  0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

node=${1:-cp1}
need_cmds qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils busybox:busybox-static node:nodejs
[[ -f /usr/lib/ipxe/qemu/efi-virtio.rom || -f /usr/share/qemu/efi-virtio.rom ]] || cannot_run "no iPXE ROM for virtio-net (Debian package ipxe-qemu)"
out=${KUBESEED_E2E_OUT:-$CACHE_DIR/netboot}
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
t0=$SECONDS

bash "$E2E_DIR/compile-nodes.sh" "$out/nodes"
tree=$out/compile/out/e2e
[[ -f $tree/netboot/machines.json ]] || { log "netboot: $tree has no netboot/machines.json (profile.yaml lacks spec.netboot?)"; exit 1; }
[[ -d $out/nodes/$node ]] || { log "netboot: no node $node among the booted ones"; exit 2; }
image=${KUBESEED_E2E_IMAGE:-$(bash "$E2E_DIR/build-image.sh")}

# Boot assets: the image's kernel and initrd (what boot.sh gives -kernel and -initrd) and the
# bundle. Copies: the server refuses links that point out of the directory it serves.
assets=$out/assets
mkdir -p "$assets"
cp "$image/vmlinuz" "$image/initrd.img" "$assets/"
cp "$out/compile/out/e2e.bundle/kubeseed-bundle.tar" "$assets/"

serve_log=$out/serve.log
node "$REPO_DIR/dist/cli/bin.js" serve "$tree" --listen 127.0.0.1:0 --boot-assets "$assets" --one-shot-secrets \
  >"$serve_log" 2>"$out/serve.err" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's|^kubeseed serve: cluster e2e, [0-9]* machines, at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out/serve.err")
  [[ -n $port ]] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$out/serve.err" >&2; log "netboot: kubeseed serve stopped"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { cat "$out/serve.err" >&2; log "netboot: kubeseed serve did not start"; exit 1; }
# Where the guest reaches the server: an address of the user network that only guestfwd answers.
guest=10.0.2.100:8080
guest_re=${guest//./\\.}
log "netboot: kubeseed serve on 127.0.0.1:$port (the guest's $guest)"

mac=$(awk '$1 == "mac" { print $2; exit }' "$out/nodes/$node/expect")
uuid=$(awk '$1 == "product-uuid" { print $2; exit }' "$out/nodes/$node/expect")
# The seed ISO's facts go (its file systems, the NoCloud datasource, the secrets it carries apart
# from user-data); the network boot's come instead (NoCloud-net, probes/40-boot, the firstboot
# log, the secrets user-data staged under /run for the secrets phase).
expect=$out/nodes/$node/expect.netboot
# So do the removable media's (which medium the bundle came from, each medium's device).
grep -vx -e iso-joliet -e iso-rockridge -e 'datasource NoCloud' -e 'section-absent-re write-files /run/kubeseed/secrets/' "$out/nodes/$node/expect" |
  grep -vF "from the seed ISO's kubeseed/secrets/" |
  grep -v -F -e '\[artifacts\] bundle on the ' -e 'evidence.d/30-runtime ^bundle from: ' -e 'evidence.d/30-runtime ^medium ' -e 'evidence.d/30-runtime medium ' >"$expect"
cat >>"$expect" <<EOF
section-re firstboot-log \\[secrets\\] installed [0-9]+ of [0-9]+ secret files from staged in /run/kubeseed/secrets \\(0600, root\\): /etc/kubernetes/kubeadm/kubeadm\\.yaml
section evidence.d/40-boot cidata device: none
section evidence.d/30-runtime medium cidata none
section evidence.d/30-runtime medium KSBUNDLE none
section-re evidence.d/30-runtime ^bundle from: no seed ISO: downloading the bundle named on the kernel command line: http://$guest_re/assets/kubeseed-bundle\\.tar\$
section-re evidence.d/40-boot ^cmdline: ds=nocloud-net;s=http://$guest_re/nodes/$node/;i=kubeseed-e2e-$node\$
section-re evidence.d/40-boot ^cmdline: kubeseed\\.bundle=http://$guest_re/assets/kubeseed-bundle\\.tar\$
section-re evidence.d/40-boot ^cmdline: network-config= \\([0-9]+ characters\\)\$
datasource NoCloudNet
section-re firstboot-log \\[artifacts\\] no seed ISO: downloading the bundle named on the kernel command line: http://$guest_re/assets/kubeseed-bundle\\.tar\$
EOF

vm=$out/vm/$node
status=0
# Under TCG on a busy machine the network boot's first boot took 13 minutes (kernel, initrd and
# bundle through guestfwd's nc, dpkg); boot.sh's default of 15 cut off the report.
KUBESEED_E2E_TIMEOUT=${KUBESEED_E2E_TIMEOUT:-1800} KUBESEED_E2E_NETBOOT=1 KUBESEED_E2E_IMAGE=$image KUBESEED_E2E_UUID=$uuid \
  KUBESEED_E2E_EXTRA_ISO=$out/nodes/$node/extra.iso \
  KUBESEED_E2E_NETDEV="user,id=n0,restrict=on,bootfile=http://$guest/boot.ipxe,guestfwd=tcp:$guest-cmd:busybox nc 127.0.0.1 $port" \
  bash "$E2E_DIR/boot.sh" - "$mac" "$vm" || status=$?
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
cp "$serve_log" "$vm/serve.log"

fails=0
if ((status == 0)); then
  bash "$E2E_DIR/assert.sh" "$vm/evidence.txt" "$expect" || fails=1
else
  log "netboot: the VM did not finish (boot.sh exit $status)"
  fails=1
fi
# What the server saw, one line per fetch the boot needs (the guest's connections reach it
# through guestfwd's nc, so they come from 127.0.0.1).
served() {
  local what=$1 re=$2 line
  if line=$(grep -E -m1 -- "$re" "$serve_log"); then
    echo "PASS $what: $line"
  else
    echo "FAIL $what: no line matching $re in $serve_log"
    fails=1
  fi
}
served 'iPXE script by MAC and UUID' "^\\S+Z 127\\.0\\.0\\.1 $node GET /ipxe\\?mac=${mac//:/-}&uuid=$uuid 200 [0-9]+\$"
served 'kernel' '^\S+Z 127\.0\.0\.1 - GET /assets/vmlinuz 200 [0-9]+$'
served 'initrd' '^\S+Z 127\.0\.0\.1 - GET /assets/initrd\.img 200 [0-9]+$'
for f in meta-data user-data vendor-data; do
  served "NoCloud-net $f" "^\\S+Z 127\\.0\\.0\\.1 $node GET /nodes/$node/$f 200 [0-9]+\$"
done
served 'user-data handed out once' "^\\S+Z one-shot: nodes/$node/user-data served to 127\\.0\\.0\\.1 \\([0-9]+ bytes\\); later requests get 410 Gone\$"
served 'offline bundle' '^\S+Z 127\.0\.0\.1 - GET /assets/kubeseed-bundle\.tar 200 [0-9]+$'
log "netboot: $node done in $((SECONDS - t0))s; evidence in $vm"
exit "$fails"
