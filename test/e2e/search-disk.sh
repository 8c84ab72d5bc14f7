#!/usr/bin/env bash
# Searches a VM's disk image, on the host and without booting or mounting it, for the cluster's
# secrets: the bootstrap token(s), the body of each private key of the state (the CA keys among
# them) and any PEM private key at all. For the end-to-end VM runs: after first boot nothing may
# hold them outside /etc/kubernetes, /var/lib/kubelet and cloud-init's private (no group or other
# bits) cache under /var/lib/cloud; after a wrong-machine run (--nothing-allowed) nothing at all.
#
# How: qemu-img convert to raw (any format qemu reads, backing files included), then for every
# ext2/3/4 file system on it (the whole disk, or each partition by its offset) `debugfs -R
# "rdump / DIR"` copies the tree out with its modes, no mount needed. Every file is searched as it
# is, gunzipped when it is gzip (outside /usr), and journald's files through journalctl. Then the
# raw image itself is searched for the token and key bodies, and each hit is traced with debugfs
# (icheck, ncheck) to the file that owns the block, or to free space: the data of a file that was
# deleted or rewritten.
#
# Usage: search-disk.sh [--nothing-allowed] [--state DIR] [--key FILE]... [--work DIR] DISK [TOKEN...]
#   --state DIR        a kubeseed state directory: its token (state.json) and every private key in
#                      it (*.key, admin.conf's client key) are searched for
#   --key FILE         a PEM private key to search for by its body (repeatable)
#   --nothing-allowed  no place is allowed (a machine that refused its seed)
#   --work DIR         where the raw image and the copied trees go (default: a temporary directory,
#                      removed at the end; needs about the disk's used size twice)
# Prints one line per finding ("FOUND ..." fails, "allowed ...", "os-key ..." and "os-file ..." do not) and a
# summary; exit 0 when nothing was found outside the allowed places, 1 when something was, 2 on
# bad usage, 77 when a tool is missing. Secrets are named (token id, key file name), never printed.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

usage() { sed -n 's/^# Usage: /usage: /p' "$0" >&2; exit 2; }

nothing_allowed=0
state=''
keys=()
work=''
while (($#)); do
  case $1 in
    --nothing-allowed) nothing_allowed=1 ;;
    --state) state=${2:?}; shift ;;
    --key) keys+=("${2:?}"); shift ;;
    --work) work=${2:?}; shift ;;
    -h | --help) usage ;;
    --*) echo "search-disk: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
  shift
done
(($# >= 1)) || usage
disk=$1
shift
tokens=("$@")
[[ -f $disk ]] || { echo "search-disk: no disk image $disk" >&2; exit 2; }
need_cmds qemu-img:qemu-utils debugfs:e2fsprogs blkid:util-linux partx:util-linux grep:grep python3:python3

if [[ -n $state ]]; then
  [[ -f $state/state.json ]] || { echo "search-disk: $state is not a kubeseed state directory" >&2; exit 2; }
  tokens+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bootstrapToken"]["token"])' "$state/state.json")")
  while IFS= read -r -d '' k; do keys+=("$k"); done < <(find "$state" -path "$state/backup" -prune -o -name '*.key' -type f -print0 | sort -z)
fi
((${#tokens[@]} + ${#keys[@]})) || { echo "search-disk: nothing to search for: give a TOKEN, --key or --state" >&2; exit 2; }

if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/search-disk.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
chmod 0700 "$work"

# The needles, one "label<TAB>string" a line: never printed, only their labels.
needles=$work/needles
: >"$needles"
chmod 0600 "$needles"
for t in "${tokens[@]}"; do
  [[ $t =~ ^([a-z0-9]{6})\.[a-z0-9]{16}$ ]] || { echo "search-disk: not a bootstrap token: ${t:0:6}..." >&2; exit 2; }
  printf 'token %s\t%s\n' "${BASH_REMATCH[1]}" "$t" >>"$needles"
done
for k in "${keys[@]}"; do
  # The first full line of the key's base64 body: 48 random bytes, unique to this key.
  body=$(awk '/^-----BEGIN .*PRIVATE KEY-----$/ { f = 1; next } f && length($0) >= 64 { print; exit }' "$k")
  [[ -n $body ]] || { echo "search-disk: $k holds no PEM private key" >&2; exit 2; }
  label=${k##*/}
  [[ -n $state && $k == "$state"/* ]] && label=${k#"$state"/}
  printf 'key %s\t%s\n' "$label" "$body" >>"$needles"
done
if [[ -n $state && -f $state/admin.conf ]]; then
  # The admin client key: as PEM (a copy taken out of the kubeconfig) and as the kubeconfig holds
  # it, base64 (64 characters from its middle: the start encodes the PEM header every key shares).
  python3 - "$state/admin.conf" >>"$needles" <<'PY'
import base64, re, sys
m = re.search(r'client-key-data:\s*(\S+)', open(sys.argv[1]).read())
if m:
    pem = base64.b64decode(m.group(1)).decode()
    lines = [l for l in pem.splitlines() if len(l) >= 64 and not l.startswith('-----')]
    if lines:
        print(f'key admin.conf client key\t{lines[0]}')
    print(f'key admin.conf client key (base64)\t{m.group(1)[96:160]}')
PY
fi

raw=$disk
if [[ $(qemu-img info --output=json "$disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])') != raw ]]; then
  raw=$work/disk.raw
  qemu-img convert -O raw "$disk" "$raw"
fi

# Every ext file system: "OFFSET" lines, the whole disk first, else each partition.
filesystems=()
case $(blkid -p -o value -s TYPE "$raw" 2>/dev/null || true) in
  ext2 | ext3 | ext4) filesystems+=(0) ;;
  *)
    while read -r start; do
      [[ -n $start ]] || continue
      case $(blkid -p -O $((start * 512)) -o value -s TYPE "$raw" 2>/dev/null || true) in
        ext2 | ext3 | ext4) filesystems+=($((start * 512))) ;;
        *) echo "search-disk: partition at sector $start is not ext2/3/4: only the raw search covers it" >&2 ;;
      esac
    done < <(partx -g -o START "$raw" 2>/dev/null || true)
    ;;
esac
((${#filesystems[@]})) || echo "search-disk: no ext2/3/4 file system on $disk: only the raw search covers it" >&2

fs_args=()
for i in "${!filesystems[@]}"; do
  off=${filesystems[$i]}
  dir=$work/fs$i
  mkdir -p "$dir"
  debugfs -R "rdump / $dir" "$raw?offset=$off" >"$work/rdump$i.log" 2>&1 || { cat "$work/rdump$i.log" >&2; exit 1; }
  bs=$(debugfs -R stats "$raw?offset=$off" 2>/dev/null | awk '/^Block size:/ { print $3 }')
  fs_args+=(--fs "$dir:$off:$bs")
done

python3 - "$raw" "$needles" "$nothing_allowed" "${fs_args[@]}" <<'PY'
import gzip, os, re, shutil, stat, subprocess, sys

raw, needles_file, nothing_allowed = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
filesystems = []
args = sys.argv[4:]
while args:
    flag, spec = args[0], args[1]
    args = args[2:]
    d, off, bs = spec.rsplit(':', 2)
    filesystems.append((d, int(off), int(bs)))

needles = []
for line in open(needles_file, encoding='utf-8'):
    label, s = line.rstrip('\n').split('\t', 1)
    needles.append((label, s.encode()))

PEM_KEY = re.compile(rb'-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\n|\s)+[A-Za-z0-9+/]{40}')
# Private keys the OS makes for itself (sshd's host keys, the snakeoil TLS key): not the cluster's.
OS_KEYS = re.compile(r'^/etc/ssh/ssh_host_[a-z0-9]+_key$|^/etc/ssl/private/')
# Files under /usr (not /usr/local, where kubeseed installs) come from the OS's packages: some
# carry example or test keys (cloud-init's cc_ssh.py and docs, libgnutls). kubeseed writes none
# there; the cluster's own keys and token are still searched for in them by their bodies.
OS_FILES = re.compile(r'^/usr/(?!local/)')
failures = 0

def allowed(path, mode):
    if nothing_allowed:
        return None
    for place in ('/etc/kubernetes', '/var/lib/kubelet'):
        if path.startswith(place + '/'):
            return place
    if path.startswith('/var/lib/cloud/') and mode & 0o077 == 0:
        return "cloud-init's private cache"
    return None

def report(what, where, mode, how=''):
    global failures
    place = allowed(where, mode) if mode is not None else None
    desc = f'{what} in {where}' + (f' ({how})' if how else '') + (f', mode {mode:04o}' if mode is not None else '')
    if place:
        print(f'allowed  {desc}: {place}')
    else:
        print(f'FOUND    {desc}')
        failures += 1

CHUNK = 16 << 20
OVERLAP = 4096

def search_file(full, where, mode):
    # In chunks that overlap by more than any needle or key header: a large file never sits in
    # memory whole, and nothing is missed at a chunk's edge.
    labels, pem = set(), False
    with open(full, 'rb') as f:
        head = f.read(2)
        f.seek(0)
        tail = b''
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            data = tail + chunk
            labels.update(label for label, s in needles if s in data)
            pem = pem or PEM_KEY.search(data) is not None
            tail = data[-OVERLAP:]
    judge(labels, pem, where, mode)
    if head == b'\x1f\x8b' and not where.startswith('/usr/'):
        try:
            with gzip.open(full, 'rb') as g:
                data = g.read()
        except (OSError, EOFError):
            return
        judge({label for label, s in needles if s in data}, PEM_KEY.search(data) is not None, where, mode, 'gunzipped')

def judge(labels, pem, where, mode, how=''):
    for label in sorted(labels):
        report(label, where, mode, how)
    if pem and not labels:
        if OS_KEYS.search(where):
            print(f'os-key   a private key in {where} (the OS made it for itself), mode {mode:04o}')
        elif OS_FILES.search(where):
            print(f'os-file  a PEM private key block in {where}: a file the OS packages ship (an example or test key), mode {mode:04o}')
        else:
            report('a PEM private key', where, mode, how)

journals = set()
for root_dir, off, bs in filesystems:
    for dirpath, dirnames, filenames in os.walk(root_dir):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            where = '/' + os.path.relpath(full, root_dir)
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue
            mode = stat.S_IMODE(st.st_mode)
            search_file(full, where, mode)
            if where.endswith('.journal') or where.endswith('.journal~'):
                journals.add(dirpath)

# journald compresses large fields: read its files the way journalctl does.
if journals and shutil.which('journalctl'):
    for d in sorted(journals):
        out = subprocess.run(['journalctl', '--directory', d, '-o', 'export', '--no-pager'], capture_output=True).stdout
        found = [label for label, s in needles if s in out]
        for label in found:
            report(label, '/' + os.path.relpath(d, filesystems[0][0]), None, 'journal entries')
        if PEM_KEY.search(out) and not found:
            report('a PEM private key', '/' + os.path.relpath(d, filesystems[0][0]), None, 'journal entries')
elif journals:
    print('search-disk: journalctl missing: journal files searched as bytes only', file=sys.stderr)

# The raw image: every hit traced to the file that owns its block, or to free space.
plain = os.path.join(os.path.dirname(needles_file), 'needles.plain')
with open(plain, 'wb') as f:
    os.chmod(plain, 0o600)
    for _, s in needles:
        f.write(s + b'\n')
hits = subprocess.run(['grep', '-obaF', '-f', plain, raw], capture_output=True).stdout
os.unlink(plain)
by_label = {s: label for label, s in needles}

def debugfs(request, fs_offset):
    return subprocess.run(['debugfs', '-R', request, f'{raw}?offset={fs_offset}'], capture_output=True, text=True).stdout.splitlines()[1:]

hits_by_fs = {}
traced = {}
for line in hits.splitlines():
    offset, match = line.split(b':', 1)
    offset = int(offset)
    label = by_label.get(match, 'a secret')
    fs = next(((o, bs) for _, o, bs in sorted(filesystems, key=lambda x: -x[1]) if offset >= o), None)
    if fs is None:
        traced[(label, 'outside any file system')] = traced.get((label, 'outside any file system'), 0) + 1
    else:
        hits_by_fs.setdefault(fs, []).append(((offset - fs[0]) // fs[1], label))
for (o, bs), blocks in hits_by_fs.items():
    # One icheck for every block, one ncheck for every inode they belong to.
    inode_of = {}
    for row in debugfs('icheck ' + ' '.join(sorted({str(b) for b, _ in blocks})), o):
        f = row.split('\t')
        if len(f) == 2:
            inode_of[f[0].strip()] = f[1].strip()
    inodes = sorted({i for i in inode_of.values() if i.isdigit()})
    path_of = {}
    if inodes:
        for row in debugfs('ncheck ' + ' '.join(inodes), o):
            f = row.split('\t', 1)
            if len(f) == 2:
                path_of.setdefault(f[0].strip(), f[1].strip())
    for block, label in blocks:
        inode = inode_of.get(str(block), '')
        if not inode.isdigit():
            where = 'free space (data of a deleted or rewritten file)'
        elif inode == '8':
            where = 'the ext4 journal'
        else:
            where = path_of.get(inode, f'inode {inode}')
        traced[(label, where)] = traced.get((label, where), 0) + 1
for (label, where), n in sorted(traced.items()):
    if where.startswith('/'):
        # A file's blocks: the file-level search above already judged it.
        continue
    print(f'FOUND    {label} in the raw image: {where} ({n} place{"s" if n > 1 else ""})')
    failures += 1

print(f'search-disk: {failures} finding{"s" if failures != 1 else ""} outside the allowed places' + (' (none allowed)' if nothing_allowed else ''))
sys.exit(1 if failures else 0)
PY
