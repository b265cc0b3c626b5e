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
# under a lock (as tests/s3/lib.sh does).
if [ -d "$K8S_SRC/node_modules/kubernetes-models" ]; then
	modules="$K8S_SRC/node_modules"
else
	command -v npm >/dev/null 2>&1 || missing "npm is not installed"
	hash=$(sha256sum "$K8S_SRC/package-lock.json" | cut -c1-16)
	cache=${RH_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/rayhist-tests}
	dir="$cache/k8s-$hash"
	mkdir -p "$cache" || fail "cannot create $cache (set RH_TEST_CACHE)"
	lock="$dir.lock"
	n=0
	until mkdir "$lock" 2>/dev/null; do
		find "$lock" -maxdepth 0 -mmin +15 -exec rmdir {} \; 2>/dev/null || true
		n=$((n + 1))
		[ "$n" -lt 600 ] || fail "timed out waiting for $lock"
		sleep 1
	done
	if [ ! -f "$dir/.installed" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$K8S_SRC/package.json" "$K8S_SRC/package-lock.json" "$dir/"
		chmod u+w "$dir/package.json" "$dir/package-lock.json"
		if (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) >"$dir/npm.log" 2>&1; then
			touch "$dir/.installed"
		else
			rmdir "$lock"
			cat "$dir/npm.log" >&2
			fail "npm ci in $dir failed"
		fi
	fi
	rmdir "$lock"
	modules="$dir/node_modules"
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
