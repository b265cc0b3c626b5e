"""/api/jobs/ID/logs streamed (tests/cli/serve_joblogs.sh): argv store,
generator folder, the enlarged driver log."""
import json
import os
import re
import sys

from rhserve import Server, check, finish, session_base

store, gendir, log = sys.argv[1:4]
truth = json.load(open(os.path.join(gendir, "truth.json")))
BASE = session_base(truth)
sid = re.match(r"job-driver-(.*)\.log$", os.path.basename(log)).group(1)
text = open(log, encoding="utf-8").read()

with Server(store) as srv:
    srv.wait_ready(BASE)
    st, h, body = srv.request(BASE + "api/jobs/%s/logs" % sid)
    check(st == 200, "status %d: %r" % (st, body[:200]))
    check(h.get("transfer-encoding") == "chunked" and "content-length" not in h,
          "not streamed: %r" % h)
    check(h.get("content-type", "").startswith("application/json"),
          "content type %r" % h.get("content-type"))
    try:
        doc = json.loads(body)
    except ValueError as e:
        doc = None
        check(False, "not JSON: %s" % e)
    got = doc.get("logs") if isinstance(doc, dict) else None
    check(isinstance(got, str) and len(got) == len(text),
          "logs length %r, want %d" % (len(got) if got else None, len(text)))
    if got != text:
        at = next((i for i, (a, b) in enumerate(zip(got or "", text)) if a != b), None)
        check(False, "logs differ at char %r" % at)
    print("job logs: %d bytes of log sent as %d bytes of JSON" %
          (len(text.encode()), len(body)))
finish("serve_joblogs")
