"""Authentication and namespace grants of rayhist-serve (run by
serve_auth.sh). argv: STORE GEN_DIR TMP TEAM_SESSION."""

import base64
import json
import os
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

from rhserve import Server, check, finish, session_base

STORE, GEN, TMP, TEAM_SESSION = sys.argv[1:5]
with open(os.path.join(GEN, "truth.json")) as f:
    TRUTH = json.load(f)
DEFAULT = session_base(TRUTH)                          # /c/default/rc1/S/
TEAM = "/c/team/t1/%s/" % TEAM_SESSION


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)      # a new inode, as a Secret update
    return path


def basic(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (user, pw)).encode()).decode()}


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def clusters(srv, headers):
    st, h, body = srv.request("/clusters", headers=headers)
    check(st == 200, "/clusters: %d %r" % (st, body[:200]))
    return body.decode()


tokens = write("tokens", "# token namespaces\nall-0123456789 *\nteam-abcdef team\n")
bcrypt_hash = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH))
sha_hash = crypt.crypt("pa55", crypt.mksalt(crypt.METHOD_SHA512))
htpasswd = write("htpasswd", "alice:%s\nbob:%s\nplain:password\n" % (bcrypt_hash, sha_hash))
grants = write("grants", "user:alice team\nuser:bob default,team\n"
               "group:ops *\nuser:carol team\n")

# ---- bearer tokens and htpasswd users ------------------------------------------
with Server(STORE, "--auth-tokens", tokens, "--auth-htpasswd", htpasswd,
            "--auth-grants", grants) as srv:
    st, h, body = srv.request(DEFAULT + "api/jobs/")
    check(st == 401, "no credentials: %d" % st)
    ch = h.get("www-authenticate", "")
    check("Bearer" in ch and "Basic" in ch, "WWW-Authenticate: %r" % ch)
    check(srv.request("/livez")[0] == 200 and srv.request("/readyz")[0] == 200 and
          srv.request("/metrics")[0] == 200, "probes and /metrics need no credentials")
    check(srv.request("/", headers=bearer("wrong"))[0] == 401, "a wrong token")
    check(srv.request("/", headers=bearer("all-012345678"))[0] == 401, "a token's prefix")
    check(srv.request("/", headers=bearer("all-01234567890"))[0] == 401, "a longer token")
    # every namespace
    for _ in range(600):
        st, h, body = srv.request(DEFAULT + "api/jobs/", headers=bearer("all-0123456789"))
        if st != 202:
            break
        time.sleep(0.2)
    check(st == 200, "token *: default session %d" % st)
    c = clusters(srv, bearer("all-0123456789"))
    check("rc1" in c and TEAM_SESSION in c, "token * lists both: %.300s" % c)
    # one namespace
    st, h, body = srv.request(DEFAULT + "api/jobs/", headers=bearer("team-abcdef"))
    check(st == 403 and b"namespace default" in body, "team token on default: %d %r" % (st, body))
    check(srv.request(TEAM + "api/jobs/", headers=bearer("team-abcdef"))[0] in (200, 202),
          "team token on team")
    c = clusters(srv, bearer("team-abcdef"))
    check(TEAM_SESSION in c and "rc1" not in c and TRUTH["session"]["name"] not in c,
          "team token's /clusters: %.300s" % c)
    st, h, body = srv.request("/", headers=bearer("team-abcdef"))
    check(st == 200 and b"rc1" not in body and TEAM_SESSION.encode() in body,
          "team token's picker lists only team")
    # cookies: the root API answers for the session the cookies name
    cookie = {"Cookie": "cluster_namespace=default; cluster_name=rc1; session_name=%s"
              % TRUTH["session"]["name"]}
    st, h, body = srv.request("/api/jobs/", headers=dict(bearer("team-abcdef"), **cookie))
    check(st == 403, "team token with default's cookies: %d" % st)
    st, h, body = srv.request("/enter_cluster/default/rc1/" + TRUTH["session"]["name"],
                              headers=bearer("team-abcdef"))
    check(st == 403, "team token entering default: %d" % st)
    # a kept answer is no way around the check
    for _ in range(2):
        srv.request(DEFAULT + "api/jobs/", headers=bearer("all-0123456789"))
    check(srv.request(DEFAULT + "api/jobs/", headers=bearer("team-abcdef"))[0] == 403,
          "a kept answer went to a caller without the grant")
    # htpasswd: bcrypt and SHA-crypt; wrong password; plain-text entries refused
    check(srv.request(TEAM + "api/jobs/", headers=basic("alice", "s3cret"))[0] in (200, 202),
          "alice (bcrypt) on team")
    check(srv.request(DEFAULT + "api/jobs/", headers=basic("alice", "s3cret"))[0] == 403,
          "alice on default")
    check(srv.request(DEFAULT + "api/jobs/", headers=basic("bob", "pa55"))[0] == 200,
          "bob (SHA-crypt) on default")
    check(srv.request("/", headers=basic("alice", "wrong"))[0] == 401, "alice, wrong password")
    check(srv.request("/", headers=basic("plain", "password"))[0] == 401,
          "a plain-text htpasswd entry was accepted")
    check(srv.request("/", headers=basic("nobody", "x"))[0] == 401, "an unknown user")
    check(srv.request("/", headers={"Authorization": "Basic !!!"})[0] == 401, "bad base64")
    # Spoofed proxy headers without --trusted-proxy mean nothing.
    check(srv.request("/", headers={"X-Forwarded-User": "bob",
                                    "X-Forwarded-Groups": "ops"})[0] == 401,
          "proxy headers accepted from a client")
    # Re-read on change: the team token now reads default too; a new token.
    write("tokens", "team-abcdef team,default\nnew-token-1 team\n")
    time.sleep(1.2)
    check(srv.request(DEFAULT + "api/jobs/", headers=bearer("team-abcdef"))[0] == 200,
          "tokens file not re-read")
    check(srv.request(DEFAULT + "api/jobs/", headers=bearer("all-0123456789"))[0] == 401,
          "a removed token still works")
    check(srv.request(TEAM + "api/jobs/", headers=bearer("new-token-1"))[0] in (200, 202),
          "a new token does not work")

# ---- a trusted proxy --------------------------------------------------------------
with Server(STORE, "--trusted-proxy", "127.0.0.1", "--auth-grants", grants) as srv:
    st, h, body = srv.request(DEFAULT + "api/jobs/")
    check(st == 401, "proxy mode, no headers: %d" % st)
    h1 = {"X-Forwarded-User": "carol"}
    check(srv.request(DEFAULT + "api/jobs/", headers=h1)[0] == 403, "carol on default")
    check(srv.request(TEAM + "api/jobs/", headers=h1)[0] in (200, 202), "carol on team")
    h2 = {"X-Auth-Request-User": "dave", "X-Auth-Request-Groups": "dev,ops"}
    c = clusters(srv, h2)
    check("rc1" in c and TEAM_SESSION in c, "group ops (*) lists both: %.200s" % c)
    check(srv.request(TEAM + "api/jobs/", headers={"X-Forwarded-User": "eve"})[0] == 403,
          "a proxy user without grants")
with Server(STORE, "--trusted-proxy", "10.9.9.9", "--auth-grants", grants) as srv:
    # The client is 127.0.0.1, not the proxy: its headers are spoofed.
    st, h, body = srv.request(TEAM + "api/jobs/", headers={"X-Forwarded-User": "carol",
                                                           "X-Forwarded-Groups": "ops"})
    check(st == 401, "spoofed proxy headers from a non-proxy address: %d" % st)

finish("serve_auth")
