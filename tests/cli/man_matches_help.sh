#!/bin/sh
# Every long option a program's --help shows is documented in its man page,
# every program's man page exists, and mandoc finds no errors in any page.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
for prog in "$top_builddir"/bin/rayhist-*; do
	[ -x "$prog" ] || continue
	case "$prog" in *.o|*.c) continue ;; esac
	name=$(basename "$prog")
	page="$top_srcdir/man/$name.1"
	[ -f "$page" ] || fail "$name has no man page"
	"$prog" --help > /dev/null || fail "$name --help failed"
	for opt in $("$prog" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		# mdoc writes long options as "Fl \-name" or "Fl -name"
		o=${opt#--}
		grep -q -- "Fl \\\\-$o\|Fl -$o" "$page" || fail "$name: $opt is not in $page"
	done
done
if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -Tlint -Wwarning "$top_srcdir"/man/* 2>&1 || true)
	[ -z "$out" ] || fail "mandoc -Tlint: $out"
fi
pass
