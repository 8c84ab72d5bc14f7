# mode 755
#!/usr/bin/env bash
# Phase preflight: is this the machine the profile describes, and can kubeadm run here?
# Changes nothing on the node: a mismatch stops first boot before anything is touched. One
# exception: on a machine that is not the node, the secret files its user-data (or Ignition)
# staged for the secrets phase are removed, since they belong to another machine. A right
# machine that is not ready (no route, ports taken) keeps them staged for the next run.
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
macs="$(cat /sys/class/net/*/address 2>/dev/null | sort -u | tr '\n' ' ')"
macs="${macs% }"
uuid="$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || echo unknown)"
uuid="${uuid,,}"
ks_log "this machine: MACs ${macs:-none}; product_uuid $uuid"

found=0
for f in /sys/class/net/*/address; do
  [[ -r $f ]] || continue
  [[ $(cat "$f") == "$EXPECTED_MAC" ]] && found=1
done
((found)) || not_this_machine "no interface has MAC $EXPECTED_MAC: this user-data is for node $KS_NODE (MAC $EXPECTED_MAC) and this machine has ${macs:-no MACs}"

if [[ -n $EXPECTED_UUID && $uuid != "$EXPECTED_UUID" ]]; then
  not_this_machine "product_uuid is $uuid but the profile records $EXPECTED_UUID for node $KS_NODE"
fi

# --- network: default route -----------------------------------------------------------------
[[ -n $(ip -4 route show default) ]] || ks_die "no IPv4 default route: kubeadm needs one to pick the node address"

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

ks_log "preflight ok: MAC $EXPECTED_MAC present${EXPECTED_UUID:+, product_uuid matches}, default route present, ports ${REQUIRED_PORTS[*]} free, no conflicting runtime"
