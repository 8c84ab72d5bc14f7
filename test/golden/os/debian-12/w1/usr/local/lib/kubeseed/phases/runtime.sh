# mode 755
#!/usr/bin/env bash
# Phase runtime: containerd runs with kubeseed's configuration. The files themselves
# (config.toml, certs.d/*/hosts.toml) were laid by the node's user-data; this phase checks
# config.toml with containerd itself, restarts containerd only when config.toml changed
# (hosts.toml is re-read on every pull), enables it and waits for its socket.
set -euo pipefail
# shellcheck source=/dev/null
. '/usr/local/lib/kubeseed/lib.sh'

CONFIG='/etc/containerd/config.toml'
CONFIG_VERSION='2'
SOCKET='/run/containerd/containerd.sock'
SANDBOX_IMAGE='registry.k8s.io/pause:3.10'
CGROUP_DRIVER='systemd'
SUM_FILE="$KS_STATE_DIR/containerd-config.sha256"

[[ -f $CONFIG ]] || ks_die "$CONFIG is missing: it comes with this node's user-data; was write_files skipped?"
command -v containerd >/dev/null || ks_die "containerd is not installed: the artifacts phase installs it"

# containerd parses the file the same way at start; a rejected file fails here, with its reason.
dump="$(containerd --config "$CONFIG" config dump 2>&1)" || ks_die "containerd rejects $CONFIG: $dump"
grep -Eq '^[[:space:]]*SystemdCgroup = true$' <<<"$dump" || ks_die "containerd does not read SystemdCgroup = true from $CONFIG"

mkdir -p "$KS_STATE_DIR"
want="$(sha256sum "$CONFIG" | awk '{print $1}')"
have="$(cat "$SUM_FILE" 2>/dev/null || true)"

systemctl daemon-reload
if ! systemctl is-enabled --quiet containerd; then
  systemctl enable containerd >/dev/null 2>&1 || ks_die "cannot enable containerd.service: is its unit installed?"
  ks_log "containerd enabled"
fi
if [[ $want != "$have" ]] || ! systemctl is-active --quiet containerd; then
  systemctl restart containerd
  printf '%s\n' "$want" >"$SUM_FILE"
  ks_log "containerd (re)started with $CONFIG (config version $CONFIG_VERSION, sha256 $want)"
else
  ks_log "containerd already runs with $CONFIG (sha256 $want)"
fi

# ks_socket_ready: the CRI socket exists (containerd creates it once its plugins are loaded).
ks_socket_ready() { [[ -S $SOCKET ]]; }
ks_retry 10 1 8 ks_socket_ready || ks_die "containerd did not create $SOCKET; see journalctl -u containerd"
ks_log "containerd ready on $SOCKET; sandbox image $SANDBOX_IMAGE; kubelet cgroup driver $CGROUP_DRIVER (written to KubeletConfiguration by the kubeadm phase)"
