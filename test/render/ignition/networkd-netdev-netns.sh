#!/usr/bin/env bash
# Loads a directory of networkd units (.netdev, .network, .link) into the real systemd-networkd,
# inside private network and mount namespaces (run it under `unshare -n -m --propagation private`),
# with one veth per MAC given (named as our .link files name it), and prints what networkd made of
# them:
#   warning=<file>:<line>: ...        every complaint networkd had about a unit (none expected)
#   loaded=<netdev> <kind>            every .netdev it read
#   created=<netdev>                  every bond or VLAN it made (needs bonding and 8021q in the kernel)
#   link=<ip -d -o link line>         each created device as the kernel has it
# Usage: networkd-netdev-netns.sh DIR MAC...
set -euo pipefail
dir=$1
shift
networkd=/lib/systemd/systemd-networkd

mount -t tmpfs tmpfs /etc/systemd/network
mount -t tmpfs tmpfs /run
# This namespace's own sysfs, read-only: networkd then treats links as ready without udevd.
mount -t sysfs -o ro sysfs /sys
cp "$dir"/* /etc/systemd/network/
install -d -o systemd-network -g systemd-network /run/systemd/netif /run/systemd/netif/links \
  /run/systemd/netif/leases /run/systemd/netif/lldp

ip link set lo up
i=0
for mac in "$@"; do
  ip link add "n$i" type veth peer name "p$i"
  ip link set "n$i" address "$mac"
  ip link set "p$i" up
  # The name a .link file of ours gives it, as udev would on boot (networkd renames nothing).
  props=$(udevadm test-builtin net_setup_link "/sys/class/net/n$i" 2>/dev/null)
  name=$(sed -n 's/^ID_NET_NAME=//p' <<<"$props")
  if [[ $(sed -n 's/^ID_NET_LINK_FILE=//p' <<<"$props") == /etc/systemd/network/* && -n $name ]]; then
    ip link set "n$i" name "$name"
  fi
  i=$((i + 1))
done

SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console "$networkd" >/run/networkd.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
# networkd reads every unit before it enumerates links, then creates the netdevs.
for _ in $(seq 1 100); do
  grep -q 'Enumeration completed' /run/networkd.log && break
  sleep 0.05
done
sleep 1
if ! kill "$pid" 2>/dev/null; then
  echo "systemd-networkd exited by itself; its log:" >&2
  cat /run/networkd.log >&2
  exit 1
fi
wait "$pid" 2>/dev/null || true
trap - EXIT

sed -n 's#^\(/etc/systemd/network/.*\)#warning=\1#p' /run/networkd.log
sed -n 's/^\([^ :]*\): loaded "\([a-z]*\)"$/loaded=\1 \2/p' /run/networkd.log | sort
for f in /etc/systemd/network/*.netdev; do
  name=$(sed -n 's/^Name=//p' "$f")
  if ip link show dev "$name" >/dev/null 2>&1; then
    echo "created=$name"
    echo "link=$(ip -d -o link show dev "$name")"
  fi
done
