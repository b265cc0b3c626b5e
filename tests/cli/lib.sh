# Shared helpers for tests/cli/*.sh (sourced, not run).
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
RH_COLLECT="$top_builddir/bin/rayhist-collect"
RH_LS="$top_builddir/bin/rayhist-ls"
RH_SERVE="$top_builddir/bin/rayhist-serve"
RH_GEN="${PYTHON:-python3} $top_srcdir/tests/gen/raygen.py"
_cleanup=""
cleanup_add() { _cleanup="$_cleanup $*"; }
_on_exit() {
	if [ -z "${RH_TEST_KEEP:-}" ]; then
		for d in $_cleanup; do rm -rf "$d"; done
	else
		echo "kept: $_cleanup" >&2
	fi
}
trap _on_exit EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $(basename "$0")"; exit 0; }
expect_eq() {
	[ "$1" = "$2" ] || fail "expected [$2], got [$1]"
}
# expect_fail STATUS CMD... : the command exits with STATUS; its stderr is
# kept in $err for further checks.
expect_fail() {
	want=$1; shift
	set +e
	err=$("$@" 2>&1 >/dev/null)
	got=$?
	set -e
	[ "$got" -eq "$want" ] || fail "$* exited $got, expected $want ($err)"
}
# make_session DIR: a minimal hand-made Ray session directory for tests that
# do not need the generator.
make_session() {
	s="$1/session_2025-01-02_03-04-05_678901_99"
	mkdir -p "$s/logs"
	printf '[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: Setting node ID node_id=%s\n' \
		0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee > "$s/logs/raylet.out"
	printf 'gcs\n' > "$s/logs/gcs_server.out"
	ln -sfn "$s" "$1/session_latest"
	echo "$s"
}
