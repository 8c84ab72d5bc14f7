#!/usr/bin/env bash
# Runs the real NetworkManager (keyfile plugin, its own D-Bus system bus) on a directory of
# keyfiles inside private network and mount namespaces (run it under
# `unshare -n -m --propagation private`), with one veth per MAC given, and prints what it made
# of them:
#   conn=<id>                                   each connection NetworkManager loaded, then its
#   <id>|<setting.property>:<value>             properties as `nmcli -t connection show` gives them
#   addr=<dev> <cidr> / route=<ip route line>   the addresses and default route it set (with
#                                               WAIT_ADDRESS=1, once there is an address)
# Usage: [WAIT_ADDRESS=1] networkmanager-netns.sh DIR MAC...
set -euo pipefail
dir=$1
shift

mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /etc/NetworkManager/system-connections
mount -t tmpfs tmpfs /var/lib/NetworkManager
mount -t sysfs -o ro sysfs /sys
install -m 0600 "$dir"/*.nmconnection /etc/NetworkManager/system-connections/
mkdir -p /run/dbus
dbus-daemon --system --fork --nopidfile
ip link set lo up
i=0
for mac in "$@"; do
  ip link add "n$i" type veth peer name "p$i"
  ip link set "n$i" address "$mac"
  ip link set "p$i" up
  i=$((i + 1))
done
# No default connection for the peers (they are not the node's), no DNS changes on this host.
cat >/run/nm.conf <<'CONF'
[main]
plugins=keyfile
no-auto-default=*
dns=none
CONF
NetworkManager --no-daemon --config=/run/nm.conf >/run/nm.log 2>&1 &
pid=$!
# The namespace goes with this script: no need for NetworkManager's orderly shutdown.
trap 'kill -KILL "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  nmcli -t general status >/dev/null 2>&1 && break
  sleep 0.05
done
mapfile -t ids < <(nmcli -t -f NAME connection show | grep -vx lo | sort)
for id in "${ids[@]}"; do
  echo "conn=$id"
  nmcli -t connection show "$id" | sed "s/^/$id|/"
done
# WAIT_ADDRESS=1 (a plain NIC): wait for the static address NetworkManager puts on it (up to 10 s).
if [[ ${WAIT_ADDRESS:-} == 1 ]]; then
  for _ in $(seq 1 100); do
    [[ -n $(ip -4 -o addr show scope global) ]] && break
    sleep 0.1
  done
  sleep 0.5
fi
ip -4 -o addr show scope global | awk '{ print "addr=" $2 " " $4 }'
ip -4 route show default | sed 's/^/route=/'
