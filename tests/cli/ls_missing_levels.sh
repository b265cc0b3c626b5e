#!/bin/sh
# An entity listing of a session opens its index without listing the
# store's levels first; when nothing is there, rayhist-ls still names the
# part of the path that is missing (namespace, cluster or session), for
# --tasks, --summary, --get and --logs alike.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
s=$(make_session "$tmp/ray")
"$RH_COLLECT" -q --store "$tmp/store" --cluster c1 "$s" || fail "collect"
sess=$(basename "$s")
"$RH_LS" -q --store "$tmp/store" --tasks "default/c1/$sess" >/dev/null 2>&1 ||
	fail "--tasks of a stored session"
check() {	# WANT ARGS...: exit 1 and stderr WANT
	want=$1
	shift
	set +e
	err=$("$RH_LS" -q --store "$tmp/store" "$@" 2>&1 >/dev/null)
	rc=$?
	set -e
	[ "$rc" -eq 1 ] || fail "$*: exit $rc ($err)"
	expect_eq "$err" "rayhist-ls: $want"
}
for mode in --tasks "--summary tasks" "--logs 0123456789abcdef0123456789abcdef"; do
	check "session \"session_nope\" not found in default/c1" $mode default/c1/session_nope
	check "cluster \"nope\" not found in default" $mode default/nope/session_x
	check "namespace \"nope\" not found" $mode nope/c1/session_x
done
check "session \"session_nope\" not found in default/c1" --get task 00 default/c1/session_nope
pass
