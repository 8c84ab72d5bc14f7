#!/bin/bash
# /init of the IPVS test VM (see vm.sh): a kernel with IPVS, the real ipvsadm, curl and iproute2,
# and the rendered kubeseed-lb-checker of node w1 of profiles/ha.yaml.
#
# This VM is the worker: eth0 carries 192.168.10.21/24. Its veth peer sits in network namespace
# "cps" holding 192.168.10.11-13, where three `openssl s_server -WWW` stand-ins play the
# apiservers of cp1-cp3 (GET /healthz -> "ok", GET /whoami -> the name).
#
# Output on the console, one line each, for vm.test.ts to parse:
#   RESULT <name> PASS|FAIL <detail>
#   MEASURE <name> <milliseconds>
#   LOG <checker log line>
#   IPVS <ipvsadm -Ln line>   (sections start with "IPVS == <title>")

# `A && result PASS || result FAIL` is safe here: result is an echo and cannot fail.
# shellcheck disable=SC2015
set -uo pipefail
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null || true
mkdir -p /run /tmp /var/run
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp

finish() {
  echo "GUEST DONE"
  sync
  echo o >/proc/sysrq-trigger
  sleep 10
}
trap finish EXIT

result() { echo "RESULT $1 $2 ${*:3}"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
dump() {
  echo "IPVS == $1"
  ipvsadm -Ln 2>&1 | sed 's/^/IPVS /'
}

VIP=10.103.97.2
SERVICE=$VIP:6443
CHECKER=/usr/local/sbin/kubeseed-lb-checker
CA=/etc/kubernetes/pki/ca.crt

ip link set lo up
modprobe veth || { result setup FAIL "modprobe veth"; exit 1; }
ip netns add cps
ip link add eth0 type veth peer name cpnet
ip link set cpnet netns cps
ip addr add 192.168.10.21/24 dev eth0
ip link set eth0 up
ip -n cps link set lo up
ip -n cps link set cpnet up
for i in 1 2 3; do ip -n cps addr add "192.168.10.1$i/24" dev cpnet; done

declare -A PID
start_cp() {
  local i=$1
  mkdir -p "/srv/cp$i"
  echo ok >"/srv/cp$i/healthz"
  echo "cp$i" >"/srv/cp$i/whoami"
  (cd "/srv/cp$i" && exec ip netns exec cps openssl s_server -accept "192.168.10.1$i:6443" \
    -cert /srv/pki/srv.crt -key /srv/pki/srv.key -WWW -quiet >/dev/null 2>&1) &
  PID[$i]=$!
}
for i in 1 2 3; do start_cp "$i"; done
sleep 1

# wait_for SECONDS CMD...: polls CMD every 100 ms; returns its status at the end.
wait_for() {
  local deadline=$(($(now_ms) + $1 * 1000))
  shift
  until "$@"; do
    (($(now_ms) > deadline)) && return 1
    sleep 0.1
  done
}
weight_of() { ipvsadm -S -n 2>/dev/null | awk -v r="$1" '$1 == "-a" && $5 == r {print $NF}'; }
weight_is() { [[ $(weight_of "$1") == "$2" ]]; }
absent() { [[ -z $(weight_of "$1") ]]; }
all_up() { weight_is 192.168.10.11:6443 1 && weight_is 192.168.10.12:6443 1 && weight_is 192.168.10.13:6443 1; }
whoami_via_vip() { curl -q --silent --fail --max-time 10 --cacert "$CA" "https://$VIP:6443/whoami"; }

echo "KERNEL $(uname -r)"

"$CHECKER" >/tmp/checker.log 2>&1 &
CHECKER_PID=$!

if wait_for 60 all_up; then result table PASS "three real servers at weight 1"; else result table FAIL "not all up"; fi
dump "after start"
[[ $(cat /proc/sys/net/ipv4/vs/conntrack 2>/dev/null) == 1 ]] && result conntrack PASS "net.ipv4.vs.conntrack=1" || result conntrack FAIL "$(cat /proc/sys/net/ipv4/vs/conntrack 2>&1)"
route=$(ip -4 route show exact "$VIP/32")
[[ $route == "$VIP dev eth0 scope link src 192.168.10.21 " || $route == "$VIP dev eth0 scope link src 192.168.10.21" ]] && result route PASS "$route" || result route FAIL "$route"

seen=""
for _ in 1 2 3 4 5 6; do seen+="$(whoami_via_vip || echo ERR) "; done
[[ $seen == *cp1* && $seen == *cp2* && $seen == *cp3* && $seen != *ERR* ]] && result traffic PASS "$seen" || result traffic FAIL "$seen"

# Stop cp2: it must be drained (weight 0) within two check intervals, then removed.
t0=$(now_ms)
kill "${PID[2]}"
if wait_for 30 weight_is 192.168.10.12:6443 0; then
  echo "MEASURE drain_ms $(($(now_ms) - t0))"
  result drain PASS "cp2 weight 0"
else
  result drain FAIL "cp2 weight $(weight_of 192.168.10.12:6443)"
fi
dump "cp2 stopped, draining"
seen=""
for _ in 1 2 3 4 5 6; do seen+="$(whoami_via_vip || echo ERR) "; done
[[ $seen != *cp2* && $seen != *ERR* && $seen == *cp1* && $seen == *cp3* ]] && result failover-traffic PASS "$seen" || result failover-traffic FAIL "$seen"
if wait_for 60 absent 192.168.10.12:6443; then
  echo "MEASURE remove_ms $(($(now_ms) - t0))"
  result remove PASS "cp2 removed"
else
  result remove FAIL "cp2 weight $(weight_of 192.168.10.12:6443)"
fi
dump "cp2 removed"

# Restart cp2: back at weight 1.
t0=$(now_ms)
start_cp 2
if wait_for 30 weight_is 192.168.10.12:6443 1; then
  echo "MEASURE restore_ms $(($(now_ms) - t0))"
  result restore PASS "cp2 weight 1"
else
  result restore FAIL "cp2 weight $(weight_of 192.168.10.12:6443)"
fi

# Someone wipes every virtual server (ipvsadm -C, a kube-proxy told nothing): repaired.
t0=$(now_ms)
ipvsadm -C
if wait_for 30 all_up; then
  echo "MEASURE repair_vs_ms $(($(now_ms) - t0))"
  result repair-vs PASS "virtual server and real servers back"
else
  result repair-vs FAIL "table not restored"
fi
dump "after ipvsadm -C"

# Someone sets a real server's weight by hand: put back.
ipvsadm -e -t "$SERVICE" -r 192.168.10.13:6443 -m -w 7
wait_for 30 weight_is 192.168.10.13:6443 1 && result repair-weight PASS "cp3 weight 1 again" || result repair-weight FAIL "cp3 weight $(weight_of 192.168.10.13:6443)"

# The route disappears (a network manager restart drops foreign routes): restored.
ip route del "$VIP/32"
route_back() { [[ -n $(ip -4 route show exact "$VIP/32") ]]; }
wait_for 30 route_back && result repair-route PASS "$(ip -4 route show exact "$VIP/32")" || result repair-route FAIL "no route"
whoami_via_vip >/dev/null && result traffic-after-repairs PASS "VIP answers" || result traffic-after-repairs FAIL "VIP does not answer"

# The checker run again (as systemd does after a crash) adopts the table as it is.
kill "$CHECKER_PID"
wait "$CHECKER_PID" 2>/dev/null
"$CHECKER" --once >>/tmp/checker.log 2>&1 && all_up && result once PASS "--once keeps the table" || result once FAIL "--once"

# Why net.ipv4.vs.conntrack=1: behind a stateful firewall (INPUT drops what is not part of a
# known connection, as ufw and firewalld do), the apiserver's replies must be ESTABLISHED.
if command -v iptables >/dev/null; then
  modprobe ip_tables && modprobe iptable_filter && modprobe xt_conntrack
  iptables -A INPUT -i lo -j ACCEPT
  iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  iptables -P INPUT DROP
  whoami_via_vip >/dev/null && result firewall-conntrack-1 PASS "VIP answers through a stateful INPUT policy" \
    || result firewall-conntrack-1 FAIL "VIP does not answer through a stateful INPUT policy"
  echo 0 >/proc/sys/net/ipv4/vs/conntrack
  if curl -q --silent --fail --max-time 5 --cacert "$CA" "https://$VIP:6443/whoami" >/dev/null; then
    result firewall-conntrack-0 FAIL "VIP answered with conntrack=0: the sysctl would not be needed"
  else
    result firewall-conntrack-0 PASS "with conntrack=0 the firewall drops the replies"
  fi
  echo 1 >/proc/sys/net/ipv4/vs/conntrack
  iptables -P INPUT ACCEPT
  iptables -F INPUT
else
  result firewall-conntrack-1 FAIL "no iptables in the VM"
fi

while IFS= read -r line; do echo "LOG $line"; done </tmp/checker.log
