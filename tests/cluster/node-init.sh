#!/bin/sh
# First process of one lab node: `cargo xtask demo` / `e2e` start it as
#
#   ip netns exec lab-NODE unshare --mount --uts --ipc --pid --fork --mount-proc \
#       --kill-child sh node-init.sh NODE LABDIR
#
# so it runs as PID 1 of the node's own PID namespace, with private mount, UTS and
# IPC namespaces. It gives the node its own hostname and empty state directories,
# installs the lab's agent as /usr/lib/ocf/resource.d/ifaddr/vip (mounts only: the
# host's files are never changed), then waits forever. Killing it "powers the node
# off": every process of the node dies with it, and its mounts disappear.
set -eu

node=$1
lab=$2
dir=$lab/$node

hostname "$node"

# Runtime and state directories: fresh and private to this node.
mount -t tmpfs -o mode=0755 lab-run /run
mkdir -p /run/lock
mount -t tmpfs -o mode=1777 lab-shm /dev/shm
mount -t tmpfs -o mode=0755 lab-corosync /var/lib/corosync
mount -t tmpfs -o mode=0755 lab-pacemaker /var/lib/pacemaker
for d in cib pengine blackbox cores; do
    mkdir "/var/lib/pacemaker/$d"
    chown hacluster:haclient "/var/lib/pacemaker/$d"
    chmod 0750 "/var/lib/pacemaker/$d"
done
cp "$lab/cib.xml" /var/lib/pacemaker/cib/cib.xml
chown hacluster:haclient /var/lib/pacemaker/cib/cib.xml
chmod 0600 /var/lib/pacemaker/cib/cib.xml

# Logs live in the lab directory, so that a failing run can show them.
mkdir -p "$dir/log/corosync" "$dir/log/pacemaker"
chown hacluster:haclient "$dir/log/pacemaker"
chmod 0770 "$dir/log/pacemaker"
mount --bind "$dir/log/corosync" /var/log/corosync
mount --bind "$dir/log/pacemaker" /var/log/pacemaker

# Configuration: the lab's corosync.conf and shared authkey.
mkdir -p "$dir/etc-corosync"
cp "$lab/corosync.conf" "$lab/authkey" "$dir/etc-corosync/"
chmod 0400 "$dir/etc-corosync/authkey"
mount --bind "$dir/etc-corosync" /etc/corosync

# Resource agents: the host's providers as they are, plus the lab's build of ifaddr
# as provider `ifaddr`. A tmpfs over resource.d gives a mount point for it without
# creating anything on the host.
rd=/usr/lib/ocf/resource.d
mkdir -p "$dir/resource.d.host"
mount --bind "$rd" "$dir/resource.d.host"
mount -t tmpfs -o mode=0755 lab-ocf "$rd"
for p in "$dir"/resource.d.host/*; do
    name=${p##*/}
    [ "$name" = ifaddr ] && continue
    mkdir "$rd/$name"
    mount --bind "$p" "$rd/$name"
done
mkdir "$rd/ifaddr"
mount --bind "$lab/agent" "$rd/ifaddr"

touch "$dir/ready"
exec sleep infinity
