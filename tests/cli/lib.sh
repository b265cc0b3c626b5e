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

# npm_modules SRC NAME: install SRC's package-lock.json once into a cache
# folder named NAME-<hash of the lock file>, shared by every build tree and
# taken under a lock (an install killed half-way leaves a lock that expires
# after 15 minutes); sets NPM_MODULES to its node_modules. Returns 2 when npm
# is missing (the caller says how that skips); a failed install fails.
npm_modules() {
	command -v npm >/dev/null 2>&1 || return 2
	_nm_hash=$(sha256sum "$1/package-lock.json" | cut -c1-16)
	_nm_cache=${RH_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/rayhist-tests}
	_nm_dir="$_nm_cache/$2-$_nm_hash"
	mkdir -p "$_nm_cache" || fail "cannot create $_nm_cache (set RH_TEST_CACHE)"
	_nm_n=0
	until mkdir "$_nm_dir.lock" 2>/dev/null; do
		find "$_nm_dir.lock" -maxdepth 0 -mmin +15 -exec rmdir {} \; 2>/dev/null || true
		_nm_n=$((_nm_n + 1))
		[ "$_nm_n" -lt 600 ] || fail "timed out waiting for $_nm_dir.lock"
		sleep 1
	done
	if [ ! -f "$_nm_dir/.installed" ]; then
		rm -rf "$_nm_dir"
		mkdir -p "$_nm_dir"
		cp "$1/package.json" "$1/package-lock.json" "$_nm_dir/"
		chmod u+w "$_nm_dir/package.json" "$_nm_dir/package-lock.json"
		if (cd "$_nm_dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) >"$_nm_dir/npm.log" 2>&1; then
			touch "$_nm_dir/.installed"
		else
			rmdir "$_nm_dir.lock"
			cat "$_nm_dir/npm.log" >&2
			fail "npm ci in $_nm_dir failed"
		fi
	fi
	rmdir "$_nm_dir.lock"
	NPM_MODULES="$_nm_dir/node_modules"
}
