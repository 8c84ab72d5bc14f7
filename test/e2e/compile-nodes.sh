#!/usr/bin/env bash
# Compiles the e2e cluster (test/e2e/profile.yaml) with kubeseed and lays out what run.sh boots:
#   OUT_DIR/<node>/seed.iso   kubeseed compile --iso (kubeseed's own ISO writer)
#   OUT_DIR/<node>/bundle.iso the shared bundle medium compile --iso writes once (volume id
#                             KSBUNDLE), for the nodes that get two media; the nodes in
#                             KUBESEED_E2E_SEED_MEDIUM get the bundle inside their seed instead
#   OUT_DIR/<node>/expect     facts from the node's compiled files (expect.mjs)
#   OUT_DIR/<node>/extra.iso  the test's probes (probes/*) and, for the load-balancer probe, a
#                             stand-in apiserver certificate signed by the cluster CA (volume KSE2E)
# for the booted nodes: cp1 (control plane) and w1 (worker). cp2 and cp3 are only played by
# stand-ins inside w1 (see profile.yaml).
#
# The bundle, made by `kubeseed bundle` itself with nothing but loopback servers:
#   - OS packages: a real signed apt repository of Debian 12 .debs (test/ospkg/apt-repo.sh:
#     apt-get download of bookworm's versions, cached in $CACHE_DIR/bookworm-debs, indexed with
#     apt-ftparchive and signed with a throw-away key), served on 127.0.0.1 and given to
#     `kubeseed bundle --os-mirror URL --keyring KEY`: the profile's packages and their closure.
#     The image lacks conntrack, socat, ipvsadm, ebtables and ethtool (image/purge.txt).
#   - a site image (artifacts.extraImages): a busybox index built on this machine and served by
#     Debian's docker-registry on 127.0.0.1 with a test CA (test/oci/serve-images.mjs), pulled
#     through `--registry-mirror`.
#   - `--skip binaries,images`: no kubeadm, kubelet, kubectl or release images (upstream cannot be
#     reached here), so every node's kubeadm phase must stop with "kubeadm binary missing from
#     bundle"; the image's own containerd runs the runtime phase.
#
# Usage: compile-nodes.sh OUT_DIR
# Env:   KUBESEED_E2E_WRONG_MAC=1  compile cp1's seed for another MAC than the VM has, boot only
#                                  cp1, and expect the preflight to refuse it (run.sh --wrong-mac)
#        KUBESEED_E2E_PROFILE      another profile of cluster e2e with cp1 and w1 (run.sh --net:
#                                  profile-net.yaml); default profile.yaml
#        KUBESEED_E2E_IMAGE_VARIANT the image the nodes boot (expect.mjs: facts that depend on it)
#        KUBESEED_E2E_SEED_MEDIUM  nodes compiled with artifacts.bundleMedium seed (one medium: the
#                                  bundle inside the seed ISO), from the same profile, state and
#                                  bundle; default cp1. Every other node boots a small seed with
#                                  bundle.iso beside it (the default, bundleMedium shared).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
work=$(dirname "$(realpath -m "$out")")/compile
rm -rf "$out" "$work"
mkdir -p "$out" "$work"
need_cmds node:nodejs npm:npm apt-get:apt dpkg-deb:dpkg openssl:openssl genisoimage:genisoimage \
  apt-ftparchive:apt-utils gpg:gpg gpgconf:gpgconf flock:util-linux docker-registry:docker-registry \
  skopeo:skopeo busybox:busybox-static

BOOTED=(cp1 w1)
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

# The loopback servers the bundle is made from; both stop when this script ends.
servers=()
stop_servers() { ((${#servers[@]})) && kill "${servers[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap stop_servers EXIT

# The site image from a registry that only the mirror reaches (registry.kubeseed.test).
node "$REPO_DIR/test/oci/serve-images.mjs" "$work/registry" >"$work/registry.log" 2>&1 &
servers+=($!)
# The signed apt repository of Debian 12 packages (the downloads are cached between runs).
# The versions of bookworm itself, as debootstrap gave the image (this machine's apt may add
# bookworm-security, whose newer openssl and ca-certificates the node would upgrade to, slowly).
debs=$CACHE_DIR/bookworm-debs
log "compile: apt repository of the profile's OS packages (cache $debs)"
APT_REPO_SUITES=bookworm bash "$REPO_DIR/test/ospkg/apt-repo.sh" download "$debs" conntrack socat ipvsadm ebtables ethtool iptables curl kmod iproute2 ca-certificates >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; exit 1; }
bash "$REPO_DIR/test/ospkg/apt-repo.sh" build "$debs" "$work/apt" >>"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }
bash "$REPO_DIR/test/ospkg/apt-repo.sh" serve "$work/apt" 1800 >"$work/apt.url" 2>>"$work/apt.log" &
servers+=($!)
for _ in $(seq 600); do
  [[ -s $work/apt.url && -f $work/registry/registry.json ]] && break
  sleep 0.2
done
[[ -s $work/apt.url ]] || { log "compile: the apt repository did not start"; cat "$work/apt.log" >&2; exit 1; }
[[ -f $work/registry/registry.json ]] || { log "compile: the test registry did not start"; cat "$work/registry.log" >&2; exit 1; }
extra=$(node -p "require('$work/registry/registry.json').extraImage")
mapfile -t registry_args < <(node -p "require('$work/registry/registry.json').bundleArgs.join('\n')")
# The profile names the site image, pinned by its index digest.
awk -v extra="$extra" '{ print } $0 == "  artifacts:" { printf "    extraImages: [ \"%s\" ]\n", extra }' "$profile" >"$profile.new"
mv "$profile.new" "$profile"
grep -q "extraImages" "$profile" || { log "compile: $profile has no artifacts section to name the site image in"; exit 1; }

log "compile: kubeseed bundle --skip binaries,images --os-mirror $(cat "$work/apt.url") (+ $extra)"
ks bundle "$profile" --out "$work/out" --skip binaries,images --os-mirror "$(cat "$work/apt.url")" --keyring "$work/apt/keyring.gpg" \
  "${registry_args[@]}" --cache "$work/cache" >"$work/bundle.log" 2>&1 || { cat "$work/bundle.log" >&2; exit 1; }
stop_servers
servers=()
log "compile: $(tail -n1 "$work/bundle.log")"

log "compile: kubeseed compile --iso"
ks compile "$profile" --out "$work/out" --iso >"$work/compile.log" 2>&1 || { cat "$work/compile.log" >&2; exit 1; }
state=$work/out/e2e.state
bundle_iso=$work/out/e2e.bundle/bundle.iso
[[ -f $bundle_iso ]] || { log "compile: no bundle medium $bundle_iso"; cat "$work/compile.log" >&2; exit 1; }

# The single-medium layout (artifacts.bundleMedium seed) for the nodes in KUBESEED_E2E_SEED_MEDIUM:
# the same profile with that one field, compiled with the same state (CA, token) and the same
# bundle files, into out-seed/.
read -r -a seed_medium <<<"${KUBESEED_E2E_SEED_MEDIUM-cp1}"
if ((${#seed_medium[@]})); then
  awk '{ print } $0 == "  artifacts:" { print "    bundleMedium: seed" }' "$profile" >"$work/profile-seed.yaml"
  mkdir -p "$work/out-seed/e2e.bundle"
  for f in kubeseed-bundle.tar bundle.json SHA256SUMS; do ln "$work/out/e2e.bundle/$f" "$work/out-seed/e2e.bundle/$f"; done
  log "compile: kubeseed compile --iso with bundleMedium seed for ${seed_medium[*]}"
  ks compile "$work/profile-seed.yaml" --out "$work/out-seed" --state "$state" --iso >"$work/compile-seed.log" 2>&1 ||
    { cat "$work/compile-seed.log" >&2; exit 1; }
fi

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
  for s in "${seed_medium[@]}"; do [[ $s == "$n" ]] && src=$work/out-seed/e2e/nodes/$n; done
  mkdir -p "$out/$n"
  cp "$src/seed.iso" "$out/$n/seed.iso"
  if [[ $src == "$work/out/e2e/nodes/$n" ]]; then
    ln -f "$bundle_iso" "$out/$n/bundle.iso" 2>/dev/null || cp "$bundle_iso" "$out/$n/bundle.iso"
    log "compile: $n boots two media: seed.iso ($(du -h "$out/$n/seed.iso" | cut -f1)) and bundle.iso ($(du -h "$bundle_iso" | cut -f1))"
  else
    log "compile: $n boots one medium: seed.iso with the bundle inside ($(du -h "$out/$n/seed.iso" | cut -f1))"
  fi
  mode=normal
  [[ $wrong_mac == 1 ]] && mode=wrong-mac
  KUBESEED_E2E_BUNDLE_JSON=$work/out/e2e.bundle/bundle.json node "$E2E_DIR/expect.mjs" "$REPO_DIR" "$src" "$n" "$source_profile" "$mode" "${KUBESEED_E2E_IMAGE_VARIANT:-networkd}" >"$out/$n/expect"
  x=$work/extra-$n
  mkdir -p "$x/evidence.d"
  install -m 0755 "$E2E_DIR"/probes/* "$x/evidence.d/"
  install -m 0644 "$work/standin.crt" "$work/standin.key" "$x/"
  genisoimage -quiet -output "$out/$n/extra.iso" -volid KSE2E -joliet -rock "$x"
done
log "compile: ${BOOTED[*]} ready in $((SECONDS - t0))s ($(du -h "$out/${BOOTED[0]}/seed.iso" | cut -f1) seed ISO)"
