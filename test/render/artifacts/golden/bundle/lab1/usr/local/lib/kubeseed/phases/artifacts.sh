#!/usr/bin/env bash
# Phase artifacts: installs kubeseed's binaries, archives, OS package files and images, checking
# every file's sha256 (and every image archive's pinned index digest) against the list below
# (compiled into this script by kubeseed, never taken from the bundle or the mirror) before
# anything is installed; after importing, each image reference must resolve in containerd to its
# pinned digest before kubeadm runs.
# Re-running changes nothing: an artifact whose installed files still match is not fetched again.
set -euo pipefail
# shellcheck source=/dev/null
. '/usr/local/lib/kubeseed/lib.sh'

SOURCE='bundle'
# Source bundle: the bundle tar is looked for at the template path (artifacts.bundlePath, '' for
# none), then on each removable medium below, found by its volume label (the one compile --iso
# wrote first), then at the URL a network boot names on the kernel command line.
BUNDLE_PATH=''
MEDIA_LABELS=('KSBUNDLE' 'cidata')
MEDIA_MOUNTS=('/run/kubeseed/bundle' '/run/kubeseed/seed')
MEDIA_TARS=('kubeseed-bundle.tar' 'kubeseed/kubeseed-bundle.tar')
MEDIA_NAMES=('bundle medium' 'seed ISO')
# A machine booted from the network (kubeseed serve) has no seed ISO: its kernel command line
# names the bundle's URL (kubeseed.bundle=), and the bundle is downloaded here.
NET_BUNDLE="$KS_STATE_DIR/artifacts/net/kubeseed-bundle.tar"
CA_FILE=''
PACKAGE_MANAGER='apt'
SOCKET='unix:///run/containerd/containerd.sock'
WORK="$KS_STATE_DIR/artifacts"
STAGE="$WORK/stage"
# One file per installed artifact, named by its sha256, holding `sha256sum` lines of what it installed.
RECORDS="$WORK/installed"

KINDS=() NAMES=() FILES=() SUMS=() URLS=() DESTS=() MODES=() REFS=() DIGESTS=()
# artifact KIND NAME FILE SHA256 URL INSTALL_TO MODE REF DIGEST
# SHA256 is the file's ('' for an image archive kubeseed had not built at compile time); REF and
# DIGEST are an image's reference and the index digest it must resolve to.
artifact() {
  KINDS+=("$1") NAMES+=("$2") FILES+=("$3") SUMS+=("$4") URLS+=("$5") DESTS+=("$6") MODES+=("$7") REFS+=("$8") DIGESTS+=("$9")
}
artifact 'package' 'package/ipvsadm' 'packages/ipvsadm_1.31-1+b1_amd64.deb' 'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd' '' '' '' '' ''
artifact 'binary' 'kubeadm' 'files/kubeadm' '3228da53372fb8ffab303e7d8b1b0f78c016e461216b6535609e4f2377424349' '' '/usr/local/bin/kubeadm' '0755' '' ''
artifact 'binary' 'kubectl' 'files/kubectl' 'cf609add577be9c898c52027e800a008331d6b2a202ecc61413e847f7a12ccd0' '' '/usr/local/bin/kubectl' '0755' '' ''
artifact 'binary' 'kubelet' 'files/kubelet' '43f4a2ff9d5f40419f74977ed6e1939c4f8db51b0f2e63a98546e146d683c299' '' '/usr/local/bin/kubelet' '0755' '' ''
artifact 'binary' 'runc' 'files/runc.amd64' '5966ca40b6187b30e33bfc299c5f1fe72e8c1aa01cf3fefdadf391668f47f103' '' '/usr/local/sbin/runc' '0755' '' ''
artifact 'archive' 'cni-plugins' 'files/cni-plugins-linux-amd64-v1.8.0.tgz' 'ab3bda535f9d90766cccc90d3dddb5482003dd744d7f22bcf98186bf8eea8be6' '' '/opt/cni/bin' '' '' ''
artifact 'archive' 'containerd' 'files/containerd-1.7.30-linux-amd64.tar.gz' 'ca0f27e34411504acd1cd24fcbaa71b9c47d31ce9408c47c54a2dc1810ceb1df' '' '/usr/local' '' '' ''
artifact 'archive' 'crictl' 'files/crictl-v1.31.1-linux-amd64.tar.gz' '0a03ba6b1e4c253d63627f8d210b2ea07675a8712587e697657b236d06d7d231' '' '/usr/local/bin' '' '' ''
artifact 'image' 'image/pause' 'images/pause_3.10_amd64.tar' 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' '' '' '' 'registry.k8s.io/pause:3.10' 'sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a'
# OS packages the node needs by name (installed from the distribution for source mirror/online).
PKG_NAMES=('ca-certificates' 'conntrack' 'curl' 'ebtables' 'ethtool' 'iproute2' 'iptables' 'ipvsadm' 'kmod' 'socat')
# systemd units kubeseed installs with its own binaries (staged copy, target).
UNIT_SRCS=('/etc/kubeseed/units/containerd.service' '/etc/kubeseed/units/kubelet.service' '/etc/kubeseed/units/10-kubeadm.conf')
UNIT_DSTS=('/etc/systemd/system/containerd.service' '/etc/systemd/system/kubelet.service' '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf')
ENABLE=('containerd' 'kubelet')
NOTES=('the bundle carries no image registry.k8s.io/coredns/coredns:v1.11.3: the registry must serve it' 'the bundle carries no image registry.k8s.io/etcd:3.5.15-0: the registry must serve it' 'the bundle carries no image ghcr.io/flannel-io/flannel:v0.28.5: the registry must serve it' 'the bundle carries no image ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel1: the registry must serve it' 'the bundle carries no image registry.k8s.io/kube-apiserver:v1.31.12: the registry must serve it' 'the bundle carries no image registry.k8s.io/kube-controller-manager:v1.31.12: the registry must serve it' 'the bundle carries no image registry.k8s.io/kube-proxy:v1.31.12: the registry must serve it' 'the bundle carries no image registry.k8s.io/kube-scheduler:v1.31.12: the registry must serve it')

for note in "${NOTES[@]}"; do ks_log "note: $note"; done
mkdir -p "$STAGE" "$RECORDS"
chmod 0700 "$WORK"

# key I: what artifact I's record is named by: its file's sha256, else its index digest.
key() {
  local k=${SUMS[$1]}
  [[ -n $k ]] || k=${DIGESTS[$1]#sha256:}
  printf '%s' "$k"
}

# installed I: artifact I is in place as last installed (its record's files all still match).
installed() {
  local rec
  rec="$RECORDS/$(key "$1")"
  [[ -f $rec ]] || return 1
  [[ -s $rec ]] || return 0
  sha256sum --check --status "$rec" 2>/dev/null
}

todo=()
for i in "${!NAMES[@]}"; do
  installed "$i" || todo+=("$i")
done
if ((${#todo[@]} == 0)); then
  ks_log "all ${#NAMES[@]} artifacts already installed"
fi

# --- OS packages by name: the one place a node installs from its distribution's repositories -----
# pkg_present NAME: installed (dnf: by provided name, as conntrack is provided by conntrack-tools).
pkg_present() {
  case $PACKAGE_MANAGER in
    apt) [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]] ;;
    dnf) rpm -q --whatprovides "$1" >/dev/null 2>&1 ;;
  esac
}
# packages_by_name: source mirror/online installs what is missing with apt-get/dnf (before the
# downloads, which need curl); source bundle only reports what the bundle did not bring.
packages_by_name() {
  local missing=() pkg
  for pkg in "${PKG_NAMES[@]}"; do
    pkg_present "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [[ $SOURCE == bundle || $PACKAGE_MANAGER == none ]]; then
    ks_log "WARNING: OS packages not installed and not in the bundle: ${missing[*]} (kubeadm preflight needs some of them)"
    return 0
  fi
  ks_log "OS packages missing: ${missing[*]}; installing them with $PACKAGE_MANAGER"
  case $PACKAGE_MANAGER in
    apt)
      export DEBIAN_FRONTEND=noninteractive
      ks_retry 5 5 60 apt-get update -q >>"$KS_LOG" 2>&1
      ks_retry 5 5 60 apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$KS_LOG" 2>&1
      ;;
    dnf) ks_retry 5 5 60 dnf install -y -q "${missing[@]}" >>"$KS_LOG" 2>&1 ;;
  esac
  changed=$((changed + ${#missing[@]}))
  ks_log "OS packages installed: ${missing[*]}"
}
changed=0
if [[ $SOURCE != bundle ]]; then packages_by_name; fi

# --- fetch --------------------------------------------------------------------------------------
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

# medium_device LABEL: prints the block device whose file system carries LABEL, if any.
medium_device() {
  local dev
  dev="$(blkid -L "$1" 2>/dev/null || true)"
  [[ -n $dev || ! -e /dev/disk/by-label/$1 ]] || dev=/dev/disk/by-label/$1
  printf '%s' "$dev"
}

# from_medium M: sets tar_path to the bundle on medium M, mounted read-only (unmounted on exit);
# fails, adding the reason to find_bundle's `tried`, when no device has its label or no bundle.
from_medium() {
  local label=${MEDIA_LABELS[$1]} mnt=${MEDIA_MOUNTS[$1]} tar=${MEDIA_TARS[$1]} name=${MEDIA_NAMES[$1]} dev
  if [[ -f $mnt/$tar ]]; then
    ks_log "bundle on the $name already mounted on $mnt"
    tar_path=$mnt/$tar
    return 0
  fi
  dev="$(medium_device "$label")"
  if [[ -z $dev ]]; then
    tried+=("no device labelled $label ($name)")
    return 1
  fi
  mkdir -p "$mnt"
  mount -o ro "$dev" "$mnt" || ks_die "cannot mount the $name $dev (label $label) on $mnt"
  mounted+=("$mnt")
  if [[ ! -f $mnt/$tar ]]; then
    tried+=("the $name $dev (label $label) has no $tar")
    return 1
  fi
  ks_log "bundle on the $name $dev (label $label), mounted read-only on $mnt"
  tar_path=$mnt/$tar
}

# find_bundle: sets tar_path to the bundle tar, or stops naming every place it looked.
# Not run in a subshell: the EXIT trap must see what was mounted.
find_bundle() {
  local tried=() m url
  if [[ -n $BUNDLE_PATH ]]; then
    if [[ -f $BUNDLE_PATH ]]; then
      ks_log "bundle at $BUNDLE_PATH (artifacts.bundlePath)"
      tar_path=$BUNDLE_PATH
      return
    fi
    tried+=("nothing at $BUNDLE_PATH (artifacts.bundlePath)")
  fi
  for m in "${!MEDIA_LABELS[@]}"; do
    if from_medium "$m"; then return; fi
  done
  if url="$(netboot_bundle_url)"; then
    if [[ ! -f $NET_BUNDLE ]]; then
      ks_log "no seed ISO: downloading the bundle named on the kernel command line: $url"
      download "$url" "$NET_BUNDLE" || ks_die "cannot download the bundle from $url"
    fi
    tar_path=$NET_BUNDLE
    return
  fi
  tried+=("no kubeseed.bundle= on the kernel command line")
  m="$(printf '%s; ' "${tried[@]}")"
  ks_die "no offline bundle found (artifacts.source bundle): ${m%; }"
}

# netboot_bundle_url: prints the kubeseed.bundle= URL of the kernel command line; fails without one.
# Split with read -a (no globbing); only a plain http(s) URL is taken.
netboot_bundle_url() {
  local args arg url=
  read -r -a args </proc/cmdline || true
  for arg in "${args[@]}"; do
    if [[ $arg == kubeseed.bundle=* ]]; then url=${arg#kubeseed.bundle=}; fi
  done
  [[ $url =~ ^https?://[A-Za-z0-9.:/_~%+-]+$ ]] || return 1
  printf '%s\n' "$url"
}

# download URL DEST: fetch into DEST through a partial file. curl retries transient HTTP and
# connection errors itself; this loop also waits out a network that is not up yet (no DNS, no
# route), and gives up at once on answers retrying cannot change (HTTP 4xx, TLS trust, CA file).
download() {
  local url=$1 dest=$2 ca=() attempt=1 delay=2 status
  [[ -n $CA_FILE ]] && ca=(--cacert "$CA_FILE")
  mkdir -p "$(dirname "$dest")"
  while true; do
    status=0
    curl --fail --silent --show-error --location --connect-timeout 20 --retry 3 --retry-delay 2 \
      --retry-connrefused "${ca[@]}" -o "$dest.part" "$url" || status=$?
    if ((status == 0)); then
      mv -f "$dest.part" "$dest"
      return 0
    fi
    rm -f "$dest.part"
    case $status in
      22 | 35 | 51 | 58 | 60 | 77)
        ks_log "download failed (curl status $status): $url"
        return 1
        ;;
    esac
    if ((attempt >= 5)); then
      ks_log "download failed after $attempt attempts (curl status $status): $url"
      return 1
    fi
    ks_log "download attempt $attempt failed (curl status $status), retrying in ${delay}s: $url"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

if ((${#todo[@]})); then
  if [[ $SOURCE == bundle ]]; then
    find_bundle
    members="$(tar -tf "$tar_path")" || ks_die "cannot read the bundle $tar_path"
    want=()
    for i in "${todo[@]}"; do
      grep -Fxq -- "${FILES[$i]}" <<<"$members" && want+=("${FILES[$i]}")
    done
    if ((${#want[@]})); then
      tar -xf "$tar_path" -C "$STAGE" --no-same-owner -- "${want[@]}" || ks_die "cannot extract ${want[*]} from $tar_path"
    fi
    ks_log "bundle $tar_path: ${#want[@]} of ${#todo[@]} needed files extracted"
    # A downloaded bundle has given what it holds; a later run that needs it fetches it again.
    if [[ $tar_path == "$NET_BUNDLE" ]]; then rm -f "$NET_BUNDLE"; fi
  else
    command -v curl >/dev/null || ks_die "curl is needed to download ${#todo[@]} artifacts (source $SOURCE) and is not installed"
    for i in "${todo[@]}"; do
      f="$STAGE/${FILES[$i]}"
      # A file left by an interrupted run is kept when it already has the right digest.
      if [[ -f $f && -n ${SUMS[$i]} && $(sha256sum "$f" | awk '{print $1}') == "${SUMS[$i]}" ]]; then continue; fi
      download "${URLS[$i]}" "$f" || true
    done
  fi
fi

# --- verify: every file before anything is installed ------------------------------------------
bad=0
for i in "${todo[@]}"; do
  f="$STAGE/${FILES[$i]}"
  if [[ ! -f $f ]]; then
    where=${URLS[$i]:-the bundle}
    ks_log "MISSING: ${FILES[$i]} (${NAMES[$i]}) not in $where; expected sha256 ${SUMS[$i]}"
    bad=$((bad + 1))
    continue
  fi
  if [[ -n ${SUMS[$i]} ]]; then
    actual="$(sha256sum "$f" | awk '{print $1}')"
    if [[ $actual != "${SUMS[$i]}" ]]; then
      ks_log "TAMPERED: ${FILES[$i]} (${NAMES[$i]}): sha256 mismatch: expected ${SUMS[$i]}, actual $actual"
      bad=$((bad + 1))
      continue
    fi
  fi
  if [[ ${KINDS[$i]} == image ]]; then
    # The archive's index.json (kubeseed writes it as compact JSON with one entry) must name the
    # pinned index; containerd checks every blob against its digest as it imports.
    listed="$(tar -xOf "$f" index.json 2>/dev/null | grep -o '"digest":"sha256:[0-9a-f]\{64\}"' | head -n 1 | cut -d '"' -f 4 || true)"
    if [[ $listed != "${DIGESTS[$i]}" ]]; then
      ks_log "TAMPERED: ${FILES[$i]} (${REFS[$i]}): index digest mismatch: expected ${DIGESTS[$i]}, actual ${listed:-none}"
      bad=$((bad + 1))
    fi
  fi
done
((bad == 0)) || ks_die "$bad of ${#todo[@]} artifacts missing or failing their sha256 check; nothing was installed"
((${#todo[@]} == 0)) || ks_log "verified the sha256 of ${#todo[@]} artifacts"

# --- install ------------------------------------------------------------------------------------

# put_file SRC DEST MODE: DEST becomes a copy of SRC with MODE, replaced atomically, only if it differs.
put_file() {
  local src=$1 dest=$2 mode=$3
  if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c %a "$dest") == "${mode#0}" ]]; then return 0; fi
  mkdir -p "$(dirname "$dest")"
  install -m "$mode" "$src" "$dest.kubeseed-new"
  mv -f "$dest.kubeseed-new" "$dest"
  changed=$((changed + 1))
}

# record I [DEST...]: remember artifact I as installed, with the digests of the files it put down.
record() {
  local i=$1 rec
  shift
  rec="$RECORDS/$(key "$i")"
  if (($#)); then sha256sum -- "$@" >"$rec.new"; else : >"$rec.new"; fi
  mv -f "$rec.new" "$rec"
}

# --- OS packages first: the os phase and every later one use them --------------------------------
debs=() rpms=() deb_idx=() rpm_idx=()
for i in "${todo[@]}"; do
  [[ ${KINDS[$i]} == package ]] || continue
  f="$STAGE/${FILES[$i]}"
  case $f in
    *.deb)
      pkg="$(dpkg-deb -f "$f" Package)" ver="$(dpkg-deb -f "$f" Version)"
      if [[ $(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null) == "install ok installed $ver" ]]; then
        record "$i"
      else
        debs+=("$f") deb_idx+=("$i")
      fi
      ;;
    *.rpm)
      if rpm -q "$(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$f")" >/dev/null 2>&1; then
        record "$i"
      else
        rpms+=("$f") rpm_idx+=("$i")
      fi
      ;;
    *) ks_die "${FILES[$i]}: not a .deb or .rpm file" ;;
  esac
done
# All package files in one call, in the bundle's order (dependencies first), so dpkg and rpm
# order their installation themselves; no repository and no network is involved.
if ((${#debs[@]})); then
  # kubeseed's own files (/etc/containerd/config.toml is written before first boot) are kept when
  # a package ships the same conffile: otherwise dpkg asks, reads EOF and fails the install.
  DEBIAN_FRONTEND=noninteractive dpkg --force-confdef --force-confold -i "${debs[@]}" </dev/null >>"$KS_LOG" 2>&1 || ks_die "dpkg -i ${debs[*]} failed (see $KS_LOG)"
  for i in "${deb_idx[@]}"; do record "$i"; done
  changed=$((changed + ${#debs[@]}))
  ks_log "OS packages installed from the bundle: ${debs[*]##*/}"
fi
if ((${#rpms[@]})); then
  rpm -U --quiet "${rpms[@]}" >>"$KS_LOG" 2>&1 || ks_die "rpm -U ${rpms[*]} failed (see $KS_LOG)"
  for i in "${rpm_idx[@]}"; do record "$i"; done
  changed=$((changed + ${#rpms[@]}))
  ks_log "OS packages installed from the bundle: ${rpms[*]##*/}"
fi

# With source bundle the packages come from the bundle alone: say which it did not carry.
if [[ $SOURCE == bundle ]]; then packages_by_name; fi

# --- binaries and archives ---------------------------------------------------------------------
for i in "${todo[@]}"; do
  f="$STAGE/${FILES[$i]}"
  case ${KINDS[$i]} in
    binary)
      put_file "$f" "${DESTS[$i]}" "${MODES[$i]}"
      record "$i" "${DESTS[$i]}"
      ks_log "${NAMES[$i]} installed at ${DESTS[$i]} (mode ${MODES[$i]})"
      ;;
    archive)
      tmp="$(mktemp -d "$STAGE/unpack.XXXXXX")"
      tar -xzf "$f" -C "$tmp" --no-same-owner || ks_die "cannot unpack ${FILES[$i]}"
      put=()
      while IFS= read -r -d '' member; do
        rel=${member#"$tmp"/}
        put_file "$member" "${DESTS[$i]}/$rel" "$(stat -c %a "$member")"
        put+=("${DESTS[$i]}/$rel")
      done < <(find "$tmp" -type f -print0 | sort -z)
      rm -rf "$tmp"
      ((${#put[@]})) || ks_die "${FILES[$i]} holds no files"
      record "$i" "${put[@]}"
      ks_log "${NAMES[$i]}: ${#put[@]} files under ${DESTS[$i]}"
      ;;
  esac
done

# --- systemd units ------------------------------------------------------------------------------
before_units=$changed
for j in "${!UNIT_SRCS[@]}"; do
  put_file "${UNIT_SRCS[$j]}" "${UNIT_DSTS[$j]}" 0644
done
if ((changed > before_units)); then
  systemctl daemon-reload
  ks_log "systemd units installed: ${UNIT_DSTS[*]}"
fi
for unit in "${ENABLE[@]}"; do
  if ! systemctl is-enabled --quiet "$unit"; then
    systemctl enable "$unit" >/dev/null 2>&1 || ks_die "cannot enable $unit.service"
    changed=$((changed + 1))
    ks_log "$unit enabled (started by a later phase)"
  fi
done

# --- images -------------------------------------------------------------------------------------
images=() all_images=()
for i in "${!NAMES[@]}"; do
  [[ ${KINDS[$i]} == image ]] && all_images+=("$i")
done
for i in "${todo[@]}"; do
  [[ ${KINDS[$i]} == image ]] && images+=("$i")
done
if ((${#all_images[@]})); then
  command -v ctr >/dev/null || ks_die "ctr is not installed: containerd is needed to import ${#all_images[@]} images"
  systemctl is-active --quiet containerd || systemctl start containerd || ks_die "cannot start containerd to import images"
  # containerd_ready: the socket exists (containerd makes it once its plugins are loaded).
  containerd_ready() { [[ -S ${SOCKET#unix://} ]]; }
  ks_retry 10 1 8 containerd_ready || ks_die "containerd did not create $SOCKET; see journalctl -u containerd"
  for i in "${images[@]}"; do
    ctr --address "${SOCKET#unix://}" -n k8s.io images import "$STAGE/${FILES[$i]}" >>"$KS_LOG" 2>&1 ||
      ks_die "ctr images import ${FILES[$i]} failed (see $KS_LOG)"
    record "$i"
    changed=$((changed + 1))
    ks_log "image ${REFS[$i]} imported"
  done
  # Every reference kubelet will ask for resolves to its pinned index digest, whoever imported it.
  for i in "${all_images[@]}"; do
    have="$(ctr --address "${SOCKET#unix://}" -n k8s.io images ls "name==${REFS[$i]}" | awk 'NR == 2 { print $3 }')"
    [[ -n $have ]] || ks_die "image ${REFS[$i]} is not in containerd after its import"
    [[ $have == "${DIGESTS[$i]}" ]] ||
      ks_die "image ${REFS[$i]} resolves to $have in containerd, the plan pins ${DIGESTS[$i]}"
    ks_log "image ${REFS[$i]} is $have"
  done
  ks_log "images: ${#all_images[@]} references resolve to their pinned digests"
fi

rm -rf "$STAGE"
ks_log "artifacts: $changed changes"
