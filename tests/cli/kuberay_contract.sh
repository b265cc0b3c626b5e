#!/bin/sh
# KubeRay's contract: the dead-cluster assertions of KubeRay's own e2e test
# of its history server, against rayhist-serve through KubeRay's cookie flow
# and the /c/NS/CLUSTER/SESSION/ prefix (tests/cli/kuberay_contract.py;
# docs/kuberay-contract.md lists where Ray answers otherwise).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/kuberay_contract.py" "$served_store" "$tmp/gen"
