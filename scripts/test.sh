#!/usr/bin/env bash
# The whole test suite: installs the real tools the tests run (when it can), runs the unit and
# real-tool tests with vitest, then the end-to-end VM test, and ends with one summary line
# "N passed, N failed, N skipped" after the name of every test that did not run and why, so that
# a run which executed nothing is visible. Under CI=true (.ci/run sets it) a test whose tool is
# missing fails instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages of the real consumers our tests check output with.
PACKAGES=(cloud-init shellcheck containerd ignition genisoimage xorriso openssl ipvsadm
  iproute2 qemu-system-x86 qemu-utils debootstrap e2fsprogs tar coreutils golang-go libarchive-tools
  network-manager systemd udev util-linux kmod cpio iptables curl python3 diffutils strace binutils
  python3-yaml docker-registry skopeo apache2-utils busybox-static dnsmasq-base ipxe-qemu wrk
  apt-utils gpg gpgconf dpkg-dev createrepo-c rpm dnf)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "test: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test: WARNING: missing Debian packages: ${missing[*]} (real-tool tests will say which)" >&2
  fi
fi

# The built CLI is tested too (test/cli/built-cli.test.ts, the e2e): build it from these sources.
npm run --silent build

# The kernel VM tests (the IPVS checker; networkd's bonds and VLANs) boot Debian's kernel: fetch
# its package once (cached in .cache/kernel).
if command -v apt-get >/dev/null; then
  bash test/vm/prepare-kernel.sh >/dev/null || echo "test: WARNING: could not fetch the kernel for the kernel VM tests" >&2
fi

status=0
rm -f test-results.json
# Arguments go to vitest (`npm test -- test/render` runs those files only).
npx vitest run --reporter=default --reporter=json --outputFile=test-results.json "$@" || status=$?

# The end-to-end VM tests (a control-plane and a worker VM booted from kubeseed's seed ISOs, then
# a seed compiled for the wrong MAC that the preflight must stop) exit 77 when they cannot run
# here: counted as skipped, and a failure under CI=true.
e2e_passed=0 e2e_failed=0 e2e_skipped=()
# The VM runs (test/e2e/README.md): kubeseed's cluster (cp1 and w1 from seed ISOs), a seed for
# the wrong MAC, a node that boots from the network through kubeseed serve, and the network
# profile on an ifupdown image (cp1's default route; w1's bond and VLAN).
E2E_RUNS=("test/e2e/run.sh" "test/e2e/run.sh --wrong-mac" "test/e2e/netboot.sh cp1" "test/e2e/run.sh --net")
for name in "${E2E_RUNS[@]}"; do
  if [[ ${KUBESEED_SKIP_E2E:-} == 1 ]]; then
    e2e_skipped+=("$name=KUBESEED_SKIP_E2E=1")
    continue
  fi
  e2e_status=0
  read -r -a cmd <<<"$name"
  bash "${cmd[@]}" || e2e_status=$?
  case $e2e_status in
    0) e2e_passed=$((e2e_passed + 1)) ;;
    77) if [[ ${CI:-} == true ]]; then e2e_failed=$((e2e_failed + 1)); status=1
        else e2e_skipped+=("$name=cannot run here (exit 77; its output above says why)"); fi ;;
    *) e2e_failed=$((e2e_failed + 1)); status=1 ;;
  esac
done

node scripts/test-summary.mjs test-results.json "$e2e_passed" "$e2e_failed" ${e2e_skipped[@]+"${e2e_skipped[@]}"}
exit "$status"
