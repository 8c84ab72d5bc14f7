#!/bin/bash
# /init of the networkd VM (test/vm/kernel-vm.sh): Debian's kernel, which has bonding and 8021q
# (this sandbox's kernel has neither), and this host's systemd-networkd. Each directory
# /srv/nodes/<key>/ holds a node's networkd units (units/) and its NICs' MACs (macs, one line);
# networkd-netdev-netns.sh loads them in fresh network and mount namespaces, as on the host.
#
# Output on the console, for networkd.test.ts:
#   NODE <key> <line>            each line networkd-netdev-netns.sh printed
#   NODE <key> stderr=<line>     each line it wrote to stderr (none expected)
#   NODE <key> status=<n>        its exit status
#   GUEST DONE
set -uo pipefail
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || true
mkdir -p /run /tmp /etc/systemd/network
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

finish() {
  echo "GUEST DONE"
  sync
  echo o >/proc/sysrq-trigger
  sleep 10
}
trap finish EXIT

echo "KERNEL $(uname -r)"
# max_bonds=0: no bond0 of the module's own; networkd makes every bond.
modprobe bonding max_bonds=0 && modprobe 8021q && modprobe veth || echo "MODPROBE FAILED"

for d in /srv/nodes/*/; do
  key=${d%/}
  key=${key##*/}
  read -r -a macs <"$d/macs"
  status=0
  unshare -n -m --propagation private bash /srv/networkd-netdev-netns.sh "$d/units" "${macs[@]}" \
    >/tmp/out 2>/tmp/err || status=$?
  sed "s/^/NODE $key /" /tmp/out
  sed "s/^/NODE $key stderr=/" /tmp/err
  echo "NODE $key status=$status"
done
