#!/bin/sh
# librayhist exports only rh_-prefixed public symbols: none without the
# prefix and no internal rh__ ones.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
so=$(ls "$top_builddir"/.libs/librayhist.so.* 2>/dev/null | head -n 1)
[ -n "$so" ] || fail "no shared librayhist built"
syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRV]$/ {print $3}')
[ -n "$syms" ] || fail "no exported symbols"
bad=$(echo "$syms" | grep -v '^rh_' || true)
[ -z "$bad" ] || fail "exported without rh_ prefix: $bad"
bad=$(echo "$syms" | grep '__' || true)
[ -z "$bad" ] || fail "internal symbols exported: $bad"
echo "$syms" | grep -qx rh_store_open || fail "rh_store_open is not exported"
pass
