#!/bin/sh
# examples/ builds through pkg-config against the library as installed, and
# lists a store's sessions through the public API only.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
inst=$(mktemp -d)
cleanup_add "$inst"
make -C "$top_builddir" install DESTDIR="$inst" >/dev/null
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/pkgconfig/rayhist.pc")
root="$inst$prefix"
PKG_CONFIG_PATH="$root/lib/pkgconfig"
export PKG_CONFIG_PATH
cflags=$(${PKG_CONFIG:-pkg-config} --define-variable=prefix="$root" --cflags rayhist)
libs=$(${PKG_CONFIG:-pkg-config} --define-variable=prefix="$root" --libs rayhist)
# shellcheck disable=SC2086
${CC:-cc} -Wall -Wextra -Werror ${RH_SAN_FLAGS:-} $cflags "$top_srcdir/examples/list_sessions.c" \
	$libs -Wl,-rpath,"$root/lib" -o "$inst/list_sessions"
store="$inst/store"
make_session "$inst/ray" >/dev/null
"$RH_COLLECT" --store "$store" --cluster exa -q "$inst/ray/session_2025-01-02_03-04-05_678901_99"
out=$("$inst/list_sessions" "$store")
expect_eq "$out" "$(printf 'default/exa/session_2025-01-02_03-04-05_678901_99\t1735787045678')"
pass
