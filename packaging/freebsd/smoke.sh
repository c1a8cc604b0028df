#!/bin/sh
# ifaddr smoke test for a real FreeBSD host (run as root; needs no cluster).
#
#   sh smoke.sh [AGENT]      AGENT defaults to ./ifaddr next to this script, then to
#                            /usr/local/lib/ocf/resource.d/ifaddr/vip
#
# Creates an epair(4), gives one end 192.0.2.1/24 and 2001:db8:5::1/64, then checks
# start/monitor/stop of a virtual IPv4 and IPv6 address on it (with and without nic), the same
# on a vlan(4) named vlan100 and inside a VNET jail that holds the other end (`jail=`); bad
# input refused with no change; the depth-20 monitor (nobody else answers for the address);
# `explain`; the installed example policy when its artifact is installed; and ocf-tester when
# it is installed. Removes the jail and the epair on exit, whatever happens. Prints one line per check
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
vlan=
JAIL=
LEVEL=
POLICY=

say() { printf '%s\n' "$*"; }
cleanup() {
	[ -n "$jailed" ] && jail -r "$jail" 2>/dev/null
	[ -n "$vlan" ] && ifconfig "$vlan" destroy 2>/dev/null
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

# agent ACTION IP PREFIX [NIC]; with $JAIL set, in that jail; $LEVEL is OCF_CHECK_LEVEL,
# $POLICY the policy module.
agent() {
	env OCF_RESKEY_ip="$2" OCF_RESKEY_cidr_netmask="$3" ${4:+OCF_RESKEY_nic="$4"} \
	    ${JAIL:+OCF_RESKEY_jail="$JAIL"} ${LEVEL:+OCF_CHECK_LEVEL="$LEVEL"} \
	    ${POLICY:+OCF_RESKEY_policy="$POLICY"} OCF_RESOURCE_INSTANCE=smoke "$agent" "$1"
}

# addrs: every address on the host, to show that a refused action changed nothing.
addrs() { ifconfig -a | grep -E '^[[:space:]]inet6? '; }

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

# Bad input: the right code, one reason, and nothing changed.
addrs >"$out.before"
check "bad ip: validate-all is 6" 6 agent validate-all 192.0.2.300 24 "$ep"
check "bad ip: start is 6" 6 agent start 192.0.2.300 24 "$ep"
check "prefix out of range: start is 6" 6 agent start 192.0.2.200 33 "$ep"
check "missing nic: start is 2" 2 agent start 192.0.2.200 24 nosuch0
addrs >"$out.after"
check "refused actions changed no address" 0 cmp -s "$out.before" "$out.after"
rm -f "$out.before" "$out.after"

# The depth-20 monitor asks the link whether another host answers for the address.
check "depth 20: start" 0 agent start 192.0.2.202 24 "$ep"
LEVEL=20
check "depth 20: monitor (no other holder)" 0 agent monitor 192.0.2.202 24 "$ep"
LEVEL=
check "explain" 0 agent explain 192.0.2.202 24 ""
check "depth 20: stop" 0 agent stop 192.0.2.202 24 "$ep"

# A vlan(4) named vlan100: the kind of name IPaddr's findif misreads.
if vlan=$(ifconfig vlan create vlan 100 vlandev "$ep" 2>"$out") &&
    ifconfig "$vlan" name vlan100 >/dev/null && vlan=vlan100; then
	ifconfig vlan100 inet 198.51.100.1/24 up
	check "vlan100: start" 0 agent start 198.51.100.200 24 vlan100
	check "vlan100: is on vlan100" 0 has vlan100 198.51.100.200
	check "vlan100: monitor" 0 agent monitor 198.51.100.200 24 vlan100
	check "vlan100: stop" 0 agent stop 198.51.100.200 24 vlan100
	check "vlan100: start without nic" 0 agent start 198.51.100.200 "" ""
	check "vlan100: detected" 0 has vlan100 198.51.100.200
	check "vlan100: stop without nic" 0 agent stop 198.51.100.200 "" ""
	check "vlan100: is gone" 1 has vlan100 198.51.100.200
	ifconfig vlan100 destroy && vlan=
else
	vlan=
	say "skip  vlan checks (no vlan(4): $(head -n 1 "$out"))"
fi

# The example policy the package installs, with the artifact the package compiled.
policy=/usr/local/lib/ifaddr/policies/strict.wasm
if [ -r "$policy" ] && ls /var/cache/ifaddr/*.cwasm >/dev/null 2>&1; then
	POLICY=$policy
	check "policy: validate-all" 0 agent validate-all 192.0.2.203 24 "$ep"
	check "policy: monitor before start is not running" 7 agent monitor 192.0.2.203 24 "$ep"
	check "policy: start" 0 agent start 192.0.2.203 24 "$ep"
	check "policy: monitor" 0 agent monitor 192.0.2.203 24 "$ep"
	check "policy: stop" 0 agent stop 192.0.2.203 24 "$ep"
	POLICY=
else
	say "skip  policy checks (no $policy with artifacts in /var/cache/ifaddr: pkg install ifaddr)"
fi

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
