#!/bin/sh
# The crash test: while a writer grows, rotates and truncates logs and a
# poster sends every aggregator batch (retrying, as Ray does, until it gets
# a 200), the collector is killed with SIGKILL at random moments - 24 times,
# seeded - and started again. At the end every byte of every file and every
# batch must be in the store exactly once: files read back byte for byte,
# each part object holds exactly what the manifest says, no stray parts,
# one object per distinct batch. RH_CRASH_SEED and RH_CRASH_KILLS override.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
# a folder, or the s3:// store of tests/cli/s3_e2e.sh
store=${RH_TEST_STORE:-$tmp/store}
seed=${RH_CRASH_SEED:-7}
kills=${RH_CRASH_KILLS:-24}
$RH_GEN session --out "$tmp/gen" --seed 31 --nodes 1 >/dev/null 2>&1
root=$(ls -d "$tmp"/gen/*-head-*)
session=$(basename "$(readlink -f "$root/session_latest")")
port=$(free_port)
url=http://127.0.0.1:$port/v1/events
run() {
	start_collector "$tmp/collector.$1.log" --store "$store" --cluster crash \
		--ray-root "$root" --flush-interval 0.1 --events-listen "127.0.0.1:$port" -q
}

# Ray's side: logs keep growing, batches keep coming.
$RH_FOLLOW_WRITER "$root" --seed "$seed" --seconds 3600 --interval 0.01 \
	--no-delete --truncated "$tmp/trunc" 2> "$tmp/writer.log" &
writer=$!
(
	for f in "$tmp"/gen/aggregator/*.json; do
		until [ "$(post "$url" "$f")" = 200 ]; do sleep 0.05; done
	done
	echo done > "$tmp/posted"
) &
poster=$!

# Random moments, from the seed: some during start-up, most while shipping.
sleeps=$(${PYTHON:-python3} -c "import random,sys; r=random.Random(int(sys.argv[1])); \
print(' '.join('%.3f' % r.choice([r.uniform(0.01, 0.15), r.uniform(0.15, 1.2)]) for _ in range(int(sys.argv[2]))))" \
	"$seed" "$kills")
i=0
for s in $sleeps; do
	i=$((i + 1))
	run "$i"
	sleep "$s"
	kill -KILL "$cpid"
	wait "$cpid" 2>/dev/null || true
done
[ "$i" -ge 20 ] || fail "only $i kills"

# The last run lives: Ray stops writing, the poster finishes, SIGTERM.
run final
kill "$writer"
wait "$writer" 2>/dev/null || true
n=0
while [ ! -f "$tmp/posted" ]; do
	n=$((n + 1))
	[ "$n" -lt 1200 ] || fail "the poster did not finish"
	sleep 0.05
done
wait "$poster"
sleep 0.5
kill -TERM "$cpid"
wait_exit "$cpid" 30
[ "$status" -eq 0 ] || fail "the last collector exited $status: $(tail -n 5 "$tmp/collector.final.log")"
objects=$(objects_of "$store" "$tmp/objects")
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --objects "$objects" --cluster crash \
	--session-dir "$root/$session" --events "$tmp/gen/aggregator" \
	--truncated "$tmp/trunc"
echo "$i kills (seed $seed); $(cat "$tmp/writer.log")"
pass
