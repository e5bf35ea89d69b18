"""pod — the Python worker SDK of Pod/Runner (layer 02-ipc).

Layer 02-ipc. Builds on 01-ring's libring.so (ctypes) and the 02-ipc wire
format (pod.codec). Used by Python programs that 07-runner runs inside a pod;
importable with PYTHONPATH=02-ipc/python by the system python3, no install.

    import pod

    w = pod.connect()                  # reads and removes --pod-socket/--pod-shm-fd
    for frame in w:                    # bytes, until the runner says STOP
        w.send(frame.upper())

    # batches (no per-frame allocation on the echo path):
    while True:
        batch = w.recv_batch()         # raises pod.Stopped on STOP
        w.send_batch(batch)

    @w.on_stop
    def bye(deadline_ms):              # runs once on STOP, then the process exits
        w.send(b"done")

Errors are exceptions: RunnerGone (runner exited or was killed), ProtocolError
(malformed or out-of-order input, corrupt ring), RunnerRefused, PodTimeout,
Stopped; all derive from PodError. No call waits forever on a dead runner.
"""
from .codec import CodecError, Msg, decode, encode
from .worker import (Batch, PodError, PodTimeout, ProtocolError, RunnerGone, RunnerRefused,
                     Stopped, Worker, connect, parse_args)

__all__ = ['connect', 'parse_args', 'Worker', 'Batch', 'PodError', 'RunnerGone',
           'ProtocolError', 'RunnerRefused', 'Stopped', 'PodTimeout', 'encode', 'decode', 'Msg',
           'CodecError']
