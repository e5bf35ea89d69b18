#!/usr/bin/python3
"""ws.py — a small RFC 6455 WebSocket server and client (standard library only).

Layer 05 (proxy), tests and benchmark. The server runs on the runner's
loopback; the client runs inside the pod (or directly, for the benchmark's
baseline).

  ws.py server                  echo server on 127.0.0.1, prints "PORT <n>"
  ws.py client URL [opts]       connect, send messages, check the echoes
        --proxy HOST:PORT       through an explicit HTTP proxy (absolute-form
                                GET with Upgrade, as RFC 6455 section 4.1 allows)
        --count N --size S      N messages of S bytes (default 3 x 32)
        --rtt                   print "RTT_US <mean microseconds>" (one message in
                                flight at a time)

The client prints "WS OK <n>" when every echo matched, "WS STATUS <code>" when
the upgrade was refused, and exits non-zero on any failure.
"""
import base64
import hashlib
import os
import socket
import socketserver
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("closed before the head ended")
        data += chunk
        if len(data) > 65536:
            raise ValueError("head too long")
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        fields[k.strip().lower()] = v.strip()
    return lines[0], fields, rest


class Conn:
    def __init__(self, sock, rest=b"", mask=False):
        self.sock, self.buf, self.mask = sock, rest, mask

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed in a frame")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, opcode, payload):
        b0 = 0x80 | opcode
        n = len(payload)
        mbit = 0x80 if self.mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", b0, mbit | 127, n)
        if self.mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def recv(self):
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._need(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._need(8))
        key = self._need(4) if b1 & 0x80 else None
        data = self._need(n)
        if key:
            data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
        return b0 & 0x0F, data


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            line, fields, rest = read_head(sock)
            key = fields.get(b"sec-websocket-key")
            if b"websocket" not in fields.get(b"upgrade", b"").lower() or not key:
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_key(key) +
                         b"\r\nX-Path: " + line.split(b" ")[1] + b"\r\n\r\n")
            c = Conn(sock, rest)
            while True:
                op, data = c.recv()
                if op == 8:
                    c.send(8, data[:2])
                    return
                if op == 9:
                    c.send(10, data)
                elif op in (1, 2):
                    c.send(op, data)
        except (EOFError, ConnectionError, ValueError):
            return


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def client(url, proxy=None, count=3, size=32, rtt=False):
    assert url.startswith("ws://")
    hostport, _, path = url[5:].partition("/")
    path = "/" + path
    host, _, port = hostport.partition(":")
    port = int(port or 80)
    if proxy:
        phost, _, pport = proxy.partition(":")
        sock = socket.create_connection((phost, int(pport)), timeout=10)
        target = "http://%s%s" % (hostport, path)
    else:
        sock = socket.create_connection((host, port), timeout=10)
        target = path
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                 % (target.encode(), hostport.encode(), key))
    line, fields, rest = read_head(sock)
    status = int(line.split(b" ")[1])
    if status != 101:
        print("WS STATUS %d" % status)
        return 2
    if fields.get(b"sec-websocket-accept") != accept_key(key):
        print("WS BAD ACCEPT")
        return 3
    c = Conn(sock, rest, mask=True)
    t0 = time.monotonic()
    for i in range(count):
        msg = (b"%d:" % i) + b"x" * max(0, size - 8)
        c.send(2, msg)
        op, data = c.recv()
        if op != 2 or data != msg:
            print("WS MISMATCH at %d" % i)
            return 4
    elapsed = time.monotonic() - t0
    c.send(8, struct.pack("!H", 1000))
    op, _ = c.recv()
    sock.close()
    print("WS OK %d path=%s" % (count, fields.get(b"x-path", b"?").decode()))
    if rtt:
        print("RTT_US %.1f" % (elapsed / count * 1e6))
    return 0 if op == 8 else 5


def main():
    if sys.argv[1] == "server":
        srv = Server(("127.0.0.1", 0), Handler)
        print("PORT %d" % srv.server_address[1], flush=True)
        srv.serve_forever()
    args = sys.argv[3:]
    opt = {"proxy": None, "count": 3, "size": 32, "rtt": False}
    while args:
        a = args.pop(0)
        if a == "--rtt":
            opt["rtt"] = True
        else:
            v = args.pop(0)
            opt[a[2:]] = v if a == "--proxy" else int(v)
    sys.exit(client(sys.argv[2], **opt))


if __name__ == "__main__":
    main()
