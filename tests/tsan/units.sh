#!/bin/sh
# The threaded unit tests built for ThreadSanitizer (tests/tsan/test_*,
# RH_TSAN_UNITS in Makefile.am), run by make check-tsan. Fails when one of
# them fails or TSan reports a race in it.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
ran=0
bad=""
for t in $RH_TSAN_UNITS; do
	bin="$top_builddir/$t"
	[ -x "$bin" ] || fail "$t is not built (make check-tsan builds it)"
	ran=$((ran + 1))
	if ! "$bin"; then
		bad="$bad $t"
	fi
done
[ "$ran" -gt 0 ] || fail "no unit tests to run"
[ -z "$bad" ] || fail "failed under ThreadSanitizer:$bad"
pass
