# shellcheck shell=bash
# Shared by the e2e scripts: paths and the "cannot run here" exit.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
CACHE_DIR=${KUBESEED_E2E_CACHE:-$REPO_DIR/.cache/e2e}
export E2E_DIR REPO_DIR CACHE_DIR

# Exit 77 ("did not run") and say so loudly: a skipped VM test must never look like a pass.
cannot_run() {
  {
    echo "##############################################################"
    echo "e2e: CANNOT RUN HERE: $*"
    echo "##############################################################"
  } >&2
  exit 77
}

need_root() {
  [[ $(id -u) == 0 ]] || cannot_run "needs root (debootstrap, mkfs.ext4 -d with owners)"
}

need_cmds() {
  local c pkg missing=()
  for c in "$@"; do
    pkg=${c#*:}
    c=${c%%:*}
    command -v "$c" >/dev/null 2>&1 || missing+=("$c (Debian package $pkg)")
  done
  ((${#missing[@]} == 0)) || cannot_run "missing tools: ${missing[*]}"
}

log() { printf 'e2e: %s\n' "$*" >&2; }

# Prints "kvm" when KVM really runs this image's kernel, else "tcg". Opening /dev/kvm is not
# enough: on a nested host (e.g. PVM, /sys/module/kvm_pvm) qemu starts with accel=kvm and the
# guest never prints a line, and `-cpu host` can abort on MSRs the host refuses. So boot the
# kernel with no root disk: it prints its banner and panics, and panic=-1 + -no-reboot make qemu
# exit, in about a second under KVM.
pick_accel() {
  local image=$1 probe
  if [[ ! -c /dev/kvm ]]; then
    log "accel: no /dev/kvm; using TCG (slow)"
    echo tcg
    return
  fi
  probe=$(mktemp -d)
  timeout -k 2 20 qemu-system-x86_64 -machine q35,accel=kvm -cpu host -nodefaults -display none \
    -no-reboot -m 256 -kernel "$image/vmlinuz" -append "console=ttyS0 panic=-1 root=/dev/null" \
    -serial "file:$probe/serial" >"$probe/err" 2>&1 || true
  if grep -q 'Linux version' "$probe/serial" 2>/dev/null; then
    echo kvm
  else
    log "accel: /dev/kvm exists but a probe boot under KVM printed nothing ($(head -c 200 "$probe/err" | tr '\n' ' ')); using TCG (slow)"
    echo tcg
  fi
  rm -rf "$probe"
}
