"""pod.worker — the Python worker SDK: the pod's end of a 02-ipc session.

Layer 02-ipc. Builds on 01-ring (libring.so via pod._ring) and pod.codec. Used
by Python workers that 07-runner starts as

    python3 worker.py --pod-socket=PATH --pod-shm-fd=N [program args...]

The behaviour mirrors the C SDK (src/worker.c): the control socket is a
non-blocking SOCK_STREAM Unix socket; frames go through the shared rings; the
SDK sleeps in poll() only after announcing it (ring_prepare_wait) and
re-checking the ring; doorbells (DATA) are sent only when the runner said it
sleeps; while frames flow the socket is looked at once per quarter ring.
Every wait ends on a message, the runner closing the socket, or a timeout.
"""
import ctypes
import errno
import itertools
import mmap
import os
import select
import socket
import sys
import time

from . import _ring
from . import codec as C

_lib = None

OUT_MAX = 64 * 1024
MAX_BATCH = 256


class PodError(Exception):
    """Base of every SDK error; .errno is the matching negative-errno name's value."""

    def __init__(self, message, err=errno.EIO):
        super().__init__(message)
        self.errno = err


class RunnerGone(PodError):
    """The runner closed or reset the control socket (it exited or was killed)."""


class ProtocolError(PodError):
    """The runner sent something malformed or out of order, or the ring is corrupt."""


class RunnerRefused(PodError):
    """The runner answered with ERROR (e.g. at the handshake)."""


class Stopped(PodError):
    """STOP arrived and no handler exited the process."""


class PodTimeout(PodError, TimeoutError):
    """A timeout given to recv() or to the handshake passed."""


def parse_args(argv=None):
    """Remove --pod-socket=PATH and --pod-shm-fd=N from argv (default
    sys.argv, changed in place; arguments after "--" are left alone).
    Returns (path, fd); fd is -1 when absent. Raises PodError when
    --pod-socket is missing or a value is malformed."""
    if argv is None:
        argv = sys.argv
    path, fd, keep, done = None, -1, argv[:1], False
    for a in argv[1:]:
        if not done and a == '--':
            done = True
        elif not done and a.startswith('--pod-socket='):
            path = a[len('--pod-socket='):]
            continue
        elif not done and a.startswith('--pod-shm-fd='):
            v = a[len('--pod-shm-fd='):]
            if not v.isdigit():
                raise PodError('malformed %s' % a, errno.EINVAL)
            fd = int(v)
            continue
        keep.append(a)
    argv[:] = keep
    if not path:
        raise PodError('no --pod-socket=PATH argument: not started by a runner', errno.ENOENT)
    return path, fd


class Batch:
    """Frames received by Worker.recv_batch(): packed in the worker's buffer,
    valid until the next recv_batch(). len(), iteration and indexing give
    memoryviews; pass the batch itself to send_batch() to echo it without a copy."""

    __slots__ = ('_view', '_base', 'lens', 'n', '_offs')

    def __init__(self, view, base):
        self._view = view
        self._base = base
        self.lens = []
        self.n = 0
        self._offs = None

    def _offsets(self):
        if self._offs is None:
            self._offs = list(itertools.accumulate(self.lens, initial=0))
        return self._offs

    def __len__(self):
        return self.n

    def __iter__(self):
        off, view = 0, self._view
        for n in self.lens:
            yield view[off:off + n]
            off += n

    def __getitem__(self, i):
        offs = self._offsets()
        return self._view[offs[i]:offs[i + 1]] if i >= 0 else self[self.n + i]


class Worker:
    """One session with the runner. Use connect() to build it from argv."""

    def __init__(self, socket_path, shm_fd, handshake_timeout=5.0, lang=C.LANG_PYTHON,
                 max_frame_hint=1 << 20, spin_us=None):
        global _lib
        if _lib is None:
            _lib = _ring.load()
        self._lib = _lib
        self._shm = None
        self._sock = None
        self._err = None
        self._in = bytearray()
        self._out = bytearray()
        self._tx_seq = 0
        self._rx_seq = 0
        self._deferred = 0
        self._peer_wants_space = False
        self._want_space_sent = False
        self._consumed = 0
        self.stopping = False
        self.stop_deadline_ms = 0
        self._stop_fn = None
        self._stop_handled = False
        if spin_us is None:
            spin_us = int(os.environ.get('POD_SPIN_US', '0') or 0)
        self._spin = max(0, spin_us) / 1e6  # poll an empty ring this long before sleeping
        try:
            self._attach(shm_fd)
            self._connect(socket_path, time.monotonic() + handshake_timeout, lang)
        except BaseException:
            self.close()
            raise
        # Buffers reused by every batch call (no per-frame allocation on the fast path).
        # The receive buffer is an anonymous mapping: its pages are zero and
        # come when first written. A ctypes array would be zeroed here, page by
        # page: about 1.6 ms for the usual 2 MiB, paid by every worker's start.
        size = max(max_frame_hint, self.max_frame * 2)
        self._map = mmap.mmap(-1, size)
        self._buf = (ctypes.c_char * size).from_buffer(self._map)
        self._buf_addr = ctypes.addressof(self._buf)
        self._view = memoryview(self._buf).cast('B')
        self._lens = (ctypes.c_uint32 * MAX_BATCH)()
        self._lens_addr = ctypes.addressof(self._lens)
        self._iov = (ctypes.c_uint64 * (2 * MAX_BATCH))()
        self._iov_addr = ctypes.addressof(self._iov)
        self._batch = Batch(self._view, self._buf_addr)

    # ---- setup ---------------------------------------------------------

    def _attach(self, shm_fd):
        if shm_fd < 0:
            raise PodError('no --pod-shm-fd=N argument', errno.EBADF)
        shm = ctypes.c_void_p()
        ret = self._lib.ring_shm_attach_fd(shm_fd, ctypes.byref(shm))
        if ret < 0:
            raise ProtocolError('cannot map the rings from fd %d: %s' % (shm_fd, os.strerror(-ret)),
                                -ret)
        os.close(shm_fd)  # children of the worker must not inherit it
        self._shm = shm
        self._rx = self._lib.ring_shm_ring(shm, _ring.RING_DIR_TO_POD)
        self._tx = self._lib.ring_shm_ring(shm, _ring.RING_DIR_TO_RUNNER)
        self.capacity = self._lib.ring_shm_capacity(shm)
        self.max_frame = self._lib.ring_max_frame(self._tx)

    def _connect(self, path, deadline, lang):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock = s
        s.settimeout(max(0.0, deadline - time.monotonic()))
        try:
            s.connect(path)
        except socket.timeout:
            raise PodTimeout('connect to %s timed out' % path, errno.ETIMEDOUT) from None
        except OSError as e:
            raise PodError('cannot connect to the runner at %s: %s' % (path, e.strerror),
                           e.errno) from None
        s.setblocking(False)
        self._poller = select.poll()
        self._poller.register(s.fileno(), select.POLLIN)
        self._send_msg(C.Msg(C.HELLO, version=C.VERSION, lang=lang, pid=os.getpid()))
        m = self._wait_msg(deadline)
        if m.type == C.ERROR:
            raise RunnerRefused('runner refused the session (code %d): %s'
                                % (m.code, m.text.decode(errors='replace')), errno.EREMOTEIO)
        if m.type != C.READY:
            raise ProtocolError('handshake: expected READY, got %s' % C.TYPE_NAMES[m.type],
                                errno.EBADMSG)
        if m.ring_capacity != self.capacity or m.max_frame != self._lib.ring_max_frame(self._rx):
            raise ProtocolError('READY does not match the mapped rings', errno.EPROTO)

    def _wait_msg(self, deadline):
        while True:
            m = self._next_msg()
            if m is not None:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise PodTimeout('handshake timed out', errno.ETIMEDOUT)
            if self._poller.poll(left * 1000):
                self._fill()

    # ---- errors --------------------------------------------------------

    def _fail(self, cls, message, err):
        if self._err is None:
            self._err = cls(message, err)
        raise self._err

    def _check(self):
        if self._err is not None:
            raise self._err

    # ---- control socket ------------------------------------------------

    def _flush(self):
        """Push pending output; True when all of it went out."""
        while self._out:
            try:
                n = self._sock.send(self._out)
            except BlockingIOError:
                return False
            except OSError as e:
                self._fail(RunnerGone, 'the runner closed the control socket (%s)' % e.strerror,
                           errno.ECONNRESET)
            del self._out[:n]
        return True

    def _send_msg(self, m):
        self._tx_seq += 1
        m.seq = self._tx_seq
        data = C.encode(m)
        if len(self._out) + len(data) > OUT_MAX:
            self._fail(ProtocolError, 'the runner does not read its control socket', errno.EBADMSG)
        self._out += data
        self._flush()
        if self._out:
            self._poller.modify(self._sock.fileno(), select.POLLIN | select.POLLOUT)

    def _fill(self):
        """One recv; False when nothing was there."""
        try:
            data = self._sock.recv(65536)
        except BlockingIOError:
            return False
        except OSError as e:
            self._fail(RunnerGone, 'the runner closed the control socket (%s)' % e.strerror,
                       errno.ECONNRESET)
        if not data:
            self._fail(RunnerGone, 'the runner closed the control socket' +
                       (' mid-message' if self._in else ''), errno.ECONNRESET)
        self._in += data
        return True

    def _next_msg(self):
        try:
            m, n = C.decode(self._in)
        except C.CodecError as e:
            self._fail(ProtocolError, 'the runner sent a malformed control message (%s)' % e,
                       errno.EBADMSG)
        if m is None:
            return None
        del self._in[:n]
        if m.seq != (self._rx_seq + 1) & 0xFFFFFFFF:
            self._fail(ProtocolError, 'the runner skipped a message sequence number',
                       errno.EBADMSG)
        self._rx_seq = m.seq
        return m

    def _doorbell(self, flags):
        """DATA, merged while the socket cannot take more (see src/worker.c)."""
        self._deferred |= flags
        if not self._deferred or (self._out and not self._flush()):
            return
        m = C.Msg(C.DATA, flags=self._deferred)
        self._deferred = 0
        self._send_msg(m)

    def _maybe_send_space(self):
        if self._peer_wants_space and self._lib.ring_free(self._rx) >= self.capacity // 2:
            self._peer_wants_space = False
            self._doorbell(C.DATA_SPACE)

    def _on_msg(self, m):
        t = m.type
        if t == C.DATA:
            if m.flags & C.DATA_SPACE:
                self._want_space_sent = False
            if m.flags & C.DATA_WANT_SPACE:
                self._peer_wants_space = True
                self._maybe_send_space()
        elif t == C.STOP:
            if not self.stopping:
                self.stopping = True
                self.stop_deadline_ms = m.deadline_ms
        elif t == C.PING:
            self._send_msg(C.Msg(C.PONG, token=m.token))
        elif t == C.ERROR:
            self._fail(RunnerGone, 'the runner reported error %d: %s'
                       % (m.code, m.text.decode(errors='replace')), errno.EREMOTEIO)
        else:
            self._fail(ProtocolError, 'the runner sent %s out of order' % C.TYPE_NAMES[t],
                       errno.EBADMSG)

    def _pump(self, timeout_ms):
        """Handle what is buffered and readable; wait up to timeout_ms (None =
        forever) for the first thing to happen."""
        waited = False
        while True:
            m = self._next_msg()
            if m is not None:
                self._on_msg(m)
                waited = True
                continue
            if self._fill():
                continue
            if waited or timeout_ms == 0:
                return
            ev = self._poller.poll(timeout_ms)
            if not ev:
                return
            if ev[0][1] & select.POLLOUT:
                self._doorbell(0)
                if not self._out:
                    self._poller.modify(self._sock.fileno(), select.POLLIN)
            waited = True

    def _stopped(self):
        if not self._stop_handled:
            self._stop_handled = True
            if self._stop_fn is not None:
                status = self._stop_fn(self.stop_deadline_ms)
                self.close()
                sys.exit(status if isinstance(status, int) else 0)
        raise Stopped('the runner asked the worker to stop (deadline %d ms)'
                      % self.stop_deadline_ms, errno.ESHUTDOWN)

    def _consumed_bytes(self, nbytes):
        if self._deferred:
            self._doorbell(0)
        self._maybe_send_space()
        self._consumed += nbytes
        if self._consumed >= self.capacity // 4:
            self._consumed = 0
            self._pump(0)

    def _consumed_quietly(self, nbytes):
        """_consumed_bytes(), keeping a failure for the next call (in self._err)
        so that the frames just read are not lost."""
        if self._err is None:
            try:
                self._consumed_bytes(nbytes)
            except PodError:
                pass

    def _sleep_on_rx(self, deadline):
        """Sleep until a doorbell/message or the deadline. False if the ring
        was not empty after all."""
        if self._spin:
            end, used, rx = time.monotonic() + self._spin, self._lib.ring_used, self._rx
            while time.monotonic() < end:
                if used(rx) != 0:
                    return False
        self._maybe_send_space()  # the ring is empty: all of it is free
        a = self._lib.ring_prepare_wait(self._rx)  # announce, then re-check
        if a < 0:
            self._fail(ProtocolError, 'the to-pod ring is corrupt', errno.EPROTO)
        if a == 0:
            return False
        try:
            if deadline is None:
                self._pump(None)
            else:
                left = deadline - time.monotonic()
                if left > 0:
                    self._pump(max(1, int(left * 1000)))
        finally:
            if self._shm is not None:  # close() (e.g. from a signal handler) unmapped the rings
                self._lib.ring_cancel_wait(self._rx)
        return True

    # ---- public API ----------------------------------------------------

    def on_stop(self, fn):
        """Run fn(deadline_ms) once when STOP arrives inside an SDK call; the
        SDK then closes the session and exits the process with fn's int result
        (0 otherwise). Returns fn, so it can be used as a decorator."""
        self._stop_fn = fn
        return fn

    def recv(self, timeout=None):
        """Next frame as bytes, sleeping on the doorbell when the ring is
        empty. timeout in seconds (None = forever). Raises Stopped on STOP
        (after a handler that did not exit), PodTimeout, RunnerGone,
        ProtocolError."""
        deadline = None if timeout is None else time.monotonic() + timeout
        view, lib, rx = self._view, self._lib, self._rx
        while True:
            # frames already in the ring are delivered even after a failure;
            # the error is raised once the ring is empty (STOP acts at once)
            if self._shm is None:
                raise PodError('the session is closed', errno.EBADF)
            if self.stopping:
                self._stopped()
            n = lib.ring_read(rx, self._buf_addr, len(self._buf))
            if n >= 0:
                data = bytes(view[:n])
                self._consumed_quietly(n + 8)
                return data
            self._check()
            if n == -errno.EPROTO:
                self._fail(ProtocolError, 'the to-pod ring is corrupt', errno.EPROTO)
            if n != -errno.EAGAIN:
                raise PodError('ring_read: %s' % os.strerror(-n), -n)
            if deadline is not None and time.monotonic() >= deadline:
                raise PodTimeout('recv timed out', errno.ETIMEDOUT)
            self._sleep_on_rx(deadline)

    def recv_batch(self, max_frames=MAX_BATCH, timeout=None):
        """Up to max_frames frames (at least one) as a Batch that reuses the
        worker's buffer (valid until the next recv_batch). Errors as recv()."""
        deadline = None if timeout is None else time.monotonic() + timeout
        lib, rx, b = self._lib, self._rx, self._batch
        max_frames = min(max_frames, MAX_BATCH)
        while True:
            if self._shm is None:
                raise PodError('the session is closed', errno.EBADF)
            if self.stopping:
                self._stopped()
            n = lib.ring_read_batch(rx, self._buf_addr, len(self._buf), self._lens_addr,
                                    max_frames)
            if n > 0:
                lens = self._lens[:n]
                b.lens = lens
                b.n = n
                b._offs = None
                self._consumed_quietly(sum(lens) + 8 * n)
                return b
            self._check()
            if n == -errno.EPROTO:
                self._fail(ProtocolError, 'the to-pod ring is corrupt', errno.EPROTO)
            if n < 0:
                raise PodError('ring_read_batch: %s' % os.strerror(-n), -n)
            if deadline is not None and time.monotonic() >= deadline:
                raise PodTimeout('recv timed out', errno.ETIMEDOUT)
            self._sleep_on_rx(deadline)

    def __iter__(self):
        """Frames as bytes until STOP (then the loop ends; a handler set with
        on_stop() runs first and exits)."""
        while True:
            try:
                yield self.recv()
            except Stopped:
                return

    def _wait_for_space(self):
        if not self._want_space_sent:
            self._want_space_sent = True
            self._doorbell(C.DATA_WANT_SPACE)
            return  # retry the write once before sleeping
        self._pump(None)
        if self.stopping and not self._stop_handled:
            self._stopped()

    def _published(self):
        need = self._lib.ring_need_wakeup(self._tx)  # clears the word when set
        if need or self._deferred:
            self._doorbell(C.DATA_FRAMES if need else 0)

    def send(self, data):
        """Send one frame (bytes-like), blocking while the ring is full."""
        if self._shm is None:
            raise PodError('the session is closed', errno.EBADF)
        if not isinstance(data, bytes):
            data = bytes(data)
        lib, tx = self._lib, self._tx
        while True:
            self._check()
            ret = lib.ring_write(tx, data, len(data))
            if ret == 0:
                self._published()
                return
            if ret == -errno.EPROTO:
                self._fail(ProtocolError, 'the to-runner ring is corrupt', errno.EPROTO)
            if ret == -errno.EMSGSIZE:
                raise PodError('frame of %d bytes is over the limit %d' % (len(data),
                                                                           self.max_frame),
                               errno.EMSGSIZE)
            if ret != -errno.EAGAIN:
                raise PodError('ring_write: %s' % os.strerror(-ret), -ret)
            self._wait_for_space()

    def send_batch(self, frames):
        """Send every frame of a Batch (zero copy) or of a list of bytes-like
        objects (copied once into a staging buffer), blocking while full."""
        if self._shm is None:
            raise PodError('the session is closed', errno.EBADF)
        if isinstance(frames, Batch):
            lens = frames.lens
            base = frames._base
        else:
            lens = [len(f) for f in frames]
            staging = b''.join(frames)
            base = ctypes.cast(ctypes.c_char_p(staging), ctypes.c_void_p).value
        n = len(lens)
        done = 0
        iov, iov_addr, lib, tx = self._iov, self._iov_addr, self._lib, self._tx
        while done < n:
            k = min(n - done, MAX_BATCH)
            chunk = lens[done:done + k]
            offs = list(itertools.accumulate(chunk, initial=base))
            iov[0:2 * k:2] = offs[:-1]  # struct iovec { base, len } as two u64
            iov[1:2 * k:2] = chunk
            pos = 0
            while pos < k:
                self._check()
                got = lib.ring_write_batch(tx, iov_addr + 16 * pos, k - pos)
                if got > 0:
                    pos += got
                    self._published()
                elif got == 0:
                    self._wait_for_space()
                elif got == -errno.EPROTO:
                    self._fail(ProtocolError, 'the to-runner ring is corrupt', errno.EPROTO)
                else:
                    raise PodError('ring_write_batch: %s' % os.strerror(-got), -got)
            done += k
            base = offs[-1]
        if not isinstance(frames, Batch):
            del staging

    def poll(self):
        """Handle waiting control messages without blocking (answers PING,
        notes STOP). Raises Stopped when STOP arrived."""
        self._check()
        self._pump(0)
        if self.stopping:
            self._stopped()

    def send_error(self, code, text):
        """Report an application error (ERROR message) to the runner."""
        self._check()
        t = text.encode() if isinstance(text, str) else bytes(text)
        self._send_msg(C.Msg(C.ERROR, code=code, text=t[:C.TEXT_MAX].replace(b'\0', b' ')))
        self._flush()

    def fileno(self):
        """The control socket's descriptor (readable when a message waits)."""
        return self._sock.fileno()

    def close(self):
        """End the session (the runner sees a clean close) and unmap the rings."""
        if self._sock is not None:
            try:
                if self._out:
                    self._flush()
            except PodError:
                pass
            self._sock.close()
            self._sock = None
        if self._shm is not None:
            self._lib.ring_shm_destroy(self._shm)
            self._shm = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(argv=None, handshake_timeout=5.0, spin_us=None):
    """Connect to the runner named in argv (default sys.argv, whose --pod-*
    arguments are removed) and complete the handshake. spin_us: poll an empty
    ring this long before sleeping (default $POD_SPIN_US, else 0)."""
    path, fd = parse_args(argv)
    return Worker(path, fd, handshake_timeout, spin_us=spin_us)
