"""worker.py — the Python test and benchmark worker of layer 02-ipc.

Layer 02-ipc, tests and bench. Builds on the Python SDK (python/pod). Started
by tests/harness.c (the runner) from tests/test_pod.py and bench/run_bench.sh:

    python3 worker.py MODE --pod-socket=PATH --pod-shm-fd=N   (or --sp-fd=N)

MODE: echo (batches), echo1 (the iterator, one frame at a time), handler
(STOP handler sends "bye", exits 42), fail (recv until an exception, print it,
exit 3), sp-echo (plain socketpair echo, the benchmark peer).
"""
import os
import socket
import sys

import pod


def sp_echo():
    fd = next(int(a[8:]) for a in sys.argv if a.startswith('--sp-fd='))
    s = socket.socket(fileno=fd)
    buf = bytearray(65536)
    recv_into, send = s.recv_into, s.send
    while True:
        n = recv_into(buf)
        if n == 0:
            return 0
        send(memoryview(buf)[:n])


def main():
    if 'sp-echo' in sys.argv:
        return sp_echo()
    try:
        w = pod.connect()  # removes the --pod-* arguments from sys.argv
    except pod.PodError as e:
        print('worker.py: connect: %s' % e, file=sys.stderr)
        return 3
    assert not any(a.startswith('--pod-') for a in sys.argv), sys.argv
    mode = sys.argv[1]
    try:
        if mode == 'echo':
            while True:
                w.send_batch(w.recv_batch())
        elif mode == 'handler':
            @w.on_stop
            def bye(deadline_ms):
                w.send(b'bye')
                return 42
            for f in w:
                w.send(f)
        else:  # echo1, fail
            for f in w:
                w.send(f)
    except pod.Stopped:
        return 0
    except pod.PodError as e:
        print('worker.py: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 3
    w.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
