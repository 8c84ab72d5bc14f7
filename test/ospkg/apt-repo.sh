#!/usr/bin/env bash
# A real, signed apt repository of Debian 12 packages for the tests and the end-to-end VM test.
#
#   apt-repo.sh download DEBS_DIR NAME...     the .deb files of NAME... and of everything a minimal
#                                             Debian 12 has (Priority required and important and
#                                             their closure), at the versions this machine's apt
#                                             would install (APT_REPO_SUITES="bookworm": at those
#                                             of deb.debian.org's suites named); kept in DEBS_DIR
#   apt-repo.sh build DEBS_DIR REPO_DIR [--exclude NAME]...
#                                             REPO_DIR/pool + dists/bookworm (InRelease, Release,
#                                             Release.gpg) over the debs, and an empty signed
#                                             bookworm-updates; a throw-away key signs both and its
#                                             public half is REPO_DIR/keyring.gpg
#   apt-repo.sh serve REPO_DIR [SECONDS]     serves REPO_DIR on 127.0.0.1 (a free port), prints
#                                             the URL, stops after SECONDS (default 3600)
#
# For the VM test: build an image without conntrack, socat, ipvsadm, ebtables and ethtool, then
#   bash test/ospkg/apt-repo.sh download /var/cache/kubeseed-test/debian-12-debs conntrack socat \
#     ipvsadm ebtables ethtool iptables curl kmod iproute2 ca-certificates chrony
#   bash test/ospkg/apt-repo.sh build /var/cache/kubeseed-test/debian-12-debs /tmp/repo
#   bash test/ospkg/apt-repo.sh serve /tmp/repo 3600 >/tmp/repo.url &   # http://127.0.0.1:PORT/
#   until [[ -s /tmp/repo.url ]]; do sleep 0.2; done
#   kubeseed bundle PROFILE --skip binaries,images --os-mirror "$(cat /tmp/repo.url)" --keyring /tmp/repo/keyring.gpg
# (PROFILE: os family debian, version "12". The repository holds the suites the version table
# names for Debian 12: bookworm with the packages, bookworm-updates empty.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# The base seeds: what debootstrap's default variant starts from (apt's own index of this machine).
seeds() {
  apt-cache dumpavail | awk -v RS= -v FS='\n' '{
    pkg = ""; pri = ""; arch = ""
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Package: /) pkg = substr($i, 10)
      else if ($i ~ /^Priority: /) pri = substr($i, 11)
      else if ($i ~ /^Architecture: /) arch = substr($i, 15)
    }
    if ((pri == "required" || pri == "important") && (arch == "amd64" || arch == "all")) print pkg
  }' | sort -u
}

# simulate STATUS NAME...: "name version" of what apt-get would install over STATUS.
simulate() {
  local status=$1
  shift
  apt-get install --simulate --no-install-recommends -o Debug::NoLocking=1 -o Dir::State::status="$status" "$@" |
    awk '$1 == "Inst" {v = $3; sub(/^\(/, "", v); print $2, v}'
}

# status_of LIST: a dpkg status file with the host index's stanzas of the "name version" lines.
status_of() {
  apt-cache dumpavail | awk -v ORS='\n\n' -v list="$1" '
    BEGIN { while ((getline line < list) > 0) { split(line, f, " "); want[f[1]] = f[2] }; RS = "" }
    { pkg = ""; ver = ""
      n = split($0, l, "\n")
      for (i = 1; i <= n; i++) { if (l[i] ~ /^Package: /) pkg = substr(l[i], 10); if (l[i] ~ /^Version: /) ver = substr(l[i], 10) }
      if (pkg in want && want[pkg] == ver) { sub(/\n/, "\nStatus: install ok installed\n"); print } }'
}

# private_index TMP SUITE...: points apt (APT_CONFIG) at an index of deb.debian.org's SUITE... only,
# fetched into TMP, instead of this machine's sources (which may add bookworm-security), and with
# no installed package of this machine's standing in for an available one.
private_index() {
  local tmp=$1
  shift
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/none"
  : >"$tmp/status"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' "$@" >"$tmp/sources.list"
  cat >"$tmp/apt.conf" <<CONF
Dir::Etc::SourceList "$tmp/sources.list";
Dir::Etc::SourceParts "$tmp/none";
Dir::Etc::Preferences "$tmp/none/preferences";
Dir::Etc::PreferencesParts "$tmp/none";
Dir::State::Lists "$tmp/lists";
Dir::State::status "$tmp/status";
Dir::Cache "$tmp/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
Debug::NoLocking "1";
CONF
  export APT_CONFIG="$tmp/apt.conf"
  apt-get update -q >"$tmp/update.log" 2>&1 || { cat "$tmp/update.log" >&2; exit 1; }
}

download() {
  local debs=$1
  shift
  mkdir -p "$debs"
  # Test files run in parallel and share the cache: one download at a time.
  exec 9>"$debs/.lock"
  flock 9
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  # APT_REPO_SUITES="bookworm": the versions of those suites alone (the e2e image is
  # debootstrapped from bookworm), not this machine's sources.
  if [[ -n ${APT_REPO_SUITES:-} ]]; then
    # shellcheck disable=SC2086
    private_index "$tmp/apt" $APT_REPO_SUITES
  fi
  : >"$tmp/empty"
  # shellcheck disable=SC2046
  simulate "$tmp/empty" $(seeds) >"$tmp/base"
  status_of "$tmp/base" >"$tmp/status"
  simulate "$tmp/status" "$@" >"$tmp/ship"
  local want=()
  while read -r name version; do
    # apt-get download names files name_version-without-epoch_arch.deb.
    compgen -G "$debs/${name}_${version#*:}_*.deb" >/dev/null || want+=("$name=$version")
  done < <(cat "$tmp/base" "$tmp/ship")
  if ((${#want[@]})); then
    (cd "$debs" && apt-get download -q "${want[@]}" >/dev/null)
  fi
  echo "apt-repo: $(wc -l <"$tmp/base") base and $(wc -l <"$tmp/ship") further packages in $debs" >&2
}

# The archive's Priority and Section of each package, as this machine's index has them (an
# override file: a .deb's own control file need not agree with the archive).
override() {
  apt-cache dumpavail | awk -v RS= '{
    pkg = ""; pri = ""; sec = ""
    n = split($0, l, "\n")
    for (i = 1; i <= n; i++) {
      if (l[i] ~ /^Package: /) pkg = substr(l[i], 10)
      if (l[i] ~ /^Priority: /) pri = substr(l[i], 11)
      if (l[i] ~ /^Section: /) sec = substr(l[i], 10)
    }
    if (pkg != "" && pri != "") print pkg, pri, (sec == "" ? "misc" : sec)
  }' | sort -u -k1,1
}

sign_suite() {
  local repo=$1 suite=$2
  apt-ftparchive -o APT::FTPArchive::Release::Origin=kubeseed-test -o APT::FTPArchive::Release::Suite="$suite" \
    -o APT::FTPArchive::Release::Codename="$suite" -o APT::FTPArchive::Release::Architectures=amd64 \
    -o APT::FTPArchive::Release::Components=main release "$repo/dists/$suite" >"$repo/dists/$suite/Release.new"
  mv "$repo/dists/$suite/Release.new" "$repo/dists/$suite/Release"
  gpg --batch --yes --clearsign -o "$repo/dists/$suite/InRelease" "$repo/dists/$suite/Release"
  gpg --batch --yes --detach-sign -o "$repo/dists/$suite/Release.gpg" "$repo/dists/$suite/Release"
}

build() {
  local debs=$1 repo=$2
  shift 2
  local exclude=()
  while (($#)); do
    [[ $1 == --exclude ]] || { echo "apt-repo: unknown argument $1" >&2; exit 2; }
    exclude+=("$2")
    shift 2
  done
  rm -rf "$repo"
  mkdir -p "$repo/pool/main" "$repo/dists/bookworm/main/binary-amd64" "$repo/dists/bookworm-updates/main/binary-amd64"
  for deb in "$debs"/*.deb; do
    local name="${deb##*/}"
    name=${name%%_*}
    local skip=0
    for x in "${exclude[@]}"; do [[ $x == "$name" ]] && skip=1; done
    ((skip)) || ln "$deb" "$repo/pool/main/" 2>/dev/null || cp "$deb" "$repo/pool/main/"
  done
  override >"$repo/override"
  (cd "$repo" && apt-ftparchive packages pool override 2>/dev/null) >"$repo/dists/bookworm/main/binary-amd64/Packages"
  gzip -9n <"$repo/dists/bookworm/main/binary-amd64/Packages" >"$repo/dists/bookworm/main/binary-amd64/Packages.gz"
  : >"$repo/dists/bookworm-updates/main/binary-amd64/Packages"
  gzip -9n <"$repo/dists/bookworm-updates/main/binary-amd64/Packages" >"$repo/dists/bookworm-updates/main/binary-amd64/Packages.gz"
  rm "$repo/override"
  export GNUPGHOME="$repo.gnupg"
  rm -rf "$GNUPGHOME"
  mkdir -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key 'kubeseed test archive <test@kubeseed.invalid>' ed25519 sign 1d 2>/dev/null
  gpg --batch --export >"$repo/keyring.gpg"
  sign_suite "$repo" bookworm
  sign_suite "$repo" bookworm-updates
  gpgconf --kill gpg-agent 2>/dev/null || true
  rm -rf "$GNUPGHOME"
  echo "apt-repo: $(grep -c '^Package: ' "$repo/dists/bookworm/main/binary-amd64/Packages") packages in $repo" >&2
}

# reference URL KEYRING WORKDIR NAME...: what apt itself installs from the repository at URL
# (both suites, signed-by KEYRING) on a minimal root: "base NAME VERSION" lines for the closure of
# its Priority required/important packages over an empty dpkg status, then "ship NAME VERSION"
# lines for NAME... over a status of exactly that base. Only this repository and these options
# are read (APT_CONFIG points at WORKDIR/apt.conf, not at this machine's configuration).
reference() {
  local url=$1 keyring=$2 work=$3
  shift 3
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  printf 'deb [signed-by=%s] %s bookworm main\ndeb [signed-by=%s] %s bookworm-updates main\n' "$keyring" "$url" "$keyring" "$url" >"$work/sources.list"
  cat >"$work/apt.conf" <<CONF
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "$work/none";
Dir::Etc::Preferences "$work/none";
Dir::Etc::PreferencesParts "$work/none";
Dir::State::Lists "$work/lists";
Dir::Cache "$work/cache";
Dir::State::status "$work/empty";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
Debug::NoLocking "1";
CONF
  : >"$work/empty"
  export APT_CONFIG="$work/apt.conf"
  apt-get update -q >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
  # shellcheck disable=SC2046
  simulate "$work/empty" $(seeds) >"$work/base"
  status_of "$work/base" >"$work/status"
  simulate "$work/status" "$@" >"$work/ship"
  sed 's/^/base /' "$work/base"
  sed 's/^/ship /' "$work/ship"
}

case ${1:-} in
  download) shift; download "$@" ;;
  reference) shift; reference "$@" ;;
  build) shift; build "$@" ;;
  serve) exec node "$here/serve-dir.mjs" "$2" "${3:-3600}" ;;
  *) sed -n '2,/^set -euo/p' "$0" | grep '^#' >&2; exit 2 ;;
esac
