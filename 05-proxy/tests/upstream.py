#!/usr/bin/python3
"""upstream.py — the test upstream servers of layer 05-proxy.

Layer 05 (proxy), tests only. Started by tests/helpers.c on the runner's
loopback (127.0.0.1, an ephemeral port); prints "PORT <n>" on stdout once it
listens, then serves until killed.

  upstream.py http NAME           HTTP/1.1 keep-alive server
  upstream.py tls NAME CERT KEY   the same behind TLS; reports the SNI it saw
  upstream.py http-any NAME       the HTTP server on 0.0.0.0 (a host service)

Every response body names the server (NAME) so a test can tell where a
request landed:
  GET  /path          -> "NAME path=/path sni=<sni or ->"
  GET  /headers       -> "NAME headers=<name=value;...>" (what arrived)
  GET  /chunked       -> the same text, sent with Transfer-Encoding: chunked
  GET  /close         -> no Content-Length, connection closed at the end
  GET  /short         -> Content-Length: 100 but 10 bytes, then close (truncation)
  GET  /many1xx       -> 300 "102 Processing" interim heads, then the usual answer
  POST /...           -> "NAME got=<body bytes>" (Content-Length or chunked body)
"""
import http.server
import socketserver
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_tag = "upstream"

    def log_message(self, *args):
        pass

    def _sni(self):
        return getattr(self.connection, "pod_sni", None) or "-"

    def _send(self, body, chunked=False, close=False):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not close:
            self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if chunked:
            half = len(data) // 2
            for part in (data[:half], data[half:]):
                if part:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/short"):  # promises 100 bytes, sends 10, closes
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return
        if self.path.startswith("/many1xx"):  # 300 interim heads before the answer
            self.wfile.write(b"HTTP/1.1 102 Processing\r\n\r\n" * 300)
        text = "%s path=%s sni=%s\n" % (self.server_name_tag, self.path, self._sni())
        if self.path.startswith("/headers"):
            names = sorted("%s=%s" % (k.lower(), v) for k, v in self.headers.items())
            text = "%s headers=%s\n" % (self.server_name_tag, ";".join(names))
        self._send(text, chunked=self.path.startswith("/chunked"),
                   close=self.path.startswith("/close"))

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "123")
        self.end_headers()

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            total = 0
            while True:
                line = self.rfile.readline(100)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return total
                total += len(self.rfile.read(size))
                self.rfile.readline(10)
        n = int(self.headers.get("Content-Length", "0"))
        return len(self.rfile.read(n))

    def do_POST(self):
        got = self._read_body()
        self._send("%s got=%d\n" % (self.server_name_tag, got))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    mode, name = sys.argv[1], sys.argv[2]
    Handler.server_name_tag = name
    # "http-any": on every address of the namespace, like a host service
    srv = Server(("0.0.0.0" if mode == "http-any" else "127.0.0.1", 0), Handler)
    if mode == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])

        def on_sni(sock, server_name, _ctx):
            sock.pod_sni = server_name

        ctx.sni_callback = on_sni
        base_get_request = srv.get_request

        def get_request():
            conn, addr = base_get_request()
            tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            return tls, addr

        srv.get_request = get_request

        # handshake on the handler's thread; the SNI callback tags the socket
        orig_setup = Handler.setup

        def setup(self):
            self.request.do_handshake()
            orig_setup(self)

        Handler.setup = setup
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
