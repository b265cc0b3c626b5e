#!/bin/sh
# Every long option a program's --help shows is documented in its man page,
# every program's man page exists, mandoc finds no errors in any page (and
# its absence is a failure), and every public struct field is documented.
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
# The man page lint is part of the check: without mandoc it fails (CI
# installs it); RH_ALLOW_SKIP=1 turns that into a skip for local runs.
if ! command -v mandoc >/dev/null 2>&1; then
	if [ "${RH_ALLOW_SKIP:-}" = 1 ]; then
		echo "SKIP: no mandoc (apt-get install mandoc)"
		exit 77
	fi
	fail "mandoc is not installed: the man pages cannot be linted (scripts/deps installs it)"
fi
out=$(mandoc -Tlint -Wwarning "$top_srcdir"/man/* 2>&1) ||
	fail "mandoc -Tlint: ${out:-exit status $?}"
[ -z "$out" ] || fail "mandoc -Tlint: $out"
# every public function is named in a page, every page installed
${PYTHON:-python3} "$top_srcdir/tests/cli/man_names.py" "$top_srcdir" ||
	fail "public functions without a man page"
# every field of the structs a caller fills or reads is documented
${PYTHON:-python3} "$top_srcdir/tests/cli/man_fields.py" "$top_srcdir" ||
	fail "undocumented struct fields"
pass
