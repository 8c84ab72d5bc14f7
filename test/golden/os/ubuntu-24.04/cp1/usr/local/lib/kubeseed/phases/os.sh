# mode 755
#!/usr/bin/env bash
# Phase os: prepares the operating system the way kubeadm's install practice asks: hostname and
# /etc/hosts, swap off, kernel modules and sysctls, iptables backend, SELinux, firewall ports,
# time sync. The OS packages it uses (iptables, ebtables, chrony) are installed by the artifacts
# phase, which runs before it. Every step checks before it changes, so a second run changes nothing.
set -euo pipefail
# shellcheck source=/dev/null
. '/usr/local/lib/kubeseed/lib.sh'

# ks_replace_if_changed FILE TMP: move TMP over FILE when their contents differ (keeping FILE's
# mode); prints "changed" when it did.
ks_replace_if_changed() {
  local file=$1 tmp=$2
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 0
  fi
  [[ -f $file ]] && chmod --reference="$file" "$tmp"
  mv -f "$tmp" "$file"
  echo changed
}

# --- hostname and /etc/hosts ----------------------------------------------------------------
HOSTNAME_WANTED=$KS_NODE
if [[ $(hostname) != "$HOSTNAME_WANTED" ]]; then
  hostnamectl set-hostname "$HOSTNAME_WANTED" 2>/dev/null || hostname "$HOSTNAME_WANTED"
  ks_log "hostname set to $HOSTNAME_WANTED"
fi

# HOSTS_FILE names the control-plane and etcd nodes.
HOSTS_FILE='/etc/kubeseed/hosts'
hosts_lines="$(cat "$HOSTS_FILE")"
ks_block_replace /etc/hosts hosts "$hosts_lines"
ks_log "/etc/hosts carries $(grep -vc '^#' <<<"$hosts_lines") kubeseed node entries"

# The endpoint name has its own block: the kubeadm phase repoints it on control-plane nodes
# once their own apiserver answers.
ENDPOINT_HOST='apiserver.cluster.local'
ENDPOINT_IP='192.168.10.11'
if [[ -n $ENDPOINT_IP ]]; then
  ks_block_replace /etc/hosts endpoint "$ENDPOINT_IP $ENDPOINT_HOST"
  ks_log "$ENDPOINT_HOST resolves to $ENDPOINT_IP"
fi

# --- swap: off now and at every boot (kubelet refuses to start with swap on) ----------------
if [[ -r /proc/swaps ]] && (($(wc -l </proc/swaps) > 1)); then
  swapoff -a
  ks_log "swap turned off"
fi
if [[ -f /etc/fstab ]]; then
  tmp="$(mktemp /etc/fstab.kubeseed.XXXXXX)"
  awk '$0 !~ /^[[:space:]]*#/ && $3 == "swap" {print "#kubeseed-swap-off# " $0; next} {print}' /etc/fstab >"$tmp"
  if [[ -n $(ks_replace_if_changed /etc/fstab "$tmp") ]]; then
    ks_log "swap entries in /etc/fstab commented out"
  fi
fi

# --- kernel modules, then sysctls (the bridge keys exist only once br_netfilter is loaded) --
MODULES_FILE='/etc/modules-load.d/kubernetes.conf'
SYSCTL_FILE='/etc/sysctl.d/99-kubernetes.conf'
MODULES=('overlay' 'br_netfilter')
for module in "${MODULES[@]}"; do
  modprobe "$module" || ks_die "cannot load kernel module $module (listed in $MODULES_FILE)"
done
ks_log "kernel modules loaded: ${MODULES[*]}"
# sysctl --system also applies the image's own files; one of their keys failing is not ours to
# judge, so it is logged, and then each of our settings is checked by reading it back.
sysctl --system >/dev/null 2>&1 || ks_log "WARNING: sysctl --system reported errors (run it by hand to see them)"
SYSCTL_KEYS=('net.bridge.bridge-nf-call-iptables' 'net.bridge.bridge-nf-call-ip6tables' 'net.ipv4.ip_forward')
SYSCTL_VALUES=('1' '1' '1')
for i in "${!SYSCTL_KEYS[@]}"; do
  value="$(sysctl -n "${SYSCTL_KEYS[$i]}" 2>/dev/null || true)"
  [[ $value == "${SYSCTL_VALUES[$i]}" ]] || ks_die "${SYSCTL_KEYS[$i]} is '${value:-missing}', expected ${SYSCTL_VALUES[$i]} (from $SYSCTL_FILE)"
done
ks_log "sysctl settings applied: ${SYSCTL_KEYS[*]}"

# --- iptables backend -----------------------------------------------------------------------
IPTABLES_MODE='legacy'
for tool in iptables ip6tables arptables ebtables; do
  target="/usr/sbin/$tool-$IPTABLES_MODE"
  if ! current="$(update-alternatives --query "$tool" 2>/dev/null | awk '$1 == "Value:" {print $2}')"; then
    ks_log "no $tool alternative on this system: left as it is"
    continue
  fi
  if [[ $current == "$target" ]]; then
    continue
  elif [[ -x $target ]]; then
    update-alternatives --set "$tool" "$target" >/dev/null
    ks_log "$tool now uses $target"
  else
    ks_log "$target is not installed: $tool left at ${current:-its default}"
  fi
done
ks_log "iptables backend: $IPTABLES_MODE"

# --- SELinux --------------------------------------------------------------------------------
ks_log "SELinux: this OS family does not use it; nothing to do"

# --- firewall: the ports this node's role serves -------------------------------------------
FIREWALL='ufw'
case $FIREWALL in
  ufw)
    UFW_PORTS=('6443/tcp' '2379:2380/tcp' '10250/tcp' '10257/tcp' '10259/tcp' '8472/udp')
    # Captured, not piped into grep -q: with pipefail an early grep exit can fail the pipeline.
    if command -v ufw >/dev/null && [[ $(ufw status 2>/dev/null) == 'Status: active'* ]]; then
      for port in "${UFW_PORTS[@]}"; do
        ufw allow "$port" >/dev/null
      done
      ks_log "ufw allows ${UFW_PORTS[*]}"
    else
      ks_log "ufw not installed or not active: no firewall ports to open"
    fi
    ;;
  firewalld)
    FIREWALLD_PORTS=('6443/tcp' '2379-2380/tcp' '10250/tcp' '10257/tcp' '10259/tcp' '8472/udp')
    if command -v firewall-cmd >/dev/null && [[ $(firewall-cmd --state 2>/dev/null) == running ]]; then
      added=0
      for port in "${FIREWALLD_PORTS[@]}"; do
        if ! firewall-cmd --permanent --query-port="$port" >/dev/null 2>&1; then
          firewall-cmd --permanent --add-port="$port" >/dev/null
          added=1
        fi
      done
      ((added)) && firewall-cmd --reload >/dev/null
      ks_log "firewalld allows ${FIREWALLD_PORTS[*]}"
    else
      ks_log "firewalld not installed or not running: no firewall ports to open"
    fi
    ;;
  *) ks_log "firewall management off for this node: no ports opened" ;;
esac

# --- time sync: chrony with the profile's NTP servers ----------------------------------------
NTP_SOURCES='/etc/kubeseed/chrony.sources'
CHRONY_CONF='/etc/chrony/chrony.conf'
CHRONY_SOURCES_DIR='/etc/chrony/sources.d'
CHRONY_SERVICE='chrony'

# ks_chrony_sum: one checksum over chrony's configuration, to restart only when it changed.
ks_chrony_sum() {
  {
    cat "$CHRONY_CONF"
    if [[ -n $CHRONY_SOURCES_DIR && -d $CHRONY_SOURCES_DIR ]]; then
      find "$CHRONY_SOURCES_DIR" -maxdepth 1 -type f -name '*.sources' -print0 | sort -z | xargs -0r cat
    fi
  } | sha256sum
}

# ks_chrony_quiet FILE: comment out the distribution's pool/server/peer lines outside our block,
# so that only the profile's servers are used.
ks_chrony_quiet() {
  local tmp
  tmp="$(mktemp "$1.kubeseed.XXXXXX")"
  awk '$0 == "# BEGIN kubeseed ntp" {inside = 1} $0 == "# END kubeseed ntp" {inside = 0; print; next}
    !inside && $1 ~ /^(pool|server|peer)$/ {print "#kubeseed-off# " $0; next} {print}' "$1" >"$tmp"
  ks_replace_if_changed "$1" "$tmp" >/dev/null
}

if [[ ! -f $CHRONY_CONF ]]; then
  ks_log "WARNING: chrony is not installed ($CHRONY_CONF missing): NTP servers $(tr '\n' ' ' <"$NTP_SOURCES")not configured"
else
  before="$(ks_chrony_sum)"
  ks_chrony_quiet "$CHRONY_CONF"
  if [[ -n $CHRONY_SOURCES_DIR ]] && grep -Eq "^[[:space:]]*sourcedir[[:space:]]+$CHRONY_SOURCES_DIR/?[[:space:]]*$" "$CHRONY_CONF"; then
    for f in "$CHRONY_SOURCES_DIR"/*.sources; do
      [[ -f $f && $f != "$CHRONY_SOURCES_DIR/kubeseed.sources" ]] && ks_chrony_quiet "$f"
    done
    tmp="$(mktemp "$CHRONY_SOURCES_DIR/.kubeseed.XXXXXX")"
    cp "$NTP_SOURCES" "$tmp"
    chmod 0644 "$tmp"
    ks_replace_if_changed "$CHRONY_SOURCES_DIR/kubeseed.sources" "$tmp" >/dev/null
    where="$CHRONY_SOURCES_DIR/kubeseed.sources"
  else
    ks_block_replace "$CHRONY_CONF" ntp "$(cat "$NTP_SOURCES")"
    where="$CHRONY_CONF"
  fi
  if [[ $before != "$(ks_chrony_sum)" ]]; then
    systemctl enable "$CHRONY_SERVICE" >/dev/null 2>&1 || true
    systemctl restart "$CHRONY_SERVICE"
    ks_log "chrony uses the profile's NTP servers ($where); $CHRONY_SERVICE restarted"
  else
    ks_log "chrony already uses the profile's NTP servers ($where)"
  fi
fi
