#!/usr/bin/env bash
# Self-test of assert.sh on canned evidence, run by run.sh before any VM boots: the asserter
# must pass true facts, fail false ones (including a section header forged inside command
# output, which the guest's report indents), fail incomplete evidence, and reject unknown facts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CRLF line ends on purpose: the serial port may add "\r".
sed 's/$/\r/' >"$tmp/evidence" <<'EOF_EVIDENCE'
=== cloud-init-status ===
status: done
=== cloud-init-result ===
{
 "v1": {
  "datasource": "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]",
  "errors": []
 }
}
=== cloud-init-log-problems ===
2026-11-25 20:58:28,862 - cc_set_passwords.py[WARNING]: Ignoring config 'ssh_pwauth: None'.
Traceback: FileNotFoundError: [Errno 2] No such file or directory: 'ssh-keygen'
=== hostname ===
node-a
=== ip-link ===
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\    altname enp0s1
=== ip-addr ===
2: eth0    inet 10.0.2.16/24 brd 10.0.2.255 scope global eth0\       valid_lft forever preferred_lft forever
=== ip-route ===
default via 10.0.2.2 dev eth0 proto static
=== hosts ===
127.0.1.1   node-a.example   node-a
=== write-files ===
97c1989c88e410b15e5e66ebc8f123876e92c35604b0b8443cf41fff3591a4d9 0640 root:root /etc/kubeseed/smoke.conf
=== sysctl ===
net.ipv4.ip_forward = 1
=== swap ===
=== iptables-version ===
iptables v1.8.9 (legacy)
=== journal-tail ===
cloud-init[1]: user-data echoed:
 === hostname ===
evil
=== end ===
EOF_EVIDENCE

cat >"$tmp/good" <<'EOF_FACTS'
# all true
mac 52:54:00:12:34:56
cloud-init-done
datasource NoCloud
hostname node-a
link eth0 52:54:00:12:34:56
ipv4 eth0 10.0.2.16/24
route-default 10.0.2.2
hosts-entry 127.0.1.1 node-a.example node-a
file /etc/kubeseed/smoke.conf 0640 root:root 97c1989c88e410b15e5e66ebc8f123876e92c35604b0b8443cf41fff3591a4d9
sysctl net.ipv4.ip_forward 1
iptables legacy
no-swap
EOF_FACTS

failures=0
expect_exit() {
  local want=$1 name=$2 got=0
  shift 2
  "$@" >"$tmp/out" 2>&1 || got=$?
  if ((got == want)); then
    echo "selftest: ok   $name (exit $got)"
  else
    echo "selftest: FAIL $name: exit $got, want $want"
    sed 's/^/    /' "$tmp/out"
    failures=$((failures + 1))
  fi
}
fact_fails() {
  local name=$1 fact=$2
  printf '%s\n' "$fact" >"$tmp/one"
  expect_exit 1 "$name" bash "$here/assert.sh" "$tmp/evidence" "$tmp/one"
  grep -qF "FAIL  $fact " "$tmp/out" || { echo "selftest: FAIL $name: no FAIL line for '$fact'"; failures=$((failures + 1)); }
}

expect_exit 0 "true facts pass" bash "$here/assert.sh" "$tmp/evidence" "$tmp/good"
grep -q '^assert: 13 passed, 0 failed' "$tmp/out" || { echo "selftest: FAIL wrong count:"; cat "$tmp/out"; failures=$((failures + 1)); }
fact_fails "forged header in command output is not a section" "hostname evil"
fact_fails "wrong address" "ipv4 eth0 10.0.2.15/24"
fact_fails "address on the wrong interface" "ipv4 eth1 10.0.2.16/24"
fact_fails "wrong file mode" "file /etc/kubeseed/smoke.conf 0644 root:root 97c1989c88e410b15e5e66ebc8f123876e92c35604b0b8443cf41fff3591a4d9"
fact_fails "hosts entry missing a name" "hosts-entry 127.0.1.1 node-a"
fact_fails "sysctl value" "sysctl net.ipv4.ip_forward 0"
fact_fails "iptables mode" "iptables nf_tables"
fact_fails "missing section" "marker os"
fact_fails "traceback in cloud-init.log" "cloud-init-no-tracebacks"
fact_fails "regex with no matching line" "section-re hosts ^10\.0\.0\.1 "
fact_fails "absent regex that matches" "section-absent-re hosts node-a\.example"
fact_fails "no runcmd failure where one is expected" "cloud-init-failed-only-runcmd"
printf '%s\n' 'section-re hosts ^127\.0\.1\.1 +node-a\.example +node-a$' 'section-absent-re hosts ^10\.' >"$tmp/re"
expect_exit 0 "regex facts pass" bash "$here/assert.sh" "$tmp/evidence" "$tmp/re"

# cloud-init after kubeseed's first-boot script stopped on purpose: the runcmd failure and its
# traceback are the only errors; any other error or traceback fails.
runcmd_evidence() {
  printf '%s\n' '=== cloud-init-status ===' 'status: error' '=== cloud-init-result ===' \
    '{"v1": {"datasource": "DataSourceNoCloud", "errors": [' \
    "  \"('scripts-user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))\"$1" \
    ']}}' '=== cloud-init-log-problems ===' \
    'Traceback: RuntimeError: Runparts: 1 failures (runcmd) in 1 attempted commands' "$2" '=== end ==='
}
echo cloud-init-failed-only-runcmd >"$tmp/runcmd"
runcmd_evidence '' '' >"$tmp/ev-runcmd"
expect_exit 0 "runcmd failure alone" bash "$here/assert.sh" "$tmp/ev-runcmd" "$tmp/runcmd"
runcmd_evidence ", \"('write_files', OSError('x'))\"" '' >"$tmp/ev-other"
expect_exit 1 "another cloud-init error" bash "$here/assert.sh" "$tmp/ev-other" "$tmp/runcmd"
runcmd_evidence '' 'Traceback: KeyError: x' >"$tmp/ev-tb"
expect_exit 1 "another traceback" bash "$here/assert.sh" "$tmp/ev-tb" "$tmp/runcmd"
# The network probe's facts (probes/05-network) on a bonded node.
cat >"$tmp/ev-net" <<'EOF_NET'
=== ip-route ===
default via 10.0.2.2 dev bond0 onlink
10.0.2.0/24 dev bond0 proto kernel scope link src 10.0.2.12
=== evidence.d/05-network ===
renderer: eni
command route: absent
command ifconfig: /usr/sbin/ifconfig
gateway 10.0.2.2: reached (10.0.2.2 dev bond0 lladdr 52:55:0a:00:02:02 REACHABLE)
link: 4: bond0.100@bond0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\    link/ether 52:54:00:e2:e1:12 brd ff:ff:ff:ff:ff:ff promiscuity 0 \    vlan protocol 802.1Q id 100 <REORDER_HDR> addrgenmode eui64
bond bond0 mode active-backup slaves bond0p0 bond0p1 active bond0p0
member bond0p0 perm 52:54:00:e2:e1:12 master bond0
member bond0p1 perm 52:54:00:e2:e1:13 master bond0
vlan bond0.100 id 100 link bond0
=== end ===
EOF_NET
cat >"$tmp/good-net" <<'EOF_FACTS'
route-default-dev 10.0.2.2 bond0
renderer eni
no-command route
gateway-reached 10.0.2.2
bond bond0 active-backup bond0p0 bond0p1
bond-member bond0p1 52:54:00:E2:E1:13 bond0
vlan bond0.100 100 bond0
EOF_FACTS
expect_exit 0 "network facts pass" bash "$here/assert.sh" "$tmp/ev-net" "$tmp/good-net"
grep -q '^assert: 9 passed, 0 failed' "$tmp/out" || { echo "selftest: FAIL wrong count:"; cat "$tmp/out"; failures=$((failures + 1)); }
net_fails() {
  printf '%s\n' "$2" >"$tmp/one"
  expect_exit 1 "$1" bash "$here/assert.sh" "$tmp/ev-net" "$tmp/one"
}
net_fails "default route on another interface" "route-default-dev 10.0.2.2 eth0"
net_fails "a command that is there" "no-command ifconfig"
net_fails "another renderer" "renderer networkd"
net_fails "bond with a member missing" "bond bond0 active-backup bond0p0"
net_fails "bond in another mode" "bond bond0 802.3ad bond0p0 bond0p1"
net_fails "member with another MAC" "bond-member bond0p1 52:54:00:e2:e1:12 bond0"
net_fails "VLAN with another id" "vlan bond0.100 200 bond0"

grep -v '^=== end ===' "$tmp/evidence" | tr -d '\r' >"$tmp/cut"
expect_exit 1 "evidence without end" bash "$here/assert.sh" "$tmp/cut" "$tmp/good"
printf 'no-such-fact x\n' >"$tmp/bad"
expect_exit 2 "unknown fact" bash "$here/assert.sh" "$tmp/evidence" "$tmp/bad"

if ((failures)); then
  echo "selftest: $failures failed"
  exit 1
fi
echo "selftest: assert.sh ok"
