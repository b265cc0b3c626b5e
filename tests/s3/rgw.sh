#!/bin/sh
# rgw.sh - a Ceph RADOS Gateway (a real S3 server) on loopback for the
# s3:// tests: one monitor, one OSD (BlueStore on a sparse file) and one
# radosgw, all state in one folder, no authentication inside the cluster.
#
#   rgw.sh start DIR        create a cluster in DIR (must not exist) and
#                           start it; prints the S3 endpoint when it answers
#   rgw.sh stop DIR         stop exactly the recorded daemons (RGW, then
#                           the OSD, then the monitor) and wait for them
#   rgw.sh user DIR TENANT ACCESS_KEY SECRET
#                           an S3 user in a tenant of its own: its buckets
#                           are its alone, so tests sharing the cluster
#                           never see each other's "rayhist" bucket
#   rgw.sh serve DIR IDLE   start, then watch: stop when no user (a PID in
#                           DIR/users/) has been alive for IDLE seconds, on
#                           SIGTERM/SIGINT, or after RH_RGW_MAX_SECONDS
#                           (default 3 h); DIR is removed after the stop
#
# Ceph Pacific (Debian 12's 16.2) has no standalone RGW store: RGW needs a
# RADOS cluster, and one monitor with one OSD is the smallest that works.
# The daemons run in the foreground (-f) as our children so that we know
# their PIDs and never have to find them by name.
set -eu

die() { echo "rgw.sh: $*" >&2; exit 1; }

free_port() {
	${PYTHON:-python3} -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is not installed (apt-get install radosgw ceph-mon ceph-osd ceph-common; scripts/deps does it with RH_DEPS_TEST=1)"
done

# wait_until SECONDS WHAT CMD...: retry CMD every 0.1 s
wait_until() {
	_limit=$(($1 * 10))
	_what=$2
	shift 2
	_n=0
	until "$@" >/dev/null 2>&1; do
		_n=$((_n + 1))
		[ "$_n" -lt "$_limit" ] || return 1
		sleep 0.1
	done
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

cmd_start() {
	dir=$1
	[ ! -e "$dir" ] || die "$dir exists"
	mkdir -p "$dir/run" "$dir/log" "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$dir/rgw" "$dir/users"
	dir=$(cd "$dir" && pwd -P)
	mon_port=$(free_port)
	s3_port=$(free_port)
	fsid=$(cat /proc/sys/kernel/random/uuid)
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	conf=$dir/ceph.conf
	cat > "$conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_msgr1 = false
ms_bind_msgr2 = true
ms_mon_client_mode = crc
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_data_avail_crit = 0
mon_data_avail_warn = 0
paxos_propose_interval = 0.1
objecter_tick_interval = 1
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
keyring = $dir/keyring
[mon]
mon_data = $dir/mon/\$cluster-\$id
[osd]
osd_data = $dir/osd/\$cluster-\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 10737418240
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_memory_target = 939524096
[client]
rgw_data = $dir/rgw
# the tests upload many small parts (S3's and RGW's minimum is 5 MiB)
rgw_multipart_min_part_size = 65536
# tcp_nodelay: without it an answer whose headers and body go out in two
# writes waits for the client's delayed ACK - 40 ms per GET or LIST
rgw_frontends = beast endpoint=127.0.0.1:$s3_port tcp_nodelay=1
EOF
	: > "$dir/keyring"
	echo "$s3_port" > "$dir/s3_port"
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >"$dir/log/setup.log" 2>&1 ||
		{ cat "$dir/log/setup.log" >&2; die "monmaptool failed"; }
	ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/setup.log" 2>&1 ||
		{ cat "$dir/log/setup.log" >&2; die "ceph-mon --mkfs failed"; }
	ceph-mon -c "$conf" -f -i a </dev/null >"$dir/log/mon.out" 2>&1 &
	echo $! > "$dir/mon.pid"
	osd_id=$(timeout 60 ceph -c "$conf" osd new "$osd_uuid" 2>>"$dir/log/setup.log") ||
		{ cat "$dir/log/setup.log" "$dir/log/mon.out" >&2; cmd_stop "$dir"; die "ceph osd new failed"; }
	[ "$osd_id" = 0 ] || { cmd_stop "$dir"; die "ceph osd new gave id $osd_id"; }
	ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/setup.log" 2>&1 ||
		{ cat "$dir/log/setup.log" >&2; cmd_stop "$dir"; die "ceph-osd --mkfs failed"; }
	ceph-osd -c "$conf" -f -i 0 </dev/null >"$dir/log/osd.out" 2>&1 &
	echo $! > "$dir/osd.pid"
	radosgw -c "$conf" -f -n client.rgw.a </dev/null >"$dir/log/rgw.out" 2>&1 &
	echo $! > "$dir/rgw.pid"
	# ready: the gateway answers S3 (an anonymous listing of all buckets
	# carries x-amz-request-id) - only once the OSD is up and its pools exist
	if ! wait_until 120 "RGW" sh -c "curl -s -m 2 -o /dev/null -D - http://127.0.0.1:$s3_port/ | grep -qi '^x-amz-request-id'"; then
		tail -n 20 "$dir/log/rgw.out" "$dir/log/osd.out" "$dir/log/mon.out" >&2 || true
		cmd_stop "$dir"
		die "RGW did not answer on 127.0.0.1:$s3_port within 120 s"
	fi
	for d in rgw osd mon; do alive "$(cat "$dir/$d.pid")" || { cmd_stop "$dir"; die "$d died"; }; done
	echo "http://127.0.0.1:$s3_port"
}

# stop_pid NAME PID: TERM, then KILL after 20 s
stop_pid() {
	_pid=$2
	alive "$_pid" || return 0
	kill -TERM "$_pid" 2>/dev/null || true
	_n=0
	while alive "$_pid"; do
		_n=$((_n + 1))
		if [ "$_n" -eq 200 ]; then
			echo "rgw.sh: $1 ($_pid) ignores SIGTERM; SIGKILL" >&2
			kill -KILL "$_pid" 2>/dev/null || true
		fi
		sleep 0.1
	done
	wait "$_pid" 2>/dev/null || true
}

cmd_stop() {
	dir=$1
	for d in rgw osd mon; do
		[ -f "$dir/$d.pid" ] || continue
		stop_pid "$d" "$(cat "$dir/$d.pid")"
		rm -f "$dir/$d.pid"
	done
}

cmd_user() {
	dir=$1 tenant=$2 ak=$3 sk=$4
	out=$(timeout 60 radosgw-admin -c "$dir/ceph.conf" -n client.rgw.a user create --tenant "$tenant" \
		--uid user --display-name "$tenant" --access-key "$ak" --secret-key "$sk" 2>&1) ||
		die "radosgw-admin user create failed: $out"
}

cmd_serve() {
	dir=$1 idle=$2
	max=${RH_RGW_MAX_SECONDS:-10800}
	trap 'cmd_stop "$dir"; rm -rf "$dir"; exit 0' TERM INT HUP
	if ! cmd_start "$dir" > "$dir.endpoint.tmp"; then
		rm -f "$dir.endpoint.tmp"
		rm -rf "$dir"
		exit 1
	fi
	echo $$ > "$dir/serve.pid"
	mv "$dir.endpoint.tmp" "$dir/endpoint"
	t0=$(date +%s)
	last=$t0
	locked=0
	while :; do
		sleep 1
		now=$(date +%s)
		users
		for d in rgw osd mon; do
			alive "$(cat "$dir/$d.pid" 2>/dev/null)" || { echo "rgw.sh: $d died" >&2; break 2; }
		done
		if [ $((now - t0)) -ge "$max" ]; then
			echo "rgw.sh: running for $max s; stopping" >&2
			break
		fi
		[ $((now - last)) -ge "$idle" ] || continue
		# idle: users register under the lock, so we decide under it
		until mkdir "$dir.lock" 2>/dev/null; do sleep 0.1; done
		echo $$ > "$dir.lock/pid"
		users
		[ "$last" -eq "$now" ] || { locked=1; break; }
		rm -rf "$dir.lock"
	done
	if [ "$locked" = 0 ]; then
		until mkdir "$dir.lock" 2>/dev/null; do sleep 0.1; done
		echo $$ > "$dir.lock/pid"
	fi
	rm -f "$dir/endpoint"
	cmd_stop "$dir"
	rm -rf "$dir"
	rm -rf "$dir.lock"
	rm -f "$dir.log" # our own output, when it was sent there
}

# users: $last = $now if a registered user (a PID) is alive; dead ones go
users() {
	for f in "$dir"/users/*; do
		[ -e "$f" ] || continue
		if alive "$(basename "$f")"; then last=$now; else rm -f "$f"; fi
	done
}

[ $# -ge 2 ] || die "usage: rgw.sh start|stop|serve|user DIR ..."
cmd=$1
shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
user) [ $# -eq 4 ] || die "usage: rgw.sh user DIR TENANT ACCESS_KEY SECRET"; cmd_user "$@" ;;
serve) [ $# -eq 2 ] || die "usage: rgw.sh serve DIR IDLE"; cmd_serve "$@" ;;
*) die "unknown command $cmd" ;;
esac
