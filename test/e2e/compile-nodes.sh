#!/usr/bin/env bash
# Compiles the e2e cluster (test/e2e/profile.yaml) with kubeseed and lays out what run.sh boots:
#   OUT_DIR/<node>/seed.iso   kubeseed compile --iso (kubeseed's own ISO writer), with the bundle
#   OUT_DIR/<node>/expect     facts from the node's compiled files (expect.mjs)
#   OUT_DIR/<node>/extra.iso  the test's probes (probes/*) and, for the load-balancer probe, a
#                             stand-in apiserver certificate signed by the cluster CA (volume KSE2E)
# for the booted nodes: cp1 (control plane) and w1 (worker). cp2 and cp3 are only played by
# stand-ins inside w1 (see profile.yaml).
#
# The bundle: Debian's own containerd, runc, ipvsadm, conntrack and socat .debs (apt-get download,
# cached in $CACHE_DIR/bundle-debs), packed by make-bundle.mjs with kubeseed's bundle writer.
# There is no kubeadm in it (upstream Kubernetes binaries cannot be downloaded here), so every
# node's kubeadm phase must stop with "kubeadm binary missing from bundle".
#
# Usage: compile-nodes.sh OUT_DIR
# Env:   KUBESEED_E2E_WRONG_MAC=1  compile cp1's seed for another MAC than the VM has, boot only
#                                  cp1, and expect the preflight to refuse it (run.sh --wrong-mac)
#        KUBESEED_E2E_PROFILE      another profile of cluster e2e with cp1 and w1 (run.sh --net:
#                                  profile-net.yaml); default profile.yaml
#        KUBESEED_E2E_IMAGE_VARIANT the image the nodes boot (expect.mjs: facts that depend on it)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
work=$(dirname "$(realpath -m "$out")")/compile
rm -rf "$out" "$work"
mkdir -p "$out" "$work"
need_cmds node:nodejs npm:npm apt-get:apt dpkg-deb:dpkg openssl:openssl genisoimage:genisoimage

BOOTED=(cp1 w1)
BUNDLE_PACKAGES=(containerd runc ipvsadm conntrack socat)
wrong_mac=${KUBESEED_E2E_WRONG_MAC:-0}

t0=$SECONDS
log "compile: npm run build"
(cd "$REPO_DIR" && npm run --silent build >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
ks() { node "$REPO_DIR/dist/cli/bin.js" "$@"; }

source_profile=${KUBESEED_E2E_PROFILE:-$E2E_DIR/profile.yaml}
profile=$work/profile.yaml
cp "$source_profile" "$profile"
if [[ $wrong_mac == 1 ]]; then
  # The VM keeps the profile's MAC (expect "mac"), the seed is compiled for 52:54:00:e2:e0:99.
  good=$(awk '/- name: cp1$/ { f = 1 } f && /mac:/ { gsub(/[" ]/, "", $2); print $2; exit }' "$source_profile")
  sed -i "s/\"$good\"/\"52:54:00:e2:e0:99\"/" "$profile"
  BOOTED=(cp1)
  log "compile: --wrong-mac: cp1's seed is compiled for MAC 52:54:00:e2:e0:99, its VM boots with $good"
fi

# Debian's packages, once per cache (same suite as the image: bookworm).
debs=$CACHE_DIR/bundle-debs
if [[ ! -f $debs/done ]]; then
  log "compile: apt-get download ${BUNDLE_PACKAGES[*]}"
  rm -rf "$debs"
  mkdir -p "$debs"
  (cd "$debs" && apt-get download -q "${BUNDLE_PACKAGES[@]}" >"$work/apt.log" 2>&1) || { cat "$work/apt.log" >&2; exit 1; }
  touch "$debs/done"
fi
k8s=$(awk '$1 == "version:" && /v[0-9]/ { print $2; exit }' "$profile")
node "$E2E_DIR/make-bundle.mjs" "$REPO_DIR" "$work/out/e2e.bundle" "$k8s" "$debs"/*.deb >&2

log "compile: kubeseed compile --iso"
ks compile "$profile" --out "$work/out" --iso >"$work/compile.log" 2>&1 || { cat "$work/compile.log" >&2; exit 1; }
state=$work/out/e2e.state

# The stand-in apiservers' certificate, signed by the cluster CA this compile made: the IPs of
# every control-plane backend, the VIP and the endpoint name, as a real apiserver's would.
sans=$(awk '/role: control-plane/ { cp = 1 } /role: worker/ { cp = 0 } cp && /ip:/ { sub(/\/.*/, "", $2); printf "IP:%s,", $2 }' "$profile")
vip=$(awk -F"'" '/^ *SERVICE=/ { split($2, a, ":"); print a[1]; exit }' "$work/out/e2e/nodes/w1/user-data")
[[ -n $vip ]] || { log "compile: w1's user-data has no load balancer (SERVICE=...)"; exit 1; }
sans="${sans}IP:$vip,DNS:apiserver.cluster.local"
openssl req -new -newkey rsa:2048 -nodes -subj /CN=kube-apiserver-stand-in -keyout "$work/standin.key" -out "$work/standin.csr" 2>/dev/null
openssl x509 -req -in "$work/standin.csr" -CA "$state/ca.crt" -CAkey "$state/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$sans") -out "$work/standin.crt" 2>/dev/null
log "compile: stand-in certificate for $sans"

for n in "${BOOTED[@]}"; do
  src=$work/out/e2e/nodes/$n
  mkdir -p "$out/$n"
  cp "$src/seed.iso" "$out/$n/seed.iso"
  mode=normal
  [[ $wrong_mac == 1 ]] && mode=wrong-mac
  node "$E2E_DIR/expect.mjs" "$REPO_DIR" "$src" "$n" "$source_profile" "$mode" "${KUBESEED_E2E_IMAGE_VARIANT:-networkd}" >"$out/$n/expect"
  x=$work/extra-$n
  mkdir -p "$x/evidence.d"
  install -m 0755 "$E2E_DIR"/probes/* "$x/evidence.d/"
  install -m 0644 "$work/standin.crt" "$work/standin.key" "$x/"
  genisoimage -quiet -output "$out/$n/extra.iso" -volid KSE2E -joliet -rock "$x"
done
log "compile: ${BOOTED[*]} ready in $((SECONDS - t0))s ($(du -h "$out/${BOOTED[0]}/seed.iso" | cut -f1) seed ISO)"
