# mode 755
#!/usr/bin/env bash
# Phase preflight: is this the machine the profile describes, and can kubeadm run here?
# Changes nothing on the node but what the network renderer left out of the profile's network
# (the default route, an address-less VLAN): a mismatch stops first boot before anything is
# touched. One exception: on a machine that is not the node, the secret files its user-data (or
# Ignition) staged for the secrets phase are removed, since they belong to another machine. A
# right machine that is not ready (no route, ports taken) keeps them staged for the next run.
set -euo pipefail
# shellcheck source=/dev/null
. '/usr/local/lib/kubeseed/lib.sh'

EXPECTED_MAC=$KS_NODE_MAC
EXPECTED_UUID=$KS_NODE_PRODUCT_UUID
REQUIRED_PORTS=('6443' '2379' '2380' '10250' '10257' '10259')
CONTAINERD_SOCKET='/var/run/containerd/containerd.sock'
CONFLICTING_SOCKETS=('/var/run/crio/crio.sock' '/var/run/cri-dockerd.sock' '/var/run/docker.sock')
CONFLICTING_RUNTIMES=('CRI-O' 'cri-dockerd (Docker Engine through CRI)' 'Docker Engine')

# not_this_machine MESSAGE...: stops first boot, after removing the staged secret files.
not_this_machine() {
  if [[ -d $KS_SECRET_STAGING ]]; then
    ks_remove_staged_secrets
    ks_log "removed the secret files staged in $KS_SECRET_STAGING: this machine is not node $KS_NODE"
  fi
  ks_die "$@"
}

# --- identity: MACs and product_uuid --------------------------------------------------------
# perm_mac DEV: the NIC's own MAC. A bond member's current address is the bond's (the first
# member's), so a bonded NIC is known by the permanent address the bonding driver keeps.
perm_mac() {
  if [[ -r /sys/class/net/$1/bonding_slave/perm_hwaddr ]]; then
    cat "/sys/class/net/$1/bonding_slave/perm_hwaddr"
  else
    cat "/sys/class/net/$1/address" 2>/dev/null || true
  fi
}
# dev_with_mac MAC: the NIC whose permanent MAC is MAC. Bonds and VLANs carry a NIC's MAC too,
# so they are passed over.
dev_with_mac() {
  local d
  for d in /sys/class/net/*; do
    [[ -d $d/bonding || -e /proc/net/vlan/${d##*/} ]] && continue
    [[ $(perm_mac "${d##*/}") == "$1" ]] && { echo "${d##*/}"; return 0; }
  done
  return 1
}
macs="$(for d in /sys/class/net/*; do perm_mac "${d##*/}"; done | sort -u | tr '\n' ' ')"
macs="${macs% }"
uuid="$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || echo unknown)"
uuid="${uuid,,}"
ks_log "this machine: MACs ${macs:-none}; product_uuid $uuid"

found=0
dev_with_mac "$EXPECTED_MAC" >/dev/null && found=1
((found)) || not_this_machine "no interface has MAC $EXPECTED_MAC: this user-data is for node $KS_NODE (MAC $EXPECTED_MAC) and this machine has ${macs:-no MACs}"

if [[ -n $EXPECTED_UUID && $uuid != "$EXPECTED_UUID" ]]; then
  not_this_machine "product_uuid is $uuid but the profile records $EXPECTED_UUID for node $KS_NODE"
fi

# --- network: the profile's interfaces, the node address on its interface, the default route --
NET_IFACE='eth0'
NET_MEMBERS=()
NET_BONDS=()
NET_BOND_MODES=()
NET_VLANS=()
NET_VLAN_IDS=()
NET_VLAN_LINKS=()
NET_MTU_IFACES=()
NET_MTUS=()
# `auto` lines for the VLANs ifupdown has a stanza for but would not bring up (below).
IFUPDOWN_AUTO=/etc/network/interfaces.d/60-kubeseed-vlans
net_problems=()
for nic in "${KS_NODE_NICS[@]}"; do
  name=${nic%%=*} mac=${nic#*=}
  if ! dev=$(dev_with_mac "$mac"); then
    net_problems+=("NIC $name (MAC $mac) is missing")
    continue
  fi
  [[ $dev == "$name" ]] || ks_log "NIC with MAC $mac is named $dev, not $name"
  for m in "${NET_MEMBERS[@]}"; do
    [[ ${m%%=*} == "$name" ]] || continue
    master=$(readlink "/sys/class/net/$dev/master" 2>/dev/null || true)
    master=${master##*/}
    [[ $master == "${m#*=}" ]] || net_problems+=("NIC $dev (MAC $mac) is not a member of bond ${m#*=} (its master: ${master:-none})")
  done
done
for i in "${!NET_BONDS[@]}"; do
  bond=${NET_BONDS[$i]}
  if [[ ! -r /sys/class/net/$bond/bonding/mode ]]; then
    net_problems+=("bond $bond is missing")
    continue
  fi
  mode=$(cat "/sys/class/net/$bond/bonding/mode")
  [[ ${mode%% *} == "${NET_BOND_MODES[$i]}" ]] || net_problems+=("bond $bond runs mode ${mode%% *}, not ${NET_BOND_MODES[$i]}")
done
# /proc/net/vlan/<dev> (8021q's own view): "<dev>  VID: <id> ..." and "Device: <link>".
# cloud-init's eni renderer writes an `iface` stanza but no `auto` line for a VLAN without an
# address, so ifupdown never creates it. Where ifupdown has that stanza, mark it `auto` in a file
# of our own (every later boot's `ifup -a` then makes it) and bring it up with ifup now; on any
# other system make it for this boot, as the profile says.
for i in "${!NET_VLANS[@]}"; do
  vlan=${NET_VLANS[$i]}
  if [[ ! -r /proc/net/vlan/$vlan && $vlan != "$NET_IFACE" && -e /sys/class/net/${NET_VLAN_LINKS[$i]} ]]; then
    if command -v ifup >/dev/null && grep -qsxF "iface $vlan inet manual" /etc/network/interfaces /etc/network/interfaces.d/*; then
      grep -qsxF "auto $vlan" "$IFUPDOWN_AUTO" || echo "auto $vlan" >>"$IFUPDOWN_AUTO"
      ifup "$vlan" || true
      how="marked it auto in $IFUPDOWN_AUTO and brought it up with ifup"
    else
      ip link add link "${NET_VLAN_LINKS[$i]}" name "$vlan" type vlan id "${NET_VLAN_IDS[$i]}"
      for j in "${!NET_MTU_IFACES[@]}"; do
        [[ ${NET_MTU_IFACES[$j]} == "$vlan" ]] && ip link set dev "$vlan" mtu "${NET_MTUS[$j]}"
      done
      ip link set dev "$vlan" up
      how="created it for this boot"
    fi
    ks_log "VLAN $vlan (id ${NET_VLAN_IDS[$i]} on ${NET_VLAN_LINKS[$i]}) was not there (the network renderer did not create it): $how"
  fi
  if [[ ! -r /proc/net/vlan/$vlan ]]; then
    net_problems+=("VLAN $vlan is missing")
    continue
  fi
  vid=$(awk 'NR == 1 { for (f = 1; f < NF; f++) if ($f == "VID:") print $(f + 1) }' "/proc/net/vlan/$vlan")
  link=$(awk '$1 == "Device:" { print $2 }' "/proc/net/vlan/$vlan")
  [[ $vid == "${NET_VLAN_IDS[$i]}" && $link == "${NET_VLAN_LINKS[$i]}" ]] ||
    net_problems+=("VLAN $vlan has id ${vid:-?} on ${link:-?}, not id ${NET_VLAN_IDS[$i]} on ${NET_VLAN_LINKS[$i]}")
done
for i in "${!NET_MTU_IFACES[@]}"; do
  dev=${NET_MTU_IFACES[$i]}
  # A missing interface is reported above (or by the address check).
  [[ -r /sys/class/net/$dev/mtu ]] || continue
  mtu=$(cat "/sys/class/net/$dev/mtu")
  [[ $mtu == "${NET_MTUS[$i]}" ]] || net_problems+=("$dev has MTU $mtu, not ${NET_MTUS[$i]}")
done
if ! ip -4 -o addr show dev "$NET_IFACE" 2>/dev/null | grep -q " inet $KS_NODE_IP/$KS_NODE_PREFIX "; then
  held=$(ip -4 -o addr show | awk -v a="$KS_NODE_IP/$KS_NODE_PREFIX" '$4 == a { print $2 }' | tr '\n' ' ')
  net_problems+=("address $KS_NODE_IP/$KS_NODE_PREFIX is not on $NET_IFACE${held:+ (it is on ${held% })}")
fi
if ((${#net_problems[@]})); then
  problems=$(printf '%s; ' "${net_problems[@]}")
  ks_die "the network is not as the profile says: ${problems%; } (cloud-init's networkd renderer creates no bonds or VLANs; ifupdown needs the ifenslave package for bonds)"
fi

# The default route through the profile's gateway. A renderer may leave it out (cloud-init's
# eni renderer writes routes as `post-up route add ... || true`, and net-tools' route is not on
# minimal installs): then add it here, with iproute2, for this boot.
default_route=$(ip -4 route show default)
if [[ -z $KS_NODE_GATEWAY ]]; then
  [[ -n $default_route ]] || ks_die "no IPv4 default route, and the profile gives node $KS_NODE no gateway: kubeadm needs one to pick the node address"
elif [[ -n $(ip -4 route show default via "$KS_NODE_GATEWAY" dev "$NET_IFACE") ]]; then
  ks_log "default route via $KS_NODE_GATEWAY dev $NET_IFACE present"
elif [[ -z $default_route ]]; then
  ip -4 route replace default via "$KS_NODE_GATEWAY" dev "$NET_IFACE"
  [[ -n $(ip -4 route show default via "$KS_NODE_GATEWAY" dev "$NET_IFACE") ]] || ks_die "could not add the default route via $KS_NODE_GATEWAY dev $NET_IFACE"
  ks_log "no default route (the network renderer set none): added default via $KS_NODE_GATEWAY dev $NET_IFACE"
else
  ks_die "the default route is '$(head -n1 <<<"$default_route")', not via $KS_NODE_GATEWAY dev $NET_IFACE as the profile says"
fi

# --- ports kubeadm's components will bind ---------------------------------------------------
# Once the node has joined (kubelet.conf exists) its own components hold these ports.
if [[ -f /etc/kubernetes/kubelet.conf ]]; then
  ks_log "node already joined (/etc/kubernetes/kubelet.conf present): port check skipped"
else
  listening="$(ss -Htln | awk '{print $4}' | sed -E 's/.*:([0-9]+)$/\1/' | sort -un | tr '\n' ' ')"
  busy=()
  for port in "${REQUIRED_PORTS[@]}"; do
    [[ " $listening " == *" $port "* ]] && busy+=("$port")
  done
  ((${#busy[@]} == 0)) || ks_die "TCP ports ${busy[*]} are already in use; kubeadm needs ${REQUIRED_PORTS[*]} free on node $KS_NODE (see: ss -tlnp)"
fi

# --- container runtime: the CRI sockets kubeadm probes --------------------------------------
for i in "${!CONFLICTING_SOCKETS[@]}"; do
  sock=${CONFLICTING_SOCKETS[$i]}
  if [[ -S $sock ]]; then
    ks_die "${CONFLICTING_RUNTIMES[$i]} is running here ($sock): kubeseed configures containerd and kubeadm refuses to choose between runtimes; remove ${CONFLICTING_RUNTIMES[$i]} or use a clean image"
  fi
done
if [[ -S $CONTAINERD_SOCKET ]]; then
  ks_log "containerd is already running ($CONTAINERD_SOCKET): the runtime phase will apply kubeseed's configuration"
fi

ks_log "preflight ok: MAC $EXPECTED_MAC present${EXPECTED_UUID:+, product_uuid matches}, $KS_NODE_IP/$KS_NODE_PREFIX on $NET_IFACE, default route present, ports ${REQUIRED_PORTS[*]} free, no conflicting runtime"
