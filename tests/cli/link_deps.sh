#!/bin/sh
# Programs link only what they use (DESIGN.md: only bin/ links libevent, and
# only the programs that serve or receive HTTP): rayhist-ls and rayhist-prune
# make no network calls of their own, so libevent is not among their needed
# libraries; rayhist-serve and rayhist-collect do need it.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
command -v readelf >/dev/null 2>&1 || fail "readelf is not installed (binutils)"
needed() {
	# libtool puts the real program in bin/.libs when it links a
	# shared librayhist; otherwise bin/ holds the program itself.
	b="$top_builddir/bin/.libs/$1"
	[ -f "$b" ] || b="$top_builddir/bin/$1"
	[ -f "$b" ] || fail "$1 is not built"
	readelf -d "$b" | awk '/NEEDED/ {print $NF}'
}
for prog in rayhist-ls rayhist-prune; do
	n=$(needed "$prog")
	echo "$n" | grep -q "libc\.so" || fail "$prog: cannot read its needed libraries ($n)"
	if echo "$n" | grep -q libevent; then
		fail "$prog links libevent without using it: $n"
	fi
done
for prog in rayhist-serve rayhist-collect; do
	needed "$prog" | grep -q libevent || fail "$prog does not link libevent"
done
pass
