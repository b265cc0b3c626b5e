#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of Azurite for tests/cli/az_faults.sh.

Every request is forwarded to the upstream as it came (the Shared Key
signature covers the path and headers, not the host), except that by its
number n (from 1): n % 5 == 1 gets "503 ServerBusy", n % 7 == 3 has its
connection closed without an answer, and n % 11 == 5 gets "500
InternalError". Prints its port on the first line; GET /__stats answers
"requests faults".

    faultproxy.py UPSTREAM_PORT
"""
import http.client
import http.server
import socketserver
import sys
import threading

UPSTREAM = int(sys.argv[1])
lock = threading.Lock()
count = {"requests": 0, "faults": 0}

ERR = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
       '<Message>injected by faultproxy.py\nRequestId:0\nTime:0</Message></Error>')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        if self.path == "/__stats":
            body = f"{count['requests']} {count['faults']}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            count["requests"] += 1
            n = count["requests"]
            fault = n % 5 == 1 or n % 7 == 3 or n % 11 == 5
            if fault:
                count["faults"] += 1
        if n % 7 == 3 and not n % 5 == 1:
            self.close_connection = True
            self.connection.close()
            return
        if fault:
            status, code = (503, "ServerBusy") if n % 5 == 1 else (500, "InternalError")
            data = ERR.format(code=code).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("x-ms-error-code", code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            return
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = f"127.0.0.1:{UPSTREAM}"
        conn.request(self.command, self.path, body=body if length else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        # a HEAD answer's length is the object's, not of its empty body
        self.send_header("Content-Length", resp.getheader("Content-Length", "0")
                         if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
