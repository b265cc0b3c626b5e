#!/bin/sh
# Headless Chromium against rayhist-serve: the picker page lists the stored
# session; entering it (the picker's form target, /enter_cluster/...) lands
# first on the "preparing" page or the dashboard, then on the dashboard,
# whose script - a stand-in for Ray's client that issues the same requests
# relative to the page URL - shows the session's nodes, jobs, tasks, actors,
# cluster status and a log; without a build, the built-in page shows the
# session's counts and links. Chromium missing fails the test (CI installs
# it); RH_ALLOW_SKIP=1 turns that into a skip for local runs.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
CHROME=""
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null 2>&1 && { CHROME=$c; break; }
done
if [ -z "$CHROME" ]; then
	if [ "${RH_ALLOW_SKIP:-}" = 1 ]; then
		echo "SKIP: no chromium (apt-get install chromium)"
		exit 77
	fi
	fail "chromium is not installed (scripts/deps installs it for the tests)"
fi
tmp=$(mktemp -d)
cleanup_add "$tmp"
make_served_store "$tmp"
session=$(basename "$(readlink -f "$tmp"/gen/*head*/session_latest)")

# A stand-in dashboard build: like Ray's client, it requests every API path
# relative to the page URL and renders what it gets.
mkdir -p "$tmp/dash/2.52.0/static/js"
cat > "$tmp/dash/2.52.0/index.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ray Dashboard</title>
<script defer src="./static/js/main.js"></script></head>
<body><div id="root"><h1>stand-in dashboard</h1><div id="out"></div></div></body></html>
HTML
cat > "$tmp/dash/2.52.0/static/js/main.js" <<'JS'
(function () {
  var out = document.getElementById("out");
  function get(url) {
    return fetch(url.replace(/^\//, "")).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.text();
    });
  }
  function line(id, text) {
    var p = document.createElement("p");
    p.id = id;
    p.textContent = text;
    out.appendChild(p);
  }
  Promise.all([get("nodes?view=summary"), get("api/jobs/"),
               get("api/v0/tasks?detail=1&limit=10000"), get("logical/actors"),
               get("api/cluster_status?format=1"), get("timezone"),
               get("api/grafana_health"), get("api/prometheus_health")])
    .then(function (r) {
      var nodes = JSON.parse(r[0]).data.summary, head = null;
      nodes.forEach(function (n) {
        line("node-" + n.raylet.nodeId, "node " + n.raylet.nodeId + " " + n.raylet.state + " " + n.ip);
        if (n.raylet.isHeadNode) head = n;
      });
      JSON.parse(r[1]).forEach(function (j) {
        line("job-" + j.job_id, "job " + j.job_id + " " + j.status);
      });
      line("tasks", "tasks " + JSON.parse(r[2]).data.result.total);
      Object.keys(JSON.parse(r[3]).data.actors).forEach(function (id) {
        line("actor-" + id, "actor " + id);
      });
      line("status", JSON.parse(r[4]).data.clusterStatus.indexOf("Node status") >= 0 ? "status ok" : "status bad");
      return get("api/v0/logs/file?node_id=" + head.raylet.nodeId +
                 "&filename=raylet.out&lines=50000&filter_ansi_code=true");
    })
    .then(function (t) {
      // Ray 2.45+ clients send no format and show the body as it is
      if (t[0] !== "[") throw new Error("log does not start with its first line: " + t.substring(0, 40));
      line("log", "log " + t.split("\n")[0]);
      document.title = "loaded";
    })
    .catch(function (e) { line("error", "error: " + e); document.title = "error"; });
})();
JS

start_server() {	# start_server NAME ARGS...: sets $port and $pid
	name=$1; shift
	"$RH_SERVE" --store "$tmp/store" --listen 127.0.0.1:0 -q "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	i=0
	while ! grep -q 'http://' "$tmp/$name.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "rayhist-serve did not start: $(cat "$tmp/$name.err")"
		sleep 0.1
	done
	port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/$name.out")
}
stop_server() {
	kill "$1"
	wait "$1" || fail "rayhist-serve exited $? on SIGTERM"
}
dom() {		# dom NAME URL: the page's DOM after its scripts ran
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$tmp/chrome-$1" --virtual-time-budget=20000 \
		--dump-dom "$2" >"$tmp/$1.html" 2>>"$tmp/chrome.log" ||
		fail "chromium failed on $2: $(tail -n 5 "$tmp/chrome.log")"
}
has() {		# has NAME TEXT
	grep -q -- "$2" "$tmp/$1.html" || fail "$1: the page lacks \"$2\": $(head -c 1500 "$tmp/$1.html")"
}

warm() {	# wait until the session of the server at $port is ready
	$PY - "$port" "$session" <<'PY'
import sys, time, urllib.request
port, session = sys.argv[1], sys.argv[2]
url = "http://127.0.0.1:%s/c/default/rc1/%s/api/jobs/" % (port, session)
for _ in range(600):
    if urllib.request.urlopen(url).status == 200:
        sys.exit(0)
    time.sleep(0.2)
sys.exit("session still preparing")
PY
}

start_server with-build --dashboard-dir "$tmp/dash"
base="http://127.0.0.1:$port"
trap 'kill $pid 2>/dev/null; _on_exit' EXIT

# The picker lists the session with a way to enter it.
dom picker "$base/"
has picker "$session"
has picker "action=\"/enter_cluster/default/rc1/$session\""
has picker "<td>rc1</td>"

# Entering a session nobody opened yet: preparing, or already the dashboard.
dom enter1 "$base/enter_cluster/default/rc1/$session"
grep -q 'Preparing session\|stand-in dashboard' "$tmp/enter1.html" ||
	fail "entering showed neither the preparing page nor the dashboard: $(head -c 800 "$tmp/enter1.html")"
warm

# Entered again: the dashboard's script got every answer and rendered them.
dom enter2 "$base/enter_cluster/default/rc1/$session"
has enter2 "<title>loaded</title>"
$PY - "$tmp/gen/truth.json" "$tmp/enter2.html" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
page = open(sys.argv[2]).read()
bad = []
for n in truth["state"]["nodes"]:
    if "node %s %s %s" % (n["node_id"], n["state"], n["node_ip"]) not in page:
        bad.append("node " + n["node_id"])
for j in truth["state"]["jobs"]:
    if 'id="job-%s"' % j["job_id"] not in page:
        bad.append("job " + j["job_id"])
for a in truth["state"]["actors"]:
    if 'id="actor-%s"' % a["actor_id"] not in page:
        bad.append("actor " + a["actor_id"])
if "tasks %d" % len(truth["state"]["tasks"]) not in page:
    bad.append("task count")
for s in ("status ok", "log [", "(raylet)"):
    if s not in page:
        bad.append(s)
if bad:
    sys.exit("the dashboard page lacks: %s\n%s" % (", ".join(bad), page[:2000]))
PY
stop_server "$pid"

# Without a dashboard build: the built-in page with counts and links.
start_server no-build
base="http://127.0.0.1:$port"
warm
counts=$($PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["state"]; print("%d nodes, %d jobs, %d tasks" % (len(t["nodes"]), len(t["jobs"]), len(t["tasks"])))' "$tmp/gen/truth.json")
dom builtin "$base/c/default/rc1/$session/"
has builtin "No Ray"
has builtin "dashboard-dir"
has builtin "$counts"
has builtin "api/v0/tasks?detail=1"
has builtin "filename=raylet.out"
dom picker2 "$base/"
has picker2 "id=\"no-build\""
stop_server "$pid"
trap _on_exit EXIT
pass
