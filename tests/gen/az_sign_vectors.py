#!/usr/bin/env python3
"""Expected Azure Shared Key strings to sign and signatures for
tests/lib/test_store_az_sign.c, computed from the rules of Microsoft's
"Authorize with Shared Key" (Blob service, version 2009-09-19 and later)
with Python's hmac/hashlib/base64, independently of lib/store_az_sign.c.

Run it to print the C vectors that the test holds:
    python3 tests/gen/az_sign_vectors.py
"""
import base64
import hashlib
import hmac
import urllib.parse

KEY = base64.b64encode(bytes(range(64))).decode()  # a made-up account key


def string_to_sign(method, url, account, headers):
    """headers: dict of request headers as sent (any case)."""
    h = {k.lower(): v for k, v in headers.items()}

    def std(name):
        v = h.get(name, "")
        if name == "content-length" and v == "0":
            return ""  # version 2015-02-21 and later
        return v

    parts = [method] + [std(n) for n in (
        "content-encoding", "content-language", "content-length",
        "content-md5", "content-type", "date", "if-modified-since",
        "if-match", "if-none-match", "if-unmodified-since", "range")]
    out = "\n".join(parts) + "\n"
    ms = sorted((k, v.strip()) for k, v in h.items() if k.startswith("x-ms-"))
    out += "".join(f"{k}:{v}\n" for k, v in ms)
    u = urllib.parse.urlsplit(url)
    out += f"/{account}{u.path or '/'}"
    q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    for k, v in sorted((k.lower(), v) for k, v in q):
        out += f"\n{k}:{v}"
    return out


def sign(sts):
    mac = hmac.new(base64.b64decode(KEY), sts.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


VECTORS = [
    ("get_range", "GET", "http://127.0.0.1:10000/devstoreaccount1/box/p/k%20x",
     "devstoreaccount1",
     {"x-ms-date": "Mon, 07 Dec 2026 16:00:00 GMT", "x-ms-version": "2021-12-02",
      "Range": "bytes=5-104"}),
    ("put_block", "PUT",
     "https://acct.blob.core.windows.net/box/a/b?comp=block&blockid=cmF5aGlzdC1ibG9jay0wMDAwMDE%3D",
     "acct",
     {"X-MS-Version": "2021-12-02", "x-ms-date": "Tue, 01 Jan 2030 00:00:00 GMT",
      "Content-Length": "5", "Content-Type": "application/octet-stream"}),
    ("list", "GET",
     "https://acct.blob.core.windows.net/box?restype=container&comp=list&maxresults=3&prefix=a%2Fb%20c&delimiter=%2F&marker=2%21abc",
     "acct",
     {"x-ms-version": "2021-12-02", "x-ms-date": "Tue, 01 Jan 2030 00:00:00 GMT"}),
    ("put_empty", "PUT", "https://acct.blob.core.windows.net/box/e",
     "acct",
     {"x-ms-date": "Tue, 01 Jan 2030 00:00:00 GMT", "x-ms-version": "2021-12-02",
      "x-ms-blob-type": "BlockBlob", "Content-Length": "0",
      "Content-Type": "application/octet-stream"}),
]


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", '\\n"\n\t\t"') + '"'


if __name__ == "__main__":
    print(f"/* key: {KEY} */")
    for name, method, url, account, headers in VECTORS:
        sts = string_to_sign(method, url, account, headers)
        print(f"/* {name} */")
        print("\t" + c_string(sts) + ",")
        print(f'\t"SharedKey {account}:{sign(sts)}",')
    print("/* HMAC-SHA256, RFC 4231 test case 2 */")
    print('\t"' + hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() + '"')
    long_key = bytes([0xaa]) * 131
    print("/* HMAC-SHA256, key longer than a block */")
    print('\t"' + hmac.new(long_key, b"Test Using Larger Than Block-Size Key - Hash Key First", hashlib.sha256).hexdigest() + '"')
