#!/bin/sh
# Every manifest of examples/kubernetes is valid, checked offline (no
# cluster here) by tests/k8s/validate.mjs: built-in kinds against the
# Kubernetes OpenAPI schemas (npm kubernetes-models, installed from the
# committed tests/k8s/package-lock.json); RayCluster/RayJob by a small
# schema of our own (apiVersion, kind, the fields KubeRay's CRD requires)
# with their pod templates checked as Kubernetes PodTemplateSpecs. Broken
# copies must be refused, so the check can fail.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
K8S_SRC="$top_srcdir/tests/k8s"
missing() {
	[ -z "${CI:-}" ] || fail "$1 (CI must have it)"
	echo "SKIP: $1" >&2
	exit 77
}
command -v node >/dev/null 2>&1 || missing "node is not installed"
# The npm packages: in the source tree when someone ran `npm ci` there,
# else in a cache folder named by the lock file's hash, installed once
# under a lock (npm_modules, tests/cli/lib.sh).
if [ -d "$K8S_SRC/node_modules/kubernetes-models" ]; then
	modules="$K8S_SRC/node_modules"
else
	npm_modules "$K8S_SRC" k8s || missing "npm is not installed"
	modules=$NPM_MODULES
fi
validate() { node "$K8S_SRC/validate.mjs" "$modules" "$@"; }

tmp=$(mktemp -d)
cleanup_add "$tmp"
ex="$top_srcdir/examples/kubernetes"
validate "$ex"/*.yaml > "$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "examples/kubernetes is invalid"; }
cat "$tmp/out"
# every document was checked, and every kind the examples use
docs=$(cat "$ex"/*.yaml | grep -c '^kind:')
[ "$(grep -c '^ok ' "$tmp/out")" -eq "$docs" ] || fail "not all $docs documents checked"
for k in "apps/v1 Deployment" "v1 Service" "v1 ConfigMap" "v1 Secret" "batch/v1 CronJob" \
	"ray.io/v1 RayCluster" "ray.io/v1 RayJob"; do
	grep -q ": $k " "$tmp/out" || fail "no $k checked"
done

# broken copies are refused, each for its reason
refuse() { # WHAT FILE SED-SCRIPT MESSAGE
	sed "$3" "$ex/$2" > "$tmp/bad.yaml"
	! cmp -s "$tmp/bad.yaml" "$ex/$2" || fail "$1: the edit did not apply"
	if validate "$tmp/bad.yaml" > "$tmp/badout" 2>&1; then
		fail "$1: accepted"
	fi
	grep -q "$4" "$tmp/badout" || fail "$1: $(cat "$tmp/badout")"
}
refuse "replicas not an integer" history-server.yaml 's/replicas: 2/replicas: two/' "replicas must be integer"
refuse "container without a name" history-server.yaml 's/- name: rayhist-serve/- tty: true/' "required property 'name'\|required property name"
refuse "Service port as text" history-server.yaml '68s/port: 8080/port: [8080]/' "port must be integer"
refuse "unknown kind" configmap.yaml 's/^kind: ConfigMap/kind: ConfigMapp/' "no schema for v1 ConfigMapp"
refuse "RayCluster without head" raycluster.yaml 's/headGroupSpec:/headGroupSpecs:/' "headGroupSpec is required"
refuse "sidecar restartPolicy" raycluster.yaml 's/restartPolicy: Always/restartPolicy: [Always]/' "initContainers/0/restartPolicy type {\"type\":\"string\"}"
refuse "RayJob without cluster" rayjob.yaml 's/rayClusterSpec:/rayClusterSpecs:/' "rayClusterSpec or spec.clusterSelector is required"
pass
