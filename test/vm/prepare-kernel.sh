#!/usr/bin/env bash
# Downloads (once) the Debian kernel package the kernel VM tests boot (test/vm/kernel-vm.sh: the
# IPVS checker, networkd's bonds and VLANs), and unpacks it into .cache/kernel/kernel. Needs
# apt-get and the network, so it is a setup step, never part of a test.
# Prints the kernel directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.cache/kernel
if [[ -f $dir/kernel/done ]]; then
  echo "$PWD/$dir/kernel"
  exit 0
fi
mkdir -p "$dir"
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $pkg ]] || { echo "prepare-kernel.sh: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
(cd "$dir" && apt-get download -qq "$pkg" 2>/dev/null)
rm -rf "$dir/kernel"
dpkg-deb -x "$dir/$pkg"_*.deb "$dir/kernel"
touch "$dir/kernel/done"
echo "$PWD/$dir/kernel"
