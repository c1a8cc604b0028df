#!/bin/sh
# ifaddr smoke test for a real FreeBSD host (run as root; needs no cluster).
#
#   sh smoke.sh [AGENT]      AGENT defaults to ./ifaddr next to this script, then to
#                            /usr/local/lib/ocf/resource.d/ifaddr/vip
#
# Creates an epair(4), gives one end 192.0.2.1/24 and 2001:db8:5::1/64, then checks
# start/monitor/stop of a virtual IPv4 and IPv6 address on it (with and without nic), the same
# inside a VNET jail that holds the other end (`jail=`), and runs ocf-tester when it is
# installed. Removes the jail and the epair on exit, whatever happens. Prints one line per check
# and "N passed, N failed"; exits 1 if anything failed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=${1:-}
if [ -z "$agent" ]; then
	if [ -x "$here/ifaddr" ]; then agent=$here/ifaddr
	else agent=/usr/local/lib/ocf/resource.d/ifaddr/vip; fi
fi
export OCF_ROOT=${OCF_ROOT:-/usr/local/lib/ocf}
out=$(mktemp -t ifaddr-smoke) || exit 2
pass=0
fail=0
ep=
jail=ifaddr_smoke_$$
jailed=
JAIL=

say() { printf '%s\n' "$*"; }
cleanup() {
	[ -n "$jailed" ] && jail -r "$jail" 2>/dev/null
	[ -n "$ep" ] && ifconfig "$ep" destroy 2>/dev/null
	rm -f "$out"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

[ "$(id -u)" = 0 ] || { say "smoke.sh: run as root"; exit 2; }
[ -x "$agent" ] || { say "smoke.sh: no agent at $agent"; exit 2; }

# check NAME WANT CMD...: run CMD, expect exit status WANT.
check() {
	name=$1 want=$2
	shift 2
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		pass=$((pass + 1))
		say "ok    $name"
	else
		fail=$((fail + 1))
		say "FAIL  $name: exit $rc, expected $want"
		sed 's/^/      /' "$out"
	fi
}

# agent ACTION IP PREFIX [NIC]; with $JAIL set, in that jail.
agent() {
	env OCF_RESKEY_ip="$2" OCF_RESKEY_cidr_netmask="$3" ${4:+OCF_RESKEY_nic="$4"} \
	    ${JAIL:+OCF_RESKEY_jail="$JAIL"} OCF_RESOURCE_INSTANCE=smoke "$agent" "$1"
}

# has NIC ADDR: the address is configured on NIC.
has() { ifconfig "$1" | grep -Eq "inet6? $2( |%)"; }

kldload -n if_epair || { say "smoke.sh: cannot load if_epair"; exit 2; }
ep=$(ifconfig epair create) || { say "smoke.sh: cannot create an epair"; exit 2; }
peer=${ep%a}b
ifconfig "$ep" inet 192.0.2.1/24 up
ifconfig "$ep" inet6 -ifdisabled
ifconfig "$ep" inet6 2001:db8:5::1/64
ifconfig "$peer" inet6 -ifdisabled
ifconfig "$peer" up
say "smoke.sh: agent $agent on $ep ($(uname -sr))"

check "meta-data" 0 "$agent" meta-data
check "validate-all" 0 agent validate-all 192.0.2.200 24 "$ep"

for case in "192.0.2.200 24" "2001:db8:5::200 64"; do
	set -- $case
	ip=$1 len=$2
	check "$ip: monitor before start is not running" 7 agent monitor "$ip" "$len" "$ep"
	check "$ip: start" 0 agent start "$ip" "$len" "$ep"
	check "$ip: is on $ep" 0 has "$ep" "$ip"
	check "$ip: monitor" 0 agent monitor "$ip" "$len" "$ep"
	check "$ip: start again" 0 agent start "$ip" "$len" "$ep"
	check "$ip: stop" 0 agent stop "$ip" "$len" "$ep"
	check "$ip: is gone" 1 has "$ep" "$ip"
	check "$ip: monitor after stop" 7 agent monitor "$ip" "$len" "$ep"
	check "$ip: stop again" 0 agent stop "$ip" "$len" "$ep"
	# No nic and no prefix: both come from the routing table.
	check "$ip: start without nic" 0 agent start "$ip" "" ""
	check "$ip: detected $ep" 0 has "$ep" "$ip"
	check "$ip: stop without nic" 0 agent stop "$ip" "" ""
done
check "the interface's own address survives" 0 has "$ep" 192.0.2.1

# jail=: a jail that does not exist holds no address (monitor 7, stop 0) and cannot get one.
JAIL=ifaddr_no_such_jail
check "missing jail: monitor is not running" 7 agent monitor 198.51.100.200 24 "$peer"
check "missing jail: stop succeeds" 0 agent stop 198.51.100.200 24 "$peer"
check "missing jail: start is refused" 2 agent start 198.51.100.200 24 "$peer"
JAIL=
# A VNET jail owning the other end of the epair; the agent attaches itself, no jexec.
if jail -c name="$jail" vnet persist vnet.interface="$peer" >"$out" 2>&1; then
	jailed=1
	jexec "$jail" ifconfig "$peer" inet 198.51.100.1/24 up
	jhas() { jexec "$jail" ifconfig "$peer" | grep -Eq "inet $1 "; }
	JAIL=$jail
	check "jail: monitor before start is not running" 7 agent monitor 198.51.100.200 24 "$peer"
	check "jail: start" 0 agent start 198.51.100.200 24 "$peer"
	check "jail: is on $peer in the jail" 0 jhas 198.51.100.200
	check "jail: monitor" 0 agent monitor 198.51.100.200 24 "$peer"
	check "jail: start without nic" 0 agent start 198.51.100.200 24 ""
	check "jail: stop" 0 agent stop 198.51.100.200 24 "$peer"
	check "jail: is gone" 1 jhas 198.51.100.200
	check "jail: monitor after stop" 7 agent monitor 198.51.100.200 24 "$peer"
	JAIL=
	check "jail: the host never had it" 1 has "$ep" 198.51.100.200
else
	say "skip  jail checks (no VNET jail: $(head -n 1 "$out"))"
fi

if command -v ocf-tester >/dev/null 2>&1; then
	check "ocf-tester" 0 ocf-tester -n smoke -o ip=192.0.2.201 -o cidr_netmask=24 \
	    -o nic="$ep" "$agent"
else
	say "skip  ocf-tester (not installed: pkg install resource-agents)"
fi

say "$pass passed, $fail failed"
[ "$fail" = 0 ]
