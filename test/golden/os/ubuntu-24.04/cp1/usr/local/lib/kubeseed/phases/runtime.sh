# mode 755
#!/usr/bin/env bash
# Phase runtime: containerd runs with kubeseed's configuration. The files themselves
# (config.toml, certs.d/*/hosts.toml, and where the OS's unit names a config file of its own, a
# drop-in resetting its ExecStart) were laid by the node's user-data; this phase checks
# config.toml with containerd itself, restarts containerd only when config.toml or the drop-in
# changed (hosts.toml is re-read on every pull), enables it, waits for its socket, and checks
# that the running daemon reads config.toml.
set -euo pipefail
# shellcheck source=/dev/null
. '/usr/local/lib/kubeseed/lib.sh'

CONFIG='/etc/containerd/config.toml'
# The drop-in that makes the OS's containerd.service read $CONFIG, or '' where none is needed.
DROP_IN=''
CONFIG_VERSION='3'
SOCKET='/run/containerd/containerd.sock'
SANDBOX_IMAGE='registry.k8s.io/pause:3.10'
CGROUP_DRIVER='systemd'
SUM_FILE="$KS_STATE_DIR/containerd-config.sha256"

[[ -f $CONFIG ]] || ks_die "$CONFIG is missing: it comes with this node's user-data; was write_files skipped?"
command -v containerd >/dev/null || ks_die "containerd is not installed: the artifacts phase installs it"

# containerd parses the file the same way at start; a rejected file fails here, with its reason.
dump="$(containerd --config "$CONFIG" config dump 2>&1)" || ks_die "containerd rejects $CONFIG: $dump"
grep -Eq '^[[:space:]]*SystemdCgroup = true$' <<<"$dump" || ks_die "containerd does not read SystemdCgroup = true from $CONFIG"

[[ -z $DROP_IN || -f $DROP_IN ]] || ks_die "$DROP_IN is missing: it comes with this node's configuration; without it containerd reads the OS's own config file"

mkdir -p "$KS_STATE_DIR"
want="$(cat "$CONFIG" ${DROP_IN:+"$DROP_IN"} | sha256sum | awk '{print $1}')"
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

# The running daemon reads $CONFIG: the file its command line names (containerd's default when
# it names none), dumped by containerd, is $CONFIG's dump. A unit that starts containerd with a
# config file of its own (Flatcar's, without the drop-in) fails here instead of running without
# kubeseed's mirrors, sandbox image and cgroup driver.
pid="$(systemctl show --property MainPID --value containerd)"
[[ $pid =~ ^[1-9][0-9]*$ && -r /proc/$pid/cmdline ]] || ks_die "containerd.service has no running main process; see journalctl -u containerd"
mapfile -d '' -t argv <"/proc/$pid/cmdline"
daemon_config=/etc/containerd/config.toml
for ((i = 1; i < ${#argv[@]}; i++)); do
  case ${argv[i]} in
    --config | -c) daemon_config=${argv[i + 1]:-} ;;
    --config=*) daemon_config=${argv[i]#--config=} ;;
  esac
done
running="$(containerd --config "$daemon_config" config dump 2>&1)" || running=''
[[ $running == "$dump" ]] || ks_die "the running containerd (pid $pid: ${argv[*]}) reads $daemon_config, not $CONFIG${DROP_IN:+ (is $DROP_IN in effect? systemctl cat containerd)}"
ks_log "containerd (pid $pid) runs with $CONFIG"
ks_log "containerd ready on $SOCKET; sandbox image $SANDBOX_IMAGE; kubelet cgroup driver $CGROUP_DRIVER (written to KubeletConfiguration by the kubeadm phase)"
