# Helpers for tests/cli/follow_*.sh (sourced after lib.sh).
RH_FOLLOW_WRITER="${PYTHON:-python3} $top_srcdir/tests/cli/follow_writer.py"
RH_FOLLOW_CHECK="${PYTHON:-python3} $top_srcdir/tests/cli/follow_check.py"

# Collectors still running when a test ends (it failed) are killed before
# lib.sh removes their directories.
_collectors=""
_follow_exit() {
	for _p in $_collectors; do kill -KILL "$_p" 2>/dev/null || true; done
	_on_exit
}
trap _follow_exit EXIT

# start_collector LOG ARGS...: rayhist-collect --follow ARGS in the
# background, output to LOG; its pid in $cpid.
start_collector() {
	_log=$1
	shift
	"$RH_COLLECT" --follow "$@" > "$_log" 2>&1 &
	cpid=$!
	_collectors="$_collectors $cpid"
}

# wait_for LOG PATTERN [SECONDS]: until a line of LOG matches.
wait_for() {
	_n=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -lt $((${3:-30} * 20)) ] || { cat "$1" >&2; fail "no \"$2\" in $1"; }
		sleep 0.05
	done
}

# port_of LOG: the port the collector receives events on.
port_of() {
	wait_for "$1" "receiving events on"
	sed -n 's|.*receiving events on http://[^ ]*:\([0-9]*\)/v1/events.*|\1|p' "$1" | head -n 1
}

# wait_exit PID SECONDS: wait for PID to exit; its status in $status, the
# time it took (whole seconds, rounded up) in $took.
wait_exit() {
	_t0=$(date +%s%N)
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -lt $(($2 * 20)) ] || fail "process $1 did not exit within $2 s"
		sleep 0.05
	done
	set +e
	wait "$1"
	status=$?
	set -e
	took=$((($(date +%s%N) - _t0 + 999999999) / 1000000000))
}

# post URL FILE: POST FILE; prints the HTTP status.
post() {
	curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$2" "$1" 2>/dev/null || true
}

# free_port: a loopback port nobody listens on now.
free_port() {
	${PYTHON:-python3} -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# session_state STORE NS/CLUSTER SESSION: its state column in rayhist-ls -l.
session_state() {
	"$RH_LS" --store "$1" -l "$2" | awk -v s="$3" '$4 == s { print $3 }'
}

# objects_of STORE DIR: a folder holding STORE's objects, printed: STORE
# itself for a folder; for s3://BUCKET/PREFIX a copy made in DIR with the
# AWS SDK (tests/s3/sdk.js), for az://CONTAINER/PREFIX one made with the
# Azure SDK (tests/az/sdk.js), for follow_check.py --objects.
objects_of() {
	case "$1" in
	s3://*)
		_b=${1#s3://}
		_p=${_b#*/}
		_b=${_b%%/*}
		[ "$_p" != "$_b" ] || _p=""
		rm -rf "$2"
		mkdir -p "$2"
		node "$top_srcdir/tests/s3/sdk.js" getdir "$_b" "${_p:+$_p/}" "$2" >/dev/null ||
			fail "cannot copy $1"
		echo "$2" ;;
	az://*)
		_b=${1#az://}
		_p=${_b#*/}
		_b=${_b%%/*}
		[ "$_p" != "$_b" ] || _p=""
		rm -rf "$2"
		mkdir -p "$2"
		node "$top_srcdir/tests/az/sdk.js" getdir "$_b" "${_p:+$_p/}" "$2" >/dev/null ||
			fail "cannot copy $1"
		echo "$2" ;;
	*) echo "$1" ;;
	esac
}
