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

# HOSTS_FILE names the control-plane and etcd nodes; this node adds its own line.
HOSTS_FILE='/etc/kubeseed/hosts'
hosts_lines="$(cat "$HOSTS_FILE")"
hosts_lines+=$'\n'"$KS_NODE_IP $KS_NODE"
ks_block_replace /etc/hosts hosts "$hosts_lines"
ks_log "/etc/hosts carries $(grep -vc '^#' <<<"$hosts_lines") kubeseed node entries"

# The endpoint name has its own block: the kubeadm phase repoints it on control-plane nodes
# once their own apiserver answers.
ENDPOINT_HOST='apiserver.cluster.local'
ENDPOINT_IP='10.103.97.2'
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
MODULES=('overlay' 'br_netfilter' 'ip_vs' 'ip_vs_rr' 'ip_vs_wrr' 'ip_vs_sh' 'nf_conntrack' 'ip_vs_lc')
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
IPTABLES_MODE='nft'
ks_log "iptables backend: $IPTABLES_MODE (this OS family ships one backend; nothing to switch)"

# --- SELinux --------------------------------------------------------------------------------
SELINUX_MODE='disabled'
if [[ -f /etc/selinux/config ]]; then
  tmp="$(mktemp /etc/selinux/config.kubeseed.XXXXXX)"
  sed -E "s/^SELINUX=.*/SELINUX=$SELINUX_MODE/" /etc/selinux/config >"$tmp"
  if [[ -n $(ks_replace_if_changed /etc/selinux/config "$tmp") ]]; then
    ks_log "SELinux set to $SELINUX_MODE in /etc/selinux/config"
  fi
fi
if command -v getenforce >/dev/null && [[ $(getenforce) == Enforcing && $SELINUX_MODE != enforcing ]]; then
  # disabled takes a reboot; permissive now is the closest the running kernel gets.
  setenforce 0
  ks_log "SELinux permissive now (setenforce 0)"
fi

# --- firewall: the ports this node's role serves -------------------------------------------
FIREWALL='firewalld'
case $FIREWALL in
  ufw)
    UFW_PORTS=('10250/tcp' '30000:32767/tcp' '8472/udp')
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
    FIREWALLD_PORTS=('10250/tcp' '30000-32767/tcp' '8472/udp')
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
ks_log "no NTP servers in the profile: time sync left as the image has it"
