#!/bin/sh
# rayhist-collect --archive: a 3-node session packed by tar (gzip, zstd, xz,
# bzip2, plain pax, from a file and from stdin) and by zip stores, object for
# object, what capturing the same folders directly stores; non-UTF-8 names
# come through byte for byte; every hostile entry is refused with a message
# naming it, nothing is stored, nothing outside is written, and the staging
# folder is gone afterwards. No folder is unpacked: entries are held in
# memory, past --max-memory in unnamed temporary files, with the same result.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
cmp_stores="${PYTHON:-python3} $top_srcdir/tests/cli/store_compare.py"
stage=$tmp/stage
mkdir -p "$stage"
import() { # STORE ARCHIVE [OPTIONS...]
	_st=$1; _ar=$2; shift 2
	"$RH_COLLECT" --store "$_st" --cluster arc -q --staging-dir "$stage" "$@" --archive "$_ar"
}
staging_empty() {
	[ -z "$(ls -A "$stage")" ] || fail "staging left behind: $(ls -A "$stage")"
}

$RH_GEN session --out "$tmp/gen" --seed 11 --nodes 3 >/dev/null 2>&1
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	"$RH_COLLECT" --store "$tmp/direct" --cluster arc -q "$root/session_latest" 2>/dev/null
done

# GNU tar keeps whole seconds, zip two (DOS time; Info-ZIP adds whole
# seconds), pax the nanoseconds: mtimes compare to that precision.
(cd "$tmp/gen" && tar -czf "$tmp/a.tgz" . 2>/dev/null) || true
import "$tmp/s-tgz" "$tmp/a.tgz" 2>/dev/null
$cmp_stores --mtime-precision 1000 "$tmp/s-tgz" "$tmp/direct" || fail "tar.gz import differs from capture"
(cd "$tmp/gen" && zip -qry "$tmp/a.zip" . 2>/dev/null) || true
import "$tmp/s-zip" "$tmp/a.zip" 2>/dev/null
$cmp_stores --mtime-precision 2000 "$tmp/s-zip" "$tmp/direct" || fail "zip import differs from capture"
(cd "$tmp/gen" && tar --format=pax -cf "$tmp/a.tar" . 2>/dev/null) || true
import "$tmp/s-tar" "$tmp/a.tar" 2>/dev/null
$cmp_stores "$tmp/s-tar" "$tmp/direct" || fail "pax tar import differs from capture"
for z in zstd xz bzip2; do
	$z -c < "$tmp/a.tar" | import "$tmp/s-$z" - 2>/dev/null
	$cmp_stores "$tmp/s-$z" "$tmp/direct" || fail "tar.$z from stdin differs from capture"
done
# zip from a pipe (no central directory to seek to)
import "$tmp/s-zippipe" - < "$tmp/a.zip" 2>/dev/null
$cmp_stores --mtime-precision 2000 "$tmp/s-zippipe" "$tmp/direct" || fail "zip from stdin differs"
# 7z (written by libarchive: whole-second mtimes)
"$top_builddir/tests/cli/write_7z" "$tmp/a.7z" "$tmp/gen"
import "$tmp/s-7z" "$tmp/a.7z" 2>/dev/null
$cmp_stores --mtime-precision 1000 "$tmp/s-7z" "$tmp/direct" ||
	fail "7z import differs from capture"
# Nothing is unpacked on disk: the staging folder stays empty while the
# archive is imported (it held the unpacked session before), and below
# --max-memory not a byte goes to a temporary file.
"$RH_COLLECT" --store "$tmp/s-mem" --cluster arc --staging-dir "$stage" \
	--archive "$tmp/a.tar" > "$tmp/mem.out" 2>/dev/null &
pid=$!
seen=
while kill -0 $pid 2>/dev/null; do
	[ -z "$(ls -A "$stage")" ] || seen=$(ls -A "$stage")
done
wait $pid || fail "import into s-mem failed"
[ -z "$seen" ] || fail "written under the staging folder while importing: $seen"
grep -q "node session" "$tmp/mem.out" || fail "no summary: $(cat "$tmp/mem.out")"
! grep -q "temporary files" "$tmp/mem.out" ||
	fail "held on disk below --max-memory: $(cat "$tmp/mem.out")"
$cmp_stores "$tmp/s-mem" "$tmp/direct" || fail "import held in memory differs from capture"
# Past --max-memory the rest is held in unnamed temporary files: the same
# result, and nothing left under the staging folder.
"$RH_COLLECT" --store "$tmp/s-spill" --cluster arc --staging-dir "$stage" \
	--max-memory 65536 --archive "$tmp/a.tar" > "$tmp/spill.out" 2>/dev/null
grep -q "bytes held in temporary files" "$tmp/spill.out" ||
	fail "nothing held on disk past --max-memory: $(cat "$tmp/spill.out")"
$cmp_stores "$tmp/s-spill" "$tmp/direct" || fail "import past --max-memory differs from capture"
staging_empty
# A file is read twice: each node is captured as soon as its last entry is
# read, and let go, so what is held at once is a node, not the archive - a
# bound between the largest node's files and all of them sends nothing to
# a temporary file; from a pipe, read once and held whole, it does.
bytes_of() { find "$@" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
largest=0
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	n=$(bytes_of "$root/session_latest/")
	[ "$n" -le "$largest" ] || largest=$n
done
all=$(bytes_of "$tmp/gen")
bound=$(( (largest + all) / 2 ))
[ "$largest" -lt "$bound" ] && [ "$bound" -lt "$all" ] || fail "nodes too alike: $largest of $all"
"$RH_COLLECT" --store "$tmp/s-node" --cluster arc --staging-dir "$stage" \
	--max-memory "$bound" --archive "$tmp/a.tar" > "$tmp/node.out" 2>/dev/null
! grep -q "temporary files" "$tmp/node.out" ||
	fail "a file held more than one node at once: $(cat "$tmp/node.out")"
$cmp_stores "$tmp/s-node" "$tmp/direct" || fail "import node by node differs from capture"
cat "$tmp/a.tar" | "$RH_COLLECT" --store "$tmp/s-pipe" --cluster arc \
	--staging-dir "$stage" --max-memory "$bound" --archive - > "$tmp/pipe.out" 2>/dev/null
grep -q "bytes held in temporary files" "$tmp/pipe.out" ||
	fail "a pipe past --max-memory held nothing on disk: $(cat "$tmp/pipe.out")"
$cmp_stores "$tmp/s-pipe" "$tmp/direct" || fail "import from a pipe differs from capture"
staging_empty
# one node's session folder alone, as `kubectl cp` gives it
head=$(ls -d "$tmp"/gen/*head*/)
sdir=$(cd "$head/session_latest" && pwd -P)
tar -C "$(dirname "$sdir")" -czf "$tmp/one.tgz" "$(basename "$sdir")" 2>/dev/null || true
import "$tmp/s-one" "$tmp/one.tgz" 2>/dev/null
[ "$("$RH_LS" --store "$tmp/s-one" default/arc/"$(basename "$sdir")" | wc -l)" -eq 1 ] ||
	fail "one node's folder did not import as one node"
staging_empty

# non-UTF-8 and odd names, byte for byte
odd=$tmp/odd
s=$(make_session "$odd")
printf 'latin-1\n' > "$s/logs/caf$(printf '\351').log"
printf 'tab\n' > "$s/logs/a$(printf '\t')b.log"
"$RH_COLLECT" --store "$tmp/odd-direct" --cluster arc -q "$s"
tar -C "$odd" --format=pax -cf "$tmp/odd.tar" "$(basename "$s")"
import "$tmp/odd-import" "$tmp/odd.tar"
$cmp_stores "$tmp/odd-import" "$tmp/odd-direct" || fail "odd names differ"
"$RH_LS" --store "$tmp/odd-import" --cat "default/arc/$(basename "$s")/0f69/logs/caf\\xe9.log" |
	grep -q latin-1 || fail "non-UTF-8 name not readable back"

# a zip whose names are flagged UTF-8 (Python's zipfile, Windows tools)
${PYTHON:-python3} - "$tmp/utf8.zip" "$s" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    base = os.path.basename(sys.argv[2])
    z.write(os.path.join(sys.argv[2], "logs/raylet.out"), base + "/logs/raylet.out")
    z.writestr(base + "/logs/caf\u00e9-utf8.log", b"utf-8 name\n")
PY
import "$tmp/utf8-import" "$tmp/utf8.zip"
"$RH_LS" --store "$tmp/utf8-import" --cat "default/arc/$(basename "$s")/0f69/logs/café-utf8.log" |
	grep -q "utf-8 name" || fail "UTF-8 flagged zip name not stored as UTF-8"

# progress: never in a pipe; on a terminal, yes
import "$tmp/s-prog" "$tmp/a.tgz" 2> "$tmp/prog.err" || true
! grep -q "importing archive" "$tmp/prog.err" || fail "progress printed into a pipe"
script -qec "$RH_COLLECT --store $tmp/s-prog2 --cluster arc --archive $tmp/a.tgz" /dev/null > "$tmp/tty.out" 2>&1 || true
grep -q "importing archive" "$tmp/tty.out" || fail "no progress on a terminal: $(head -c 300 "$tmp/tty.out")"

# hostile entries
outside=$tmp/outside
mkdir -p "$outside"
RH_OUTSIDE=$outside ${PYTHON:-python3} "$top_srcdir/tests/cli/archive_hostile.py" "$tmp/h" > "$tmp/cases"
zstd -q "$tmp/h/bomb.tar" -o "$tmp/h/bomb.tar.zst"
hostile() { # ARCHIVE EXPECTED-MESSAGE [OPTIONS...]
	h=$1; msg=$2; shift 2
	expect_fail 1 import "$tmp/h-store" "$tmp/h/$h" "$@"
	case "$err" in *"$msg"*) ;; *) fail "$h: expected \"$msg\" in: $err" ;; esac
	[ ! -e "$tmp/h-store/default" ] || fail "$h: something was stored"
	[ -z "$(ls -A "$outside")" ] || fail "$h: wrote outside: $(ls -A "$outside")"
	[ ! -e "$tmp/escaped.txt" ] && [ ! -e /tmp/rayhist-escaped.txt ] || fail "$h: escaped"
	staging_empty
}
hostile dotdot.tar '".." refused'
hostile dotdot.zip '".." refused'
hostile absolute.tar 'absolute path refused'
hostile device.tar 'a device refused'
hostile fifo.tar 'a FIFO refused'
hostile duplicate.tar 'given twice; refused'
hostile link_through.tar 'is a link; refused'
hostile hardlink_out.tar 'not a file of its session folder; refused'
hostile huge.tar 'claims 107374182400 bytes'
hostile bomb.tar.zst 'a zip bomb? refused'
hostile bomb.zip 'a zip bomb? refused'
hostile bomb.tar 'unpacks to more than 1048576 bytes' --max-total 1048576
hostile bomb.tar 'claims 209715200 bytes, more than the 1048576' --max-entry 1048576
# a bad entry after whole nodes: refused before any node is stored (a file
# is checked to its end before the nodes are captured as it is read again)
mkfifo "$tmp/fifo"
cp "$tmp/a.tar" "$tmp/h/last_fifo.tar"
tar --append -f "$tmp/h/last_fifo.tar" -C "$tmp" fifo
hostile last_fifo.tar 'a FIFO refused'
# not an archive at all
printf 'hello\n' > "$tmp/h/text.txt"
hostile text.txt 'text.txt'
# a link leaving the session is what capture says of it: skipped, reported,
# and listed in the manifest (the generated session has one)
"$RH_COLLECT" --store "$tmp/s-link" --cluster arc --archive "$tmp/a.tgz" > /dev/null 2> "$tmp/link.err"
grep -q "skipped logs/host_hostname: link points outside the session" "$tmp/link.err" ||
	fail "link leaving the session not reported"
pass
