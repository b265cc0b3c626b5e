#!/bin/sh
# Every public header compiles on its own, as strict C11 and as C++.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
for h in "$top_srcdir"/include/rayhist/*.h; do
	name=$(basename "$h")
	printf '#include <rayhist/%s>\nint rh_headertest_%s;\n' "$name" "$(echo "$name" | tr . _)" > "$tmp/t.c"
	${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror -I"$top_srcdir/include" -c "$tmp/t.c" -o "$tmp/t.o" ||
		fail "$name does not compile alone as C11"
	if command -v c++ >/dev/null 2>&1; then
		cp "$tmp/t.c" "$tmp/t.cc"
		c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I"$top_srcdir/include" -c "$tmp/t.cc" -o "$tmp/t.o" ||
			fail "$name does not compile as C++"
	fi
	grep -q '^#.*include.*config\.h\|^#.*if.*HAVE_' "$h" && fail "$name mentions config.h or HAVE_*"
done
pass
