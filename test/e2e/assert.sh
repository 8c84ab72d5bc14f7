#!/usr/bin/env bash
# Checks one VM's evidence (sections "=== name ===" written by the guest's report) against the
# node's expected facts, printing every assertion with the evidence line that proves it (or the
# section it searched, on failure). Exit 0 all pass, 1 any failure, 2 bad usage or bad facts.
#
# Usage: assert.sh EVIDENCE_FILE EXPECT_FILE
# Facts (one a line, words separated by single spaces, '#' starts a comment line):
#   mac MAC                           the VM boots with this MAC (run.sh; assert with "link")
#   product-uuid UUID                 the VM boots with this SMBIOS UUID, and the guest reads it
#   cloud-init-done                   status: done, and result.json lists no errors
#   cloud-init-no-tracebacks          cloud-init.log has no Python traceback
#   datasource NAME                   result.json names DataSourceNAME
#   hostname NAME | fqdn NAME         `hostname` / `hostname --fqdn` print exactly NAME
#   link IFACE MAC                    interface IFACE exists with that MAC
#   ipv4 IFACE CIDR                   IFACE carries the address CIDR
#   route-default GATEWAY             the IPv4 default route goes via GATEWAY
#   route-default-dev GATEWAY IFACE   ... via GATEWAY on IFACE
# Facts from the network probe (probes/05-network, section evidence.d/05-network):
#   renderer NAME                     cloud-init selected its NAME network renderer
#   no-command CMD                    CMD (net-tools' route, ifconfig) is not on the machine
#   gateway-reached GATEWAY           the gateway answers a ping
#   bond NAME MODE MEMBER...          bond NAME runs MODE with exactly these members, in order
#   bond-member NIC MAC BOND          NIC, permanent MAC MAC, is enslaved to BOND
#   vlan NAME ID LINK                 VLAN NAME has id ID on LINK (/proc/net/vlan and ip -d link)
#   hosts-entry IP NAME...            /etc/hosts has the line "IP NAME..." (whitespace-normalized)
#   file PATH MODE OWNER:GROUP SHA256 a write_files path, as found on the disk
#   marker NAME                       /var/lib/kubeseed/NAME exists
#   sysctl KEY VALUE                  `sysctl KEY` printed "KEY = VALUE"
#   module NAME                       lsmod lists NAME
#   service NAME                      systemd lists NAME.service as active
#   iptables MODE                     `iptables --version` ends in "(MODE)": legacy | nf_tables
#   no-swap                           `swapon --show` printed nothing
#   iso-joliet | iso-rockridge        the kernel's isofs mounted the seed with Joliet / RRIP
#   section NAME TEXT...              section NAME has a line equal to TEXT (both trimmed)
#   section-empty NAME                section NAME is present and has no lines
#   section-re NAME REGEX...          section NAME has a line matching the extended regex (the
#                                     words after NAME, joined by single spaces)
#   section-absent-re NAME REGEX...   section NAME is present and no line matches the regex
#   cloud-init-failed-only-runcmd     cloud-init finished (status done or error) and its only
#                                     errors are the runcmd (scripts_user) failure: kubeseed's
#                                     first-boot script stopped on purpose, and nothing else failed
set -euo pipefail

(($# == 2)) || { echo "usage: $0 EVIDENCE_FILE EXPECT_FILE" >&2; exit 2; }
evidence_file=$1
expect_file=$2
[[ -f $evidence_file ]] || { echo "assert: no evidence file $evidence_file" >&2; exit 1; }
[[ -f $expect_file ]] || { echo "assert: no expect file $expect_file" >&2; exit 2; }

# The serial port may carry "\r"; sections are recognized only as whole lines.
evidence=$(tr -d '\r' <"$evidence_file")

# Prints the lines of section NAME; returns 1 when there is no such section.
section() {
  awk -v want="=== $1 ===" '
    $0 == want { found = 1; inside = 1; next }
    /^=== .* ===$/ { inside = 0 }
    inside { print }
    END { exit found ? 0 : 1 }' <<<"$evidence"
}

# Prints the first line of section $1 that equals $2 after trimming; returns 1 if none.
line_equal() {
  local s
  s=$(section "$1") || return 1
  awk -v want="$2" '{ line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line) } line == want { print; found = 1; exit }
    END { exit found ? 0 : 1 }' <<<"$s"
}

# Prints the first line of section $1 matching the extended regex $2; returns 1 if none.
line_match() {
  local s
  s=$(section "$1") || return 1
  grep -E -m1 -- "$2" <<<"$s"
}

re_quote() { sed 's/[][\.*^$?+(){}|/]/\\&/g' <<<"$1"; }

passed=0 failed=0
pass() { printf 'PASS  %-52s [%s] %s\n' "$fact" "$1" "$2"; passed=$((passed + 1)); }
fail() {
  printf 'FAIL  %-52s [%s] %s\n' "$fact" "$1" "$2"
  section "$1" 2>/dev/null | head -n 15 | sed 's/^/        | /' || true
  failed=$((failed + 1))
}
# check SECTION MODE PATTERN: MODE is "eq" (trimmed equality) or "re" (extended regex).
check() {
  local line
  if [[ $2 == eq ]]; then line=$(line_equal "$1" "$3") || line=; else line=$(line_match "$1" "$3") || line=; fi
  local how="matching /$3/"
  [[ $2 == eq ]] && how="equal to '$3'"
  if [[ -n $line ]]; then pass "$1" "$line"; else fail "$1" "no line $how"; fi
}

fact='evidence-complete'
if grep -qx '=== end ===' <<<"$evidence"; then
  pass end "=== end ==="
else
  fail end "the report never finished (no '=== end ===')"
fi

lineno=0
while IFS= read -r raw || [[ -n $raw ]]; do
  lineno=$((lineno + 1))
  [[ $raw =~ ^[[:space:]]*(#|$) ]] && continue
  read -r -a w <<<"$raw"
  fact=${w[*]}
  case ${w[0]}:${#w[@]} in
    mac:2) ;;
    product-uuid:2) check product-uuid eq "${w[1],,}" ;;
    cloud-init-done:1)
      check cloud-init-status eq "status: done"
      result=$(section cloud-init-result | tr -d ' \n\t') || result=
      if [[ $result == *'"errors":[]'* ]]; then
        pass cloud-init-result '"errors": []'
      else
        fail cloud-init-result 'errors is not []'
      fi
      ;;
    cloud-init-no-tracebacks:1)
      if s=$(section cloud-init-log-problems); then
        tb=$(grep -m1 '^Traceback: ' <<<"$s" || true)
        if [[ -z $tb ]]; then pass cloud-init-log-problems "(no tracebacks)"; else fail cloud-init-log-problems "$tb"; fi
      else
        fail cloud-init-log-problems "section missing"
      fi
      ;;
    datasource:2) check cloud-init-result re "\"datasource\": *\"DataSource$(re_quote "${w[1]}")[ \"]" ;;
    hostname:2) check hostname eq "${w[1]}" ;;
    fqdn:2) check fqdn eq "${w[1]}" ;;
    link:3) check ip-link re "^[0-9]+: $(re_quote "${w[1]}")(@[^:]*)?: .* link/ether $(re_quote "${w[2],,}") " ;;
    ipv4:3) check ip-addr re "^[0-9]+: +$(re_quote "${w[1]}") +inet $(re_quote "${w[2]}") " ;;
    route-default:2) check ip-route re "^default via $(re_quote "${w[1]}") " ;;
    route-default-dev:3) check ip-route re "^default via $(re_quote "${w[1]}") dev $(re_quote "${w[2]}")( |$)" ;;
    renderer:2) check evidence.d/05-network eq "renderer: ${w[1]}" ;;
    no-command:2) check evidence.d/05-network eq "command ${w[1]}: absent" ;;
    gateway-reached:2) check evidence.d/05-network re "^gateway $(re_quote "${w[1]}"): reached " ;;
    bond:*)
      ((${#w[@]} >= 4)) || { echo "assert: $expect_file:$lineno: bad fact: $raw" >&2; exit 2; }
      check evidence.d/05-network re "^bond $(re_quote "${w[1]}") mode $(re_quote "${w[2]}") slaves $(re_quote "${w[*]:3}") active "
      ;;
    bond-member:4) check evidence.d/05-network eq "member ${w[1]} perm ${w[2],,} master ${w[3]}" ;;
    vlan:4)
      check evidence.d/05-network eq "vlan ${w[1]} id ${w[2]} link ${w[3]}"
      check evidence.d/05-network re "^link: [0-9]+: $(re_quote "${w[1]}")@$(re_quote "${w[3]}"): .* vlan protocol 802\.1Q id ${w[2]} "
      ;;
    hosts-entry:*)
      ((${#w[@]} >= 3)) || { echo "assert: $expect_file:$lineno: bad fact: $raw" >&2; exit 2; }
      want="${w[*]:1}"
      line=$(section hosts | awk -v want="$want" '{ $1 = $1 } $0 == want { print; found = 1; exit } END { exit !found }') || line=
      if [[ -n $line ]]; then pass hosts "$line"; else fail hosts "no line '$want'"; fi
      ;;
    file:5) check write-files eq "${w[4]} ${w[2]} ${w[3]} ${w[1]}" ;;
    marker:2) check kubeseed-markers eq "${w[1]}" ;;
    sysctl:3) check sysctl eq "${w[1]} = ${w[2]}" ;;
    module:2) check lsmod eq "${w[1]}" ;;
    service:2) check active-services re "^$(re_quote "${w[1]}")\.service +loaded +active " ;;
    iptables:2) check iptables-version re "^iptables v[0-9.]+ \($(re_quote "${w[1]}")\)$" ;;
    no-swap:1)
      if s=$(section swap) && [[ -z $s ]]; then pass swap "(no swap devices)"; else fail swap "swap is on or the section is missing"; fi
      ;;
    iso-joliet:1) check isofs-dmesg re "Microsoft Joliet Level 3" ;;
    iso-rockridge:1) check isofs-dmesg re "RRIP_1991A" ;;
    section:*)
      ((${#w[@]} >= 3)) || { echo "assert: $expect_file:$lineno: bad fact: $raw" >&2; exit 2; }
      check "${w[1]}" eq "${w[*]:2}"
      ;;
    section-re:*)
      ((${#w[@]} >= 3)) || { echo "assert: $expect_file:$lineno: bad fact: $raw" >&2; exit 2; }
      check "${w[1]}" re "${w[*]:2}"
      ;;
    section-absent-re:*)
      ((${#w[@]} >= 3)) || { echo "assert: $expect_file:$lineno: bad fact: $raw" >&2; exit 2; }
      if ! s=$(section "${w[1]}"); then
        fail "${w[1]}" "section missing"
      elif line=$(grep -E -m1 -- "${w[*]:2}" <<<"$s"); then
        fail "${w[1]}" "unexpected line: $line"
      else
        pass "${w[1]}" "(no line matching /${w[*]:2}/)"
      fi
      ;;
    cloud-init-failed-only-runcmd:1)
      check cloud-init-status re "^status: (done|error)$"
      errs=$(section cloud-init-result | python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)["v1"]
except Exception as e:
    print("unreadable: %s" % e); sys.exit(0)
errs = d.get("errors") or []
if not errs: print("none")
for e in errs: print(("runcmd: " if "scripts_user" in e or "scripts-user" in e else "OTHER: ") + e)' 2>&1) || errs="unreadable"
      # The runcmd failure logs one traceback ("Runparts: N failures (runcmd)"); any other is a fault.
      tbs=$(section cloud-init-log-problems | grep '^Traceback: ' | grep -v '^Traceback: RuntimeError: Runparts: [0-9]* failures (runcmd) ' || true)
      if [[ -n $tbs ]]; then
        fail cloud-init-log-problems "$(head -n1 <<<"$tbs")"
      else
        pass cloud-init-log-problems "(no traceback but the runcmd failure's)"
      fi
      if [[ $errs == none ]]; then
        fail cloud-init-result "no errors at all: the first-boot script did not stop where it should"
      elif grep -q '^runcmd: ' <<<"$errs" && ! grep -qv '^runcmd: ' <<<"$errs"; then
        pass cloud-init-result "$(paste -sd' ' <<<"$errs")"
      else
        fail cloud-init-result "$(paste -sd' ' <<<"$errs")"
      fi
      ;;
    section-empty:2)
      if s=$(section "${w[1]}") && [[ -z $s ]]; then pass "${w[1]}" "(empty)"; else fail "${w[1]}" "not empty or missing"; fi
      ;;
    *) echo "assert: $expect_file:$lineno: unknown fact or wrong word count: $raw" >&2; exit 2 ;;
  esac
done <"$expect_file"

echo "assert: $passed passed, $failed failed ($evidence_file)"
((failed == 0))
