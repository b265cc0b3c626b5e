"""rayhist/search and rayhist/logline (see serve_search.sh)."""
import html
import json
import os
import subprocess
import sys
import urllib.parse

from rhserve import Server, check, finish, session_base

store, gen, ls = sys.argv[1:4]
truth = json.load(open(os.path.join(gen, "truth.json")))
base = session_base(truth)
S = "default/rc1/" + truth["session"]["name"]


def cli(*args):
    r = subprocess.run([ls, "--store", store, "--json"] + list(args) + [S],
                       stdout=subprocess.PIPE, check=False)
    return json.loads(r.stdout)


def unmap(s):
    """The JSON writer's U+EF80..U+EFFF back to the bytes 0x80..0xff."""
    return b"".join(bytes([ord(c) - 0xEF00]) if 0xEF80 <= ord(c) <= 0xEFFF
                    else c.encode() for c in s)


with Server(store) as srv:
    srv.wait_ready(base)
    cases = [("needle", "mode=fixed", ["-F"]),
             ("caf\xe9", "mode=fixed", ["-F"]),
             ("x[0-9]+y", "mode=extended", ["-E"]),
             ("error", "mode=fixed&i=1", ["-F", "-i"]),
             ("LONGNEEDLE_(MID|AFTER)", "mode=extended&context=1", ["-E", "-C", "1"])]
    for q, params, flags in cases:
        qb = q.encode("latin-1")
        target = "%srayhist/search?q=%s&%s&max=100000" % (
            base, urllib.parse.quote_from_bytes(qb), params)
        st, hdrs, body = srv.get(target)
        check(st == 200, "%s: status %d %.200r" % (target, st, body))
        data = json.loads(body.decode("utf-8"))["data"]   # strict UTF-8
        want = cli("--grep", qb, *flags)
        got = [(x["node"], x["file"], x["line"], x["match"], unmap(x["text"]))
               for x in data["lines"]]
        exp = [(x["node"], x["file"], x["line"], x["match"], unmap(x["text"]))
               for x in want]
        check(got == exp and exp, "%r: %d lines vs rayhist-ls %d" % (q, len(got), len(exp)))
        check(data["matches"] == sum(1 for x in want if x["match"]),
              "%r: matches %r" % (q, data["matches"]))
        check(data["truncated"] is False, "%r: truncated" % q)
    # links: Ray's viewer for files under logs/, and the line page
    st, hdrs, body = srv.get(base + "rayhist/search?q=needle&mode=fixed&max=3")
    data = json.loads(body)["data"]
    check(len(data["lines"]) == 3 and data["truncated"] is True, "max=3: %r" % data)
    for x in data["lines"]:
        want = "%s#/logs/viewer?nodeId=%s&fileName=%s" % (
            base, x["node"], urllib.parse.quote(x["file"][5:], safe=""))
        check(x["viewer"] == want, "viewer %r, want %r" % (x["viewer"], want))
        check(x["log"].startswith(base + "rayhist/logline?"), "log link %r" % x["log"])
        st, hdrs, page = srv.get(x["log"].split("#")[0])
        check(st == 200 and hdrs.get("content-type", "").startswith("text/html"),
              "%s: %d" % (x["log"], st))
        page = page.decode("utf-8")
        tag = '<span id="L%d" class="hit">' % x["line"]
        check(tag in page, "%s: no %s" % (x["log"], tag))
        row = page[page.index(tag):].split("</span>")[0]
        # the page shows a NUL as a space (it would end the text)
        check(x["text"].replace("\0", " ") in html.unescape(row),
              "line text not on the page: %r" % row[:200])
        check(x["log"].endswith("#L%d" % x["line"]), "anchor %r" % x["log"])
    # bad requests
    for t, code in (("rayhist/search", 400), ("rayhist/search?q=a%5B", 400),
                    ("rayhist/search?q=x&mode=perl", 400),
                    ("rayhist/search?q=x&node=ffff", 404),
                    ("rayhist/logline?node=x", 400)):
        st, hdrs, body = srv.get(base + t)
        check(st == code, "%s: %d, want %d %.200r" % (t, st, code, body))
        json.loads(body)
finish("serve_search")
