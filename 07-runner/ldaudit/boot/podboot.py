# podboot.py — Python bootstrap of a pod (layer 07-runner, FFI gate for Python).
#
# The runtime module (07-runner/runtime) starts every Python worker as
#     python3 -I /pod/sdk/boot/podboot.py /pod/app/SCRIPT ARGS...
# and this file then
#   1. puts the worker's directory and the Python SDK on sys.path (-I ignores
#      PYTHONPATH, so the runtime's value is applied here);
#   2. when the runner asked for it (POD_FFI_GATE=1), installs an audit hook
#      (PEP 578) on "ctypes.dlopen": the library is resolved to an absolute path
#      the way the loader would find it, and (unless it is the SDK's libring.so
#      or lies in a trusted directory such as lib-dynload/; the interpreter's
#      own libraries are asked about too) the runner is asked over the FFI
#      query socket (POD_FFI_SOCKET) with a 02-ipc QUERY(category "ffi"); a deny
#      raises PermissionError("pod: ffi denied: LIB (rule RULE)") before any
#      native code of the library is loaded. No socket / no answer = deny;
#   3. runs SCRIPT as __main__ with its own argv.
# A pod of a warm pool (07-runner/src/pool.c) gets POD_POOL_FD: after steps 1
# and 2 the bootstrap loads the SDK, says "ready" on that socket and waits for
# the script's name (in /pod/app) and arguments; then step 3.
#
# Audit hooks cannot be removed once installed. The LD_AUDIT library
# (libpodaudit.so) still sees the dlopen() underneath, so a worker that reaches
# the loader without ctypes meets the same policy.
#
# The wire format is 02-ipc's (ipc.h): a 16-byte header
#   "PODI" u8 version=1, u8 type, u16 flags=0, u32 length, u32 seq
# then HELLO (u16 version, u8 lang=4 loader, u8 0, u32 pid) -> READY, and
# QUERY (u32 id, str category, str request) -> VERDICT (u32 id, u8 action, u8 0,
# str rule, str reason), str = u16 length + bytes. Tested against 02-ipc's
# conformance vectors (07-runner/ldaudit/tests).
import os
import runpy
import socket
import struct
import sys

_HELLO, _READY, _ERROR, _QUERY, _VERDICT = 1, 2, 5, 8, 9
_LANG_LOADER = 4
_ACT_ALLOW, _ACT_WARN, _ACT_DENY = 0, 1, 2
_HDR = struct.Struct("<4sBBHII")
_MAX_PAYLOAD = 4080


def encode(mtype, seq, payload):
    """One 02-ipc message: header + payload."""
    return _HDR.pack(b"PODI", 1, mtype, 0, len(payload), seq) + payload


def _s(text):
    b = text.encode("utf-8", "surrogateescape")
    if len(b) > 0xFFFF or b"\0" in b:
        raise ValueError("string not encodable")
    return struct.pack("<H", len(b)) + b


def encode_query(seq, request_id, category, request):
    return encode(_QUERY, seq, struct.pack("<I", request_id) + _s(category) + _s(request))


def encode_hello(seq, pid):
    return encode(_HELLO, seq, struct.pack("<HBBI", 1, _LANG_LOADER, 0, pid))


def decode(buf):
    """(type, seq, payload, consumed) of the first message, or None when incomplete.
    Raises ValueError for anything malformed (the runner is trusted, but a broken
    answer must still end in a deny, never in a wrong allow)."""
    if len(buf) < _HDR.size:
        return None
    magic, ver, mtype, flags, length, seq = _HDR.unpack_from(buf)
    if magic != b"PODI" or ver != 1 or flags != 0 or not 1 <= mtype <= 10:
        raise ValueError("bad header")
    if length > _MAX_PAYLOAD:
        raise ValueError("oversize")
    if len(buf) < _HDR.size + length:
        return None
    return mtype, seq, bytes(buf[_HDR.size:_HDR.size + length]), _HDR.size + length


def _str_at(p, off):
    if off + 2 > len(p):
        raise ValueError("short string")
    (n,) = struct.unpack_from("<H", p, off)
    if off + 2 + n > len(p):
        raise ValueError("string overrun")
    raw = p[off + 2:off + 2 + n]
    if b"\0" in raw:
        raise ValueError("NUL in string")
    return raw.decode("utf-8", "replace"), off + 2 + n


def decode_verdict(p):
    """(request_id, action, rule, reason) of a VERDICT payload."""
    if len(p) < 6:
        raise ValueError("short verdict")
    rid, action, zero = struct.unpack_from("<IBB", p)
    if action > _ACT_DENY or zero != 0:
        raise ValueError("bad verdict")
    rule, off = _str_at(p, 6)
    reason, off = _str_at(p, off)
    if off != len(p):
        raise ValueError("trailing bytes")
    return rid, action, rule, reason


class _Gate:
    """Asks the runner about libraries; one connection per question (fork-safe)."""

    def __init__(self, env):
        self.socket = env.get("POD_FFI_SOCKET") or env.get("POD_QUERY_SOCKET") or ""
        try:
            self.timeout = max(int(env.get("POD_FFI_TIMEOUT_MS", "2000")), 1) / 1000.0
        except ValueError:
            self.timeout = 2.0
        self.quiet = env.get("POD_FFI_QUIET") == "1"
        self.trusted = [t for t in env.get("POD_FFI_TRUSTED", "").split(":") if t.startswith("/")]
        # What an explicit ctypes load may skip asking about: the SDK's own
        # libring.so and whole trusted directories (lib-dynload/). Not the
        # single trusted libraries: those are what the interpreter and its
        # extension modules link (libz, libssl, libcrypto, libffi, ...), trusted
        # at the loader so `import zlib` is silent, but a worker naming one in
        # ctypes.CDLL is doing FFI and the policy decides (an ffi rule about
        # libz.so.1 must hold for Python workers too).
        ring = env.get("POD_RING_LIB", "")
        self.exempt = [t for t in self.trusted if t.endswith("/")] + ([ring] if ring.startswith("/") else [])
        self.libpath = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d.startswith("/")]
        self.decided = {}
        self.next_id = 1

    # -- where the loader would find a name ------------------------------------
    def _cache_lookup(self, name):
        try:
            with open("/etc/ld.so.cache", "rb") as f:
                data = f.read(64 << 20)
        except OSError:
            return None
        if not data.startswith(b"glibc-ld.so.cache1.1") or len(data) < 48:
            return None
        (nlibs,) = struct.unpack_from("<I", data, 20)
        want = name.encode()
        for i in range(min(nlibs, (len(data) - 48) // 24)):
            flags, key, value, _os, hwcap = struct.unpack_from("<iIIIQ", data, 48 + 24 * i)
            if (flags & 0xFF) != 3 or hwcap & (1 << 62) or key >= len(data) or value >= len(data):
                continue
            if data[key:data.index(b"\0", key)] == want:
                path = data[value:data.index(b"\0", value)].decode()
                if os.path.exists(path):
                    return path
        return None

    def resolve(self, name):
        if "/" in name:
            return os.path.normpath(os.path.abspath(name))
        for d in self.libpath:
            p = os.path.join(d, name)
            if os.path.exists(p):
                return os.path.normpath(p)
        p = self._cache_lookup(name)
        if p:
            return p
        import sysconfig
        triplet = sysconfig.get_config_var("MULTIARCH") or ""
        dirs = ["/lib/" + triplet, "/usr/lib/" + triplet] if triplet else []
        for d in dirs + ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]:
            p = os.path.join(d, name)
            if os.path.exists(p):
                return p
        return None

    def is_trusted(self, path, entries=None):
        real = os.path.realpath(path)
        canon = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        for t in self.trusted if entries is None else entries:
            for p in (path, real, canon):
                if (t.endswith("/") and p.startswith(t)) or p == t:
                    return True
        return False

    # -- the question ----------------------------------------------------------
    def _recv(self, sock, buf):
        while True:
            m = decode(buf)
            if m:
                del buf[:m[3]]
                return m
            chunk = sock.recv(8192)
            if not chunk:
                raise ConnectionResetError("runner closed the query socket")
            buf.extend(chunk)

    def ask(self, path):
        """(allowed, rule) from the runner; failures deny."""
        if not self.socket:
            return False, "no-runner: POD_FFI_SOCKET not set"
        rid = self.next_id
        self.next_id += 1
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(self.timeout)
                s.connect(self.socket)
                s.sendall(encode_hello(1, os.getpid()))
                buf = bytearray()
                mtype, _seq, _p, _n = self._recv(s, buf)
                if mtype != _READY:
                    raise ValueError("no READY")
                s.sendall(encode_query(2, rid, "ffi", path))
                mtype, _seq, payload, _n = self._recv(s, buf)
                if mtype != _VERDICT:
                    raise ValueError("no VERDICT")
                got, action, rule, _reason = decode_verdict(payload)
                if got != rid:
                    raise ValueError("VERDICT for another request")
        except (OSError, ValueError) as e:
            return False, "no-answer: %s" % (e.strerror if isinstance(e, OSError) and e.strerror else e)
        return action in (_ACT_ALLOW, _ACT_WARN), rule or "default"

    def check(self, name):
        """Raise PermissionError when the runner denies loading @name."""
        if name is None:
            return  # CDLL(None): the program itself, already loaded
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        path = self.resolve(str(name))
        if path is None or self.is_trusted(path, self.exempt):
            return  # not found: the loader fails on its own (and LD_AUDIT still gates)
        if path not in self.decided:
            # ask with the directory canonical and the file name as searched
            # (what a policy rule names: /usr/lib/.../libz.so.1)
            canon = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            self.decided[path] = self.ask(canon)
        allowed, rule = self.decided[path]
        if not allowed:
            canon = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            msg = "pod: ffi denied: %s (rule %s)" % (canon, rule)
            if not self.quiet:
                sys.stderr.write(msg + "\n")
                sys.stderr.flush()
            raise PermissionError(msg)


def install_gate(env=None):
    """Install the ctypes.dlopen audit hook (cannot be removed afterwards)."""
    gate = _Gate(os.environ if env is None else env)

    def hook(event, args):
        if event == "ctypes.dlopen":
            gate.check(args[0] if args else None)

    sys.addaudithook(hook)
    return gate


def _sdk_path():
    """Put the Python SDK on sys.path (-I ignores PYTHONPATH)."""
    sdk = os.environ.get("PYTHONPATH", "/pod/sdk/python")
    for p in reversed(sdk.split(":")):
        if p and p not in sys.path:
            sys.path.insert(1, p)


def _pool_launch(fd):
    """A pool pod (POD_POOL_FD): load the SDK, say "ready" (one byte) on the
    launch socket, then wait for the runner's launch packet "SCRIPT\\0ARG\\0..."
    (SCRIPT a file name in /pod/app, every field NUL-terminated). The runner
    decided the script against the policy before sending it. An empty packet or
    a closed socket (the pool is torn down): exit 0 without running anything."""
    try:  # what runpy.run_path() imports on its first call, the SDK and its
        # libring.so: loaded while the pod waits (the gate is installed)
        import pkgutil  # noqa: F401
        import pod.worker
        if pod.worker._lib is None:
            pod.worker._lib = pod._ring.load()
    except (ImportError, OSError, AttributeError):
        pass
    s = socket.socket(fileno=fd)
    try:
        s.send(b"R")
        data = s.recv(65536)
    except OSError:
        data = b""
    s.close()
    fields = data.split(b"\0")[:-1] if data.endswith(b"\0") else []
    name = os.fsdecode(fields[0]) if fields else ""
    if not name or "/" in name or name in (".", ".."):
        sys.exit(0)
    # the worker's argv: the script, the runner's --pod-* arguments, its own
    sys.argv[1:2] = ["/pod/app/" + name]
    sys.argv.extend(os.fsdecode(a) for a in fields[1:])


def _main():
    if len(sys.argv) < 2:
        sys.stderr.write("podboot: usage: podboot.py SCRIPT [ARGS...]\n")
        sys.exit(2)
    pool_fd = os.environ.pop("POD_POOL_FD", None)
    if pool_fd is not None:
        _sdk_path()
        if os.environ.get("POD_FFI_GATE") == "1":
            install_gate()
        _pool_launch(int(pool_fd))
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    _sdk_path()
    if pool_fd is None and os.environ.get("POD_FFI_GATE") == "1":
        install_gate()
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    _main()
