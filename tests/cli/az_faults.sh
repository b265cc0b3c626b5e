#!/bin/sh
# Retries on az://: with a proxy in front of Azurite that answers every
# fifth request 503 ServerBusy, every eleventh 500 InternalError and drops
# every seventh connection unanswered (tests/az/faultproxy.py), the store
# contract still gives the file:// transcript; with one attempt allowed the
# first fault is reported, naming the attempts setting.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/az/lib.sh"
az_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
check="$top_builddir/tests/s3/store_check"
"$check" "$tmp/folder" | grep -v ' h/' > "$tmp/want"
az_start
python3 "$AZ_SRC/faultproxy.py" "$AZ_PORT" > "$tmp/proxy.port" 2> "$tmp/proxy.err" &
_az_pids="$_az_pids $!"
n=0
while [ ! -s "$tmp/proxy.port" ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the fault proxy did not start: $(cat "$tmp/proxy.err")"
	sleep 0.1
done
pport=$(head -n 1 "$tmp/proxy.port")
RAYHIST_AZ_ENDPOINT="http://127.0.0.1:$pport/$AZ_ACCOUNT" RAYHIST_AZ_BLOCK_THRESHOLD=1MiB \
	RAYHIST_AZ_BLOCK_SIZE=256KiB RAYHIST_AZ_LIST_MAX_RESULTS=4 RAYHIST_AZ_TIMEOUT=5s \
	"$check" az://rayhist/faults > "$tmp/az.txt" 2> "$tmp/az.err" || { cat "$tmp/az.err"; fail "store_check through faults"; }
grep -v ' h/\|^put h/' "$tmp/az.txt" > "$tmp/got"
diff -u "$tmp/want" "$tmp/got" ||
	{ cat "$tmp/az.err"; fail "az:// through faults behaves unlike file://"; }
read -r reqs faults <<STATS
$(curl -sf "http://127.0.0.1:$pport/__stats")
STATS
[ "$faults" -ge 100 ] || fail "only $faults faults of $reqs requests were injected"
echo "$reqs requests through the proxy, $faults faults, all retried"
# one attempt: the first fault is the answer
if RAYHIST_AZ_ENDPOINT="http://127.0.0.1:$pport/$AZ_ACCOUNT" RAYHIST_AZ_MAX_ATTEMPTS=1 \
	"$RH_LS" --store az://rayhist/faults k > "$tmp/out" 2> "$tmp/err" &&
	RAYHIST_AZ_ENDPOINT="http://127.0.0.1:$pport/$AZ_ACCOUNT" RAYHIST_AZ_MAX_ATTEMPTS=1 \
	"$RH_LS" --store az://rayhist/faults k >> "$tmp/out" 2>> "$tmp/err" &&
	RAYHIST_AZ_ENDPOINT="http://127.0.0.1:$pport/$AZ_ACCOUNT" RAYHIST_AZ_MAX_ATTEMPTS=1 \
	"$RH_LS" --store az://rayhist/faults k >> "$tmp/out" 2>> "$tmp/err"; then
	fail "three listings with one attempt each all missed the faults"
fi
grep -qE "gave up after 1 attempts \(max_attempts\): (HTTP 50|50[03] |.*[Ee]mpty reply|.*Connection)" "$tmp/err" ||
	{ cat "$tmp/err"; fail "no 'gave up' message"; }
pass
