# upstream.py — the demo's upstream HTTP server (example/, see README.md).
#
#     python3 upstream.py PORT_FILE
# Serves "hello from upstream <path>" on 127.0.0.1 at a free port chosen by the
# kernel, writes the port number to PORT_FILE once listening, and runs until
# killed. Only loopback: the pods reach it through the runner's proxy.
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from upstream %s\n" % self.path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # quiet: the runner's audit log records the requests


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, sys.argv[1])  # atomic: the reader never sees a partial number
    server.serve_forever()


if __name__ == "__main__":
    main()
