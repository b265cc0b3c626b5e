#!/bin/sh
# Every C file of the tree is as .clang-format formats it, and
# the check catches a file that is not (a copy with its indentation undone).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
"$top_srcdir/scripts/format-check" || fail "unformatted files (above)"
tmp=$(mktemp -d)
cleanup_add "$tmp"
cp "$top_srcdir/.clang-format" "$tmp/"
sed 's/^\t//' "$top_srcdir/lib/util/sorted.c" >"$tmp/sorted.c"
expect_fail 1 "$top_srcdir/scripts/format-check" "$tmp/sorted.c"
case $err in *"sorted.c is not formatted"*) ;; *) fail "no message: $err" ;; esac
pass
