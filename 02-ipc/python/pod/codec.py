"""pod.codec — the 02-ipc control-message wire format in Python (pure, no I/O).

Layer 02-ipc, Python worker SDK. The same rules as src/codec.c (see ipc.h and
README "Byte-level spec"): a 16-byte little-endian header (magic "PODI",
version 1, type, flags 0, payload length <= 4080, seq) and a per-type payload
whose length must match exactly. Used by pod.worker and by tests/test_pod.py,
which runs the shared vectors in tests/vectors/ through it.
"""
import struct

MAGIC = b'PODI'
VERSION = 1
HDR_SIZE = 16
MAX_PAYLOAD = 4080
MAX_MSG = HDR_SIZE + MAX_PAYLOAD

TEXT_MAX = 1024
CATEGORY_MAX = 32
REQUEST_MAX = 2048
RULE_MAX = 256

HELLO, READY, DATA, STOP, ERROR, PING, PONG, QUERY, VERDICT, EVENT = range(1, 11)
TYPE_NAMES = {HELLO: 'HELLO', READY: 'READY', DATA: 'DATA', STOP: 'STOP', ERROR: 'ERROR',
              PING: 'PING', PONG: 'PONG', QUERY: 'QUERY', VERDICT: 'VERDICT', EVENT: 'EVENT'}

DATA_FRAMES, DATA_SPACE, DATA_WANT_SPACE = 1, 2, 4
DATA_ALL = 7

LANG_C, LANG_PYTHON, LANG_BUN, LANG_LOADER = 1, 2, 3, 4
ACT_ALLOW, ACT_WARN, ACT_DENY, ACT_INFO = 0, 1, 2, 3

ERR_PROTOCOL, ERR_VERSION, ERR_CREDENTIALS, ERR_TIMEOUT, ERR_RING, ERR_BUSY, ERR_INTERNAL = \
    range(1, 8)
ERR_USER = 1000

_HDR = struct.Struct('<4sBBHII')

# Field layout per type: (name, kind[, max]) where kind is a struct code or 's' (u16+bytes)
# or 'z' (a reserved zero byte).
LAYOUT = {
    HELLO: [('version', 'H'), ('lang', 'B'), (None, 'z'), ('pid', 'I')],
    READY: [('ring_capacity', 'I'), ('max_frame', 'I')],
    DATA: [('flags', 'I')],
    STOP: [('deadline_ms', 'I')],
    ERROR: [('code', 'i'), ('text', 's', TEXT_MAX)],
    PING: [('token', 'Q')],
    PONG: [('token', 'Q')],
    QUERY: [('request_id', 'I'), ('category', 's', CATEGORY_MAX), ('request', 's', REQUEST_MAX)],
    VERDICT: [('request_id', 'I'), ('action', 'B'), (None, 'z'), ('rule', 's', RULE_MAX),
              ('reason', 's', TEXT_MAX)],
    EVENT: [('action', 'B'), (None, 'z'), ('category', 's', CATEGORY_MAX),
            ('what', 's', TEXT_MAX), ('detail', 's', TEXT_MAX)],
}


class CodecError(ValueError):
    """A message that breaks the wire format; .errno_name says which rule
    (EBADMSG, EPROTONOSUPPORT, EMSGSIZE) as in the C decoder."""

    def __init__(self, errno_name, why):
        super().__init__('%s: %s' % (errno_name, why))
        self.errno_name = errno_name


class Msg:
    """One control message: .type, .seq and the type's fields as attributes
    (strings are bytes)."""

    __slots__ = ('type', 'seq', 'fields')

    def __init__(self, type_, seq=0, **fields):
        self.type = type_
        self.seq = seq
        self.fields = fields

    def __getattr__(self, name):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return 'Msg(%s, seq=%d, %r)' % (TYPE_NAMES.get(self.type, '?'), self.seq, self.fields)


def _check_values(t, f, err):
    if t == HELLO and not 1 <= f['lang'] <= LANG_LOADER:
        raise err('lang %r' % f['lang'])
    if t == DATA and (f['flags'] == 0 or f['flags'] & ~DATA_ALL):
        raise err('DATA flags %r' % f['flags'])
    if t == VERDICT and not 0 <= f['action'] <= ACT_DENY:
        raise err('verdict action %r' % f['action'])
    if t == EVENT and not 0 <= f['action'] <= ACT_INFO:
        raise err('event action %r' % f['action'])


def encode(msg):
    """Bytes of @msg (header + payload). Raises ValueError for bad values."""
    layout = LAYOUT.get(msg.type)
    if layout is None:
        raise ValueError('unknown type %r' % msg.type)
    _check_values(msg.type, msg.fields, ValueError)
    out = []
    for item in layout:
        name, kind = item[0], item[1]
        if kind == 'z':
            out.append(b'\0')
        elif kind == 's':
            v = msg.fields.get(name, b'')
            if isinstance(v, str):
                v = v.encode()
            if len(v) > item[2] or b'\0' in v:
                raise ValueError('%s: too long or contains NUL' % name)
            out.append(struct.pack('<H', len(v)) + v)
        else:
            out.append(struct.pack('<' + kind, msg.fields[name]))
    payload = b''.join(out)
    return _HDR.pack(MAGIC, VERSION, msg.type, 0, len(payload), msg.seq & 0xFFFFFFFF) + payload


def _check_prefix(buf):
    n = min(len(buf), 4)
    if bytes(buf[:n]) != MAGIC[:n]:
        raise CodecError('EBADMSG', 'bad magic')
    if len(buf) > 4 and buf[4] != VERSION:
        raise CodecError('EPROTONOSUPPORT', 'version %d' % buf[4])
    if len(buf) > 5 and not HELLO <= buf[5] <= EVENT:
        raise CodecError('EBADMSG', 'unknown type %d' % buf[5])
    if len(buf) > 7 and (buf[6] or buf[7]):
        raise CodecError('EBADMSG', 'reserved header flags')
    if len(buf) > 11 and struct.unpack_from('<I', buf, 8)[0] > MAX_PAYLOAD:
        raise CodecError('EMSGSIZE', 'declared length over %d' % MAX_PAYLOAD)


def _decode_payload(t, p):
    f = {}
    off = 0

    def bad(why):
        return CodecError('EBADMSG', '%s: %s' % (TYPE_NAMES[t], why))

    for item in LAYOUT[t]:
        name, kind = item[0], item[1]
        if kind == 'z':
            if off >= len(p) or p[off] != 0:
                raise bad('reserved byte')
            off += 1
        elif kind == 's':
            if off + 2 > len(p):
                raise bad('truncated string length')
            n = p[off] | p[off + 1] << 8
            off += 2
            if off + n > len(p) or n > item[2]:
                raise bad('string %s too long' % name)
            v = bytes(p[off:off + n])
            if b'\0' in v:
                raise bad('NUL in %s' % name)
            f[name] = v
            off += n
        else:
            size = struct.calcsize('<' + kind)
            if off + size > len(p):
                raise bad('truncated %s' % name)
            f[name] = struct.unpack_from('<' + kind, p, off)[0]
            off += size
    if off != len(p):
        raise bad('%d trailing bytes' % (len(p) - off))
    try:
        _check_values(t, f, bad)
    except CodecError:
        raise
    return f


def decode(buf, off=0):
    """Decode the message at buf[off:]. Returns (Msg, bytes consumed), or
    (None, 0) when only a valid prefix is there; raises CodecError."""
    view = memoryview(buf)[off:]
    _check_prefix(view[:HDR_SIZE])
    if len(view) < HDR_SIZE:
        return None, 0
    _, _, t, _, length, seq = _HDR.unpack_from(view, 0)
    if len(view) < HDR_SIZE + length:
        return None, 0
    fields = _decode_payload(t, view[HDR_SIZE:HDR_SIZE + length])
    return Msg(t, seq, **fields), HDR_SIZE + length
