#!/usr/bin/env bash
# End-to-end VM test: boots every node's NoCloud seed ISO in a fresh Debian 12 VM with real
# cloud-init and asserts the evidence the guest reports against the node's expected facts.
#
# Usage: run.sh --nodes DIR     DIR/<node>/seed.iso + DIR/<node>/expect (facts: see assert.sh;
#                               "mac MAC" is the MAC the VM boots with), and DIR/<node>/bundle.iso
#                               when the node gets the shared bundle medium as a third CD-ROM.
#                               Also KUBESEED_E2E_NODES=DIR.
#        run.sh --smoke         the hand-written fixture in fixtures/smoke (proves the harness)
#        run.sh --smoke-pair    two VMs (fixtures/pair) on one private segment, pinging each other
#        run.sh                 the e2e cluster: test/e2e/compile-nodes.sh compiles test/e2e/profile.yaml
#                               with kubeseed (bundle, compile --iso) and cp1 and w1 are booted
#        run.sh --wrong-mac     the same, but cp1's seed is compiled for another MAC: passes when the
#                               preflight refuses the VM and no later phase ran
#        run.sh --net           the network cluster (profile-net.yaml) on the ifupdown image variant:
#                               cp1 with one NIC (eni, no net-tools: the default route), w1 with two
#                               NICs on one hub in an active-backup bond and a VLAN over it
# Env:   KUBESEED_E2E_OUT       work/output directory (default .cache/e2e/run)
#        KUBESEED_E2E_PARALLEL  1: boot all nodes at once (default: one after another)
#        KUBESEED_E2E_LINK      user (default): each VM alone on qemu user-mode networking
#                               (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, nothing reachable
#                               beyond it); pair: exactly two VMs, booted at once, on one private
#                               segment (a qemu socket link over 127.0.0.1) and nothing else
#        and those of boot.sh / build-image.sh.
# Exit:  0 pass, 1 fail, 77 cannot run here (not root, qemu/debootstrap missing), said loudly.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

mode=default nodes_dir=${KUBESEED_E2E_NODES:-}
[[ -n $nodes_dir ]] && mode=nodes
while (($#)); do
  case $1 in
    --smoke) mode=smoke ;;
    --smoke-pair) mode=smoke-pair ;;
    --wrong-mac) mode=default; export KUBESEED_E2E_WRONG_MAC=1 ;;
    --net)
      mode=default
      export KUBESEED_E2E_PROFILE=$E2E_DIR/profile-net.yaml KUBESEED_E2E_IMAGE_VARIANT=ifupdown
      # ifupdown raising a bond takes a minute more than networkd under TCG; a busy 2-core
      # machine ran out of boot.sh's default 900 s before the last probe.
      export KUBESEED_E2E_TIMEOUT=${KUBESEED_E2E_TIMEOUT:-1500}
      ;;
    --nodes) [[ $# -ge 2 ]] || { echo "--nodes needs a directory" >&2; exit 2; }; mode=nodes nodes_dir=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

t0=$SECONDS
# The asserter must be able to fail before its passes mean anything.
selftest_out=$(bash "$E2E_DIR/selftest.sh" 2>&1) || {
  printf '%s\n' "$selftest_out" >&2
  log "assert.sh self-test failed"
  exit 1
}
need_root
need_cmds qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils debootstrap:debootstrap \
  mkfs.ext4:e2fsprogs genisoimage:genisoimage timeout:coreutils

out=${KUBESEED_E2E_OUT:-$CACHE_DIR/run}
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")

case $mode in
  smoke)
    nodes_dir=$out/nodes
    mkdir -p "$nodes_dir/smoke"
    fx=$E2E_DIR/fixtures/smoke
    # The NoCloud seed: volume id "cidata", Joliet and Rock Ridge, as cloud-init's docs make it.
    genisoimage -quiet -output "$nodes_dir/smoke/seed.iso" -volid cidata -joliet -rock \
      -graft-points "user-data=$fx/user-data" "meta-data=$fx/meta-data" "network-config=$fx/network-config"
    cp "$fx/expect" "$nodes_dir/smoke/expect"
    ;;
  smoke-pair)
    nodes_dir=$out/nodes
    for n in a b; do
      fx=$E2E_DIR/fixtures/pair/$n
      mkdir -p "$nodes_dir/$n"
      genisoimage -quiet -output "$nodes_dir/$n/seed.iso" -volid cidata -joliet -rock \
        -graft-points "user-data=$fx/user-data" "meta-data=$fx/meta-data" "network-config=$fx/network-config"
      cp "$fx/expect" "$nodes_dir/$n/expect"
    done
    export KUBESEED_E2E_LINK=pair
    ;;
  nodes) [[ -d $nodes_dir ]] || { log "no such nodes directory: $nodes_dir"; exit 1; } ;;
  default)
    # The lead's hook: compile kubeseed's e2e profile into nodes/<node>/{seed.iso,expect}.
    [[ -f $E2E_DIR/compile-nodes.sh ]] ||
      cannot_run "no nodes to boot: kubeseed's compile is not wired in yet (test/e2e/compile-nodes.sh); use --smoke or --nodes DIR"
    nodes_dir=$out/nodes
    t_compile=$SECONDS
    bash "$E2E_DIR/compile-nodes.sh" "$nodes_dir"
    compile_seconds=$((SECONDS - t_compile))
    # Each guest disk is kept after power-off and searched for the cluster's secrets (below).
    search_state=$out/compile/out/e2e.state
    export KUBESEED_E2E_KEEP_DISK=1
    ;;
esac

nodes=()
for d in "$nodes_dir"/*/; do
  d=${d%/}
  [[ -f $d/seed.iso && -f $d/expect ]] || { log "skipping ${d##*/}: needs seed.iso and expect"; continue; }
  nodes+=("${d##*/}")
done
((${#nodes[@]})) || { log "no nodes in $nodes_dir"; exit 1; }

t_image=$SECONDS
image_status=0
image=$(bash "$E2E_DIR/build-image.sh") || image_status=$?
((image_status == 0)) || exit "$image_status"
export KUBESEED_E2E_IMAGE=$image
image_seconds=$((SECONDS - t_image))
# Probe the accelerator once for all the VMs.
KUBESEED_E2E_ACCEL=${KUBESEED_E2E_ACCEL:-$(pick_accel "$image")}
export KUBESEED_E2E_ACCEL

declare -A netdev_of
link=${KUBESEED_E2E_LINK:-user}
case $link in
  user) ;;
  pair)
    ((${#nodes[@]} == 2)) || { log "KUBESEED_E2E_LINK=pair needs exactly two nodes, not ${#nodes[@]}"; exit 1; }
    KUBESEED_E2E_PARALLEL=1
    # A free TCP port on loopback for the link: the first VM listens, the second connects.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      port=$((20000 + RANDOM % 20000))
      ss -Hltn "sport = :$port" | grep -q . || break
    done
    netdev_of[${nodes[0]}]=socket,id=n0,listen=127.0.0.1:$port
    netdev_of[${nodes[1]}]=socket,id=n0,connect=127.0.0.1:$port
    ;;
  *) log "KUBESEED_E2E_LINK must be user or pair"; exit 2 ;;
esac

boot_node() {
  local node=$1 macs uuid
  # One NIC per "mac" fact; a node with several (a bond) gets them all on one qemu hub.
  mapfile -t macs < <(awk '$1 == "mac" { print $2 }' "$nodes_dir/$node/expect")
  uuid=$(awk '$1 == "product-uuid" { print $2; exit }' "$nodes_dir/$node/expect")
  ((${#macs[@]})) || { log "$node: its expect file has no 'mac' fact"; return 1; }
  KUBESEED_E2E_EXTRA_ISO=$([[ -f $nodes_dir/$node/extra.iso ]] && echo "$nodes_dir/$node/extra.iso") \
    KUBESEED_E2E_BUNDLE_ISO=$([[ -f $nodes_dir/$node/bundle.iso ]] && echo "$nodes_dir/$node/bundle.iso") \
    KUBESEED_E2E_MORE_MACS="${macs[*]:1}" \
    KUBESEED_E2E_UUID=$uuid KUBESEED_E2E_NETDEV=${netdev_of[$node]:-${KUBESEED_E2E_NETDEV:-}} bash "$E2E_DIR/boot.sh" "$nodes_dir/$node/seed.iso" "${macs[0]}" "$out/vm/$node"
}

declare -A boot_status
t_boot=$SECONDS
if [[ ${KUBESEED_E2E_PARALLEL:-} == 1 ]]; then
  declare -A pids
  for n in "${nodes[@]}"; do
    mkdir -p "$out/vm/$n"
    boot_node "$n" >"$out/vm/$n.boot.log" 2>&1 &
    pids[$n]=$!
    # The listening end of a pair link must be up before the other VM connects.
    if [[ $link == pair ]]; then sleep 3; fi
  done
  for n in "${nodes[@]}"; do
    s=0
    wait "${pids[$n]}" || s=$?
    boot_status[$n]=$s
    sed "s/^/[$n] /" "$out/vm/$n.boot.log" >&2
  done
else
  for n in "${nodes[@]}"; do
    log "=== booting $n ==="
    s=0
    boot_node "$n" || s=$?
    boot_status[$n]=$s
  done
fi
boot_seconds=$((SECONDS - t_boot))

failed=0
summary=()
for n in "${nodes[@]}"; do
  echo
  echo "######## node $n: evidence $out/vm/$n/evidence.txt"
  s=0
  if ((boot_status[$n] != 0)); then
    echo "boot failed (exit ${boot_status[$n]}); console: $out/vm/$n/console.log"
    s=1
  fi
  if [[ -f $out/vm/$n/evidence.txt ]]; then
    bash "$E2E_DIR/assert.sh" "$out/vm/$n/evidence.txt" "$nodes_dir/$n/expect" || s=1
  else
    s=1
  fi
  # The guest disk, searched on the host after power-off: the token and the state's private keys
  # only where they belong; after a wrong-machine run nowhere at all.
  if [[ -n ${search_state:-} && -f $out/vm/$n/overlay.qcow2 ]]; then
    search_args=(--state "$search_state")
    [[ ${KUBESEED_E2E_WRONG_MAC:-} == 1 ]] && search_args+=(--nothing-allowed)
    echo "search-disk.sh ${search_args[*]} $out/vm/$n/overlay.qcow2"
    bash "$E2E_DIR/search-disk.sh" "${search_args[@]}" "$out/vm/$n/overlay.qcow2" | tee "$out/vm/$n/search-disk.txt" || s=1
    rm -f "$out/vm/$n/overlay.qcow2"
  fi
  timing=$(paste -sd' ' "$out/vm/$n/timings" 2>/dev/null || echo "no timings")
  # First-boot phases as the guest's firstboot.log timed them.
  phase_times=$(tr -d '\r' <"$out/vm/$n/evidence.txt" 2>/dev/null |
    awk '/^=== firstboot-log ===$/ { f = 1; next } /^=== / { f = 0 } f && / phase [a-z]+: (done in|FAILED)/' |
    sed -E 's/^[^ ]+ \[firstboot\] phase ([a-z]+): (done in ([0-9]+s)|FAILED with status ([0-9]+) after ([0-9]+s)).*/\1=\3\5\4/; s/=([0-9]+s)([0-9]+)$/=FAILED(\2)@\1/' | paste -sd' ' || true)
  [[ -n $phase_times ]] && timing+=" phases: $phase_times"
  if ((s == 0)); then summary+=("PASS $n ($timing)"); else summary+=("FAIL $n ($timing)"); failed=1; fi
done

echo
echo "######## e2e summary"
printf '%s\n' "${summary[@]}"
echo "compile: ${compile_seconds:-0}s; image: ${image_seconds}s (cached when ~0); boots: ${boot_seconds}s; total: $((SECONDS - t0))s"
if ((failed)); then
  echo "e2e: FAILED"
  exit 1
fi
echo "e2e: PASSED"
