"""The "preparing" answer of a session being indexed shows the build's
progress, in the JSON msg and in the HTML page (run by serve_preparing.sh).
argv: STORE GEN_DIR.

RAYHIST_TEST_INDEX_DELAY_MS makes the server pause after each event object
its index build reads, with the progress of that object already published,
so the answers polled meanwhile must show it; no timing is asserted: the
test polls until the session is ready and checks every preparing answer.
"""

import json
import os
import re
import sys
import time

from rhserve import Server, check, finish, session_base

STORE, GEN = sys.argv[1:3]
with open(os.path.join(GEN, "truth.json")) as f:
    BASE = session_base(json.load(f))
PROGRESS = re.compile(r"(\d+\.\d) of (\d+\.\d) MiB read, (\d+) of (\d+) files, "
                      r"\d+\.\d MiB/s")

os.environ["RAYHIST_TEST_INDEX_DELAY_MS"] = "20"
with Server(STORE) as srv:
    deadline = time.time() + 300
    seen, html_seen, answers = [], False, 0
    while time.time() < deadline:
        st, hdrs, body = srv.request(BASE + "api/jobs/")
        if st != 202:
            check(st == 200, "api/jobs/ after preparing: %d %.200r" % (st, body))
            break
        answers += 1
        msg = json.loads(body)["msg"]
        check(msg.startswith("preparing session "), "msg: %r" % msg)
        m = PROGRESS.search(msg)
        if m:
            mib_done, mib_total = float(m.group(1)), float(m.group(2))
            done, total = int(m.group(3)), int(m.group(4))
            check(1 <= done <= total, "files done/total: %r" % msg)
            check(mib_done <= mib_total, "MiB done/total: %r" % msg)
            check(done == total or "s left" in msg, "no time left shown: %r" % msg)
            seen.append(done)
            # the page a browser gets shows the same
            st2, h2, page = srv.request(BASE, headers={"Accept": "text/html"})
            if st2 == 202:
                check(h2.get("content-type", "").startswith("text/html"),
                      "preparing page type: %r" % h2.get("content-type"))
                html_seen = html_seen or bool(PROGRESS.search(page.decode()))
        time.sleep(0.05)
    else:
        check(False, "session still preparing after 300 s")
    check(answers > 0, "no preparing answer at all")
    check(len(seen) > 0, "no preparing answer showed the build's progress")
    check(seen == sorted(seen), "progress went backwards: %r" % seen)
    check(html_seen, "the preparing page never showed the build's progress")
    print("preparing answers: %d, %d showing progress, up to %d files" % (answers, len(seen), max(seen or [0])))
finish("serve_preparing")
