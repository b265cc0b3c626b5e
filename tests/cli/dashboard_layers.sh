#!/bin/sh
# The dashboard's files call and include only downwards: no circle among
# them, the reply layer calls nothing above it (tests/cli/dashboard_layers.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
command -v nm >/dev/null 2>&1 || fail "nm (binutils) is needed"
${PYTHON:-python3} "$top_srcdir/tests/cli/dashboard_layers.py" "$top_srcdir" "$top_builddir" ||
	fail "the dashboard's layers point up (above)"
pass
