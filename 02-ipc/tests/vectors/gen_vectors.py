#!/usr/bin/env python3
"""gen_vectors.py — writes the 02-ipc conformance vectors (tests/vectors/*.vec).

Layer 02-ipc, test data. An independent, minimal rendering of the wire format
(ipc.h, README "Byte-level spec") with Python's struct module; its output is
committed and read by the C (tests/check_ipc.c), Python (tests/test_pod.py) and
Bun (tests/pod.test.ts) suites, which each decode every vector with their own
codec and re-encode the valid ones byte for byte.

Vector file format: one `key=value` per line, `#` comments. `hex` holds the
bytes on the wire. A valid vector lists the decoded fields; an invalid one has
`error=` with the errno name the decoder must return (INCOMPLETE = "valid
prefix, need more bytes", i.e. 0 from ipc_decode).

Run: python3 gen_vectors.py  (rewrites the .vec files next to it)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = dict(HELLO=1, READY=2, DATA=3, STOP=4, ERROR=5, PING=6, PONG=7,
             QUERY=8, VERDICT=9, EVENT=10)


def s(text):
    b = text.encode()
    return struct.pack('<H', len(b)) + b


def msg(tname, seq, payload, version=1, flags=0, length=None):
    n = len(payload) if length is None else length
    return b'PODI' + struct.pack('<BBHII', version, TYPES[tname], flags, n, seq) + payload


def payload(t, f):
    if t == 'HELLO':
        return struct.pack('<HBBI', f['version'], f['lang'], 0, f['pid'])
    if t == 'READY':
        return struct.pack('<II', f['ring_capacity'], f['max_frame'])
    if t == 'DATA':
        return struct.pack('<I', f['flags'])
    if t == 'STOP':
        return struct.pack('<I', f['deadline_ms'])
    if t == 'ERROR':
        return struct.pack('<i', f['code']) + s(f['text'])
    if t in ('PING', 'PONG'):
        return struct.pack('<Q', f['token'])
    if t == 'QUERY':
        return struct.pack('<I', f['request_id']) + s(f['category']) + s(f['request'])
    if t == 'VERDICT':
        return (struct.pack('<IBB', f['request_id'], f['action'], 0) + s(f['rule'])
                + s(f['reason']))
    if t == 'EVENT':
        return (struct.pack('<BB', f['action'], 0) + s(f['category']) + s(f['what'])
                + s(f['detail']))
    raise ValueError(t)


VALID = [
    ('hello_c', 'HELLO', 1, dict(version=1, lang=1, pid=4242)),
    ('hello_python', 'HELLO', 1, dict(version=1, lang=2, pid=1)),
    ('hello_bun', 'HELLO', 1, dict(version=1, lang=3, pid=0xFFFFFFFF)),
    ('hello_loader', 'HELLO', 1, dict(version=1, lang=4, pid=77)),
    ('ready', 'READY', 1, dict(ring_capacity=1 << 20, max_frame=1 << 18)),
    ('data_frames', 'DATA', 2, dict(flags=1)),
    ('data_space', 'DATA', 3, dict(flags=2)),
    ('data_want_space', 'DATA', 4, dict(flags=4)),
    ('data_all_flags', 'DATA', 0xFFFFFFFF, dict(flags=7)),
    ('stop', 'STOP', 9, dict(deadline_ms=2000)),
    ('error_protocol', 'ERROR', 2, dict(code=1, text='unexpected READY from worker')),
    ('error_user_utf8', 'ERROR', 5, dict(code=1000, text='caf\u00e9 \u2014 failed')),
    ('error_negative_empty', 'ERROR', 6, dict(code=-5, text='')),
    ('ping', 'PING', 7, dict(token=0x0123456789ABCDEF)),
    ('pong', 'PONG', 8, dict(token=0xFEDCBA9876543210)),
    ('query_ffi', 'QUERY', 3, dict(request_id=17, category='ffi',
                                   request='/usr/lib/x86_64-linux-gnu/libz.so.1')),
    ('verdict_deny', 'VERDICT', 4, dict(request_id=17, action=2, rule='ffi.deny:/usr/lib',
                                        reason='library not in policy')),
    ('verdict_allow_empty', 'VERDICT', 5, dict(request_id=0, action=0, rule='', reason='')),
    ('event_warn', 'EVENT', 10, dict(action=1, category='ffi', what='/opt/lib/libfoo.so',
                                     detail='dlopen by pid 3')),
    ('event_info', 'EVENT', 11, dict(action=3, category='life', what='start', detail='')),
    ('query_max_request', 'QUERY', 12, dict(request_id=1, category='c' * 32,
                                            request='r' * 2048)),
]


def hexs(b):
    return b.hex()


def invalid():
    hello = payload('HELLO', dict(version=1, lang=1, pid=5))
    good = msg('HELLO', 1, hello)
    out = [
        ('bad_magic', b'PODX' + good[4:], 'EBADMSG', 'magic must be PODI'),
        ('garbage', b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'EBADMSG', 'not our protocol'),
        ('garbage_prefix', b'POX', 'EBADMSG', 'a wrong prefix is rejected before 16 bytes'),
        ('wrong_version', msg('HELLO', 1, hello, version=2), 'EPROTONOSUPPORT', 'version 2'),
        ('wrong_version_0', msg('HELLO', 1, hello, version=0), 'EPROTONOSUPPORT', 'version 0'),
        ('unknown_type_0', b'PODI' + struct.pack('<BBHII', 1, 0, 0, 0, 1), 'EBADMSG', 'type 0'),
        ('unknown_type_11', b'PODI' + struct.pack('<BBHII', 1, 11, 0, 0, 1), 'EBADMSG',
         'type 11'),
        ('reserved_flags', msg('HELLO', 1, hello, flags=1), 'EBADMSG', 'header flags != 0'),
        ('oversize', msg('DATA', 1, b'', length=4081), 'EMSGSIZE', 'length > 4080'),
        ('oversize_huge', msg('DATA', 1, b'', length=0xFFFFFFFF), 'EMSGSIZE', 'length 2^32-1'),
        ('truncated_header', good[:10], 'INCOMPLETE', 'valid prefix of a header'),
        ('truncated_payload', good[:-1], 'INCOMPLETE', 'payload one byte short'),
        ('empty', b'', 'INCOMPLETE', 'nothing yet'),
        ('hello_short_payload', msg('HELLO', 1, hello[:7]), 'EBADMSG', 'payload 7 bytes'),
        ('hello_trailing_byte', msg('HELLO', 1, hello + b'\0'), 'EBADMSG', 'payload 9 bytes'),
        ('hello_lang_0', msg('HELLO', 1, struct.pack('<HBBI', 1, 0, 0, 5)), 'EBADMSG', 'lang 0'),
        ('hello_lang_5', msg('HELLO', 1, struct.pack('<HBBI', 1, 5, 0, 5)), 'EBADMSG', 'lang 5'),
        ('hello_reserved_byte', msg('HELLO', 1, struct.pack('<HBBI', 1, 1, 1, 5)), 'EBADMSG',
         'reserved byte != 0'),
        ('data_no_flags', msg('DATA', 1, struct.pack('<I', 0)), 'EBADMSG', 'flags 0'),
        ('data_unknown_flag', msg('DATA', 1, struct.pack('<I', 8)), 'EBADMSG', 'flag bit 3'),
        ('error_string_overrun', msg('ERROR', 1, struct.pack('<iH', 1, 10) + b'abc'), 'EBADMSG',
         'string length past payload'),
        ('error_text_too_long', msg('ERROR', 1, struct.pack('<i', 1) + s('x' * 1025)), 'EBADMSG',
         'text over 1024'),
        ('error_text_nul', msg('ERROR', 1, struct.pack('<iH', 1, 3) + b'a\0b'), 'EBADMSG',
         'NUL inside a string'),
        ('query_category_too_long', msg('QUERY', 1, struct.pack('<I', 1) + s('c' * 33) + s('r')),
         'EBADMSG', 'category over 32'),
        ('verdict_action_info', msg('VERDICT', 1, struct.pack('<IBB', 1, 3, 0) + s('') + s('')),
         'EBADMSG', 'info is not a verdict'),
        ('event_action_4', msg('EVENT', 1, struct.pack('<BB', 4, 0) + s('a') + s('b') + s('')),
         'EBADMSG', 'action 4'),
        ('ping_short', msg('PING', 1, b'\1\2\3'), 'EBADMSG', 'token needs 8 bytes'),
    ]
    return out


def main():
    for f in os.listdir(HERE):
        if f.endswith('.vec'):
            os.unlink(os.path.join(HERE, f))
    for name, t, seq, fields in VALID:
        b = msg(t, seq, payload(t, fields))
        with open(os.path.join(HERE, 'ok_' + name + '.vec'), 'w', encoding='utf-8') as fh:
            fh.write('# valid %s\ntype=%s\nseq=%d\n' % (t, t, seq))
            for k, v in fields.items():
                fh.write('%s=%s\n' % (k, v))
            fh.write('hex=%s\n' % hexs(b))
    for name, b, err, why in invalid():
        with open(os.path.join(HERE, 'bad_' + name + '.vec'), 'w', encoding='utf-8') as fh:
            fh.write('# invalid: %s\nerror=%s\nhex=%s\n' % (why, err, hexs(b)))


if __name__ == '__main__':
    main()
