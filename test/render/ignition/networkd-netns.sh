#!/usr/bin/env bash
# Applies a directory of networkd/.link files to a veth with a given MAC, using the real
# systemd-networkd and udev's net_setup_link, inside private network and mount namespaces
# (run it under `unshare -n -m --propagation private`). Prints what the NIC ended up with:
#   link_file=... name=... address=... gateway=... dns=... domains=...
# Usage: networkd-netns.sh DIR MAC
set -euo pipefail
dir=$1 mac=$2
networkd=/lib/systemd/systemd-networkd

mount -t tmpfs tmpfs /etc/systemd/network
mount -t tmpfs tmpfs /run
# This namespace's own sysfs, read-only: networkd then treats links as ready without udevd.
mount -t sysfs -o ro sysfs /sys
cp "$dir"/* /etc/systemd/network/
install -d -o systemd-network -g systemd-network /run/systemd/netif /run/systemd/netif/links \
  /run/systemd/netif/leases /run/systemd/netif/lldp

ip link set lo up
ip link add a0 type veth peer name b0
ip link set a0 address "$mac"
ip link set b0 up

props="$(udevadm test-builtin net_setup_link /sys/class/net/a0 2>/dev/null)"
echo "link_file=$(sed -n 's/^ID_NET_LINK_FILE=//p' <<<"$props")"
echo "name=$(sed -n 's/^ID_NET_NAME=//p' <<<"$props")"

"$networkd" >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
ifindex=$(cat /sys/class/net/a0/ifindex)
for _ in $(seq 1 100); do
  grep -qs '^DNS=' "/run/systemd/netif/links/$ifindex" && ip -4 -o addr show dev a0 | grep -q inet && break
  sleep 0.05
done
echo "address=$(ip -4 -o addr show dev a0 | awk '{print $4}')"
echo "gateway=$(ip -4 route show default dev a0 | awk '{print $3}')"
echo "dns=$(sed -n 's/^DNS=//p' "/run/systemd/netif/links/$ifindex" 2>/dev/null)"
echo "domains=$(sed -n 's/^DOMAINS=//p' "/run/systemd/netif/links/$ifindex" 2>/dev/null)"
