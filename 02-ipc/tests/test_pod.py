"""test_pod.py — the Python worker SDK's conformance suite (layer 02-ipc).

Layer 02-ipc, tests. Runs with the system python3 and no installed packages:

    POD_RING_LIB=.../libring.so HARNESS=.../harness IPC_VECTORS=tests/vectors \
        PYTHONPATH=python python3 tests/test_pod.py

Part 1 runs the shared vectors (tests/vectors/*.vec) through pod.codec. Part 2
starts tests/workers/worker.py under the C harness (tests/harness.c), which
plays the runner with the real runner side: handshake, echo with sequence
numbers and checksums, bursty doorbell sleep/wake, STOP, PING, the runner
killed mid-stream and misbehaving runners.
"""
import os
import subprocess
import sys
import time
import unittest

import pod
from pod import codec as C

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get('IPC_VECTORS', os.path.join(HERE, 'vectors'))
HARNESS = os.environ.get('HARNESS', os.path.join(HERE, '..', 'build', 'tests', 'harness'))
WORKER = os.path.join(HERE, 'workers', 'worker.py')
ECHO_FRAMES = int(os.environ.get('ECHO_FRAMES', '200000'))
NAMES = {v: k for k, v in C.TYPE_NAMES.items()}


def load_vectors():
    out = []
    for name in sorted(os.listdir(VECTORS)):
        if not name.endswith('.vec'):
            continue
        kv = {}
        with open(os.path.join(VECTORS, name), encoding='utf-8') as f:
            for line in f:
                line = line.rstrip('\n')
                if line.startswith('#') or '=' not in line:
                    continue
                k, v = line.split('=', 1)
                kv[k] = v
        out.append((name, kv, bytes.fromhex(kv.pop('hex'))))
    return out


def vec_msg(kv):
    kv = dict(kv)
    t = NAMES[kv.pop('type')]
    seq = int(kv.pop('seq'))
    fields = {}
    for k, v in kv.items():
        fields[k] = v.encode() if k in ('text', 'category', 'request', 'rule', 'reason', 'what',
                                        'detail') else int(v)
    return C.Msg(t, seq, **fields)


class Codec(unittest.TestCase):
    def setUp(self):
        self.vectors = load_vectors()
        self.assertGreater(len(self.vectors), 40)

    def test_valid_vectors_decode_to_listed_fields_and_reencode_exactly(self):
        n = 0
        for name, kv, raw in self.vectors:
            if 'error' in kv:
                continue
            want = vec_msg(kv)
            got, used = C.decode(raw)
            self.assertEqual(used, len(raw), name)
            self.assertEqual((got.type, got.seq, got.fields), (want.type, want.seq, want.fields),
                             name)
            self.assertEqual(C.encode(want), raw, name)
            n += 1
        self.assertGreater(n, 15)

    def test_invalid_vectors_fail_with_the_listed_error(self):
        n = 0
        for name, kv, raw in self.vectors:
            if 'error' not in kv:
                continue
            n += 1
            if kv['error'] == 'INCOMPLETE':
                self.assertEqual(C.decode(raw), (None, 0), name)
                continue
            with self.assertRaises(C.CodecError, msg=name) as cm:
                C.decode(raw)
            self.assertEqual(cm.exception.errno_name, kv['error'], name)
        self.assertGreater(n, 20)

    def test_every_prefix_of_a_valid_message_is_incomplete(self):
        for name, kv, raw in self.vectors:
            if 'error' not in kv:
                for i in range(len(raw)):
                    self.assertEqual(C.decode(raw[:i]), (None, 0), '%s[:%d]' % (name, i))

    def test_encoder_rejects_bad_values(self):
        with self.assertRaises(ValueError):
            C.encode(C.Msg(C.DATA, flags=0))
        with self.assertRaises(ValueError):
            C.encode(C.Msg(C.ERROR, code=1, text=b'x' * 1025))
        with self.assertRaises(ValueError):
            C.encode(C.Msg(C.ERROR, code=1, text=b'a\0b'))
        with self.assertRaises(ValueError):
            C.encode(C.Msg(11))


class Args(unittest.TestCase):
    def test_pod_arguments_are_parsed_and_removed_from_argv(self):
        argv = ['w.py', '--pod-socket=/run/pod/x/ctl.sock', '-v', '--pod-shm-fd=3', '--',
                '--pod-shm-fd=9']
        self.assertEqual(pod.parse_args(argv), ('/run/pod/x/ctl.sock', 3))
        self.assertEqual(argv, ['w.py', '-v', '--', '--pod-shm-fd=9'])
        with self.assertRaises(pod.PodError):
            pod.parse_args(['w.py'])
        with self.assertRaises(pod.PodError):
            pod.parse_args(['w.py', '--pod-socket=/x', '--pod-shm-fd=x'])

    def test_connect_without_a_runner_fails_at_once(self):
        r, w = os.pipe()
        t0 = time.monotonic()
        with self.assertRaises(pod.PodError):
            pod.connect(['w.py', '--pod-socket=/tmp/ipc-no-such/ctl.sock', '--pod-shm-fd=%d' % r])
        self.assertLess(time.monotonic() - t0, 1.0)
        os.close(w)


def harness(*mode, worker_mode='echo', timeout=120):
    """Run the harness with the Python worker; returns (result line, stderr)."""
    cmd = [HARNESS, '-k', '2'] + [str(m) for m in mode] + ['--', sys.executable, WORKER,
                                                          worker_mode]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in p.stdout.splitlines() if line.startswith('RESULT')]
    return (lines[-1] if lines else 'RESULT fail no output: ' + p.stdout), p.stderr


class Session(unittest.TestCase):
    def run_ok(self, *mode, worker_mode='echo'):
        res, err = harness(*mode, worker_mode=worker_mode)
        self.assertTrue(res.startswith('RESULT ok'), '%s\n%s' % (res, err))
        return dict(kv.split('=') for kv in res.split()[2:]), err

    def test_handshake_reports_python_language_and_pid(self):
        kv, _ = self.run_ok('handshake')
        self.assertEqual(kv['lang'], str(C.LANG_PYTHON))
        self.assertEqual(kv['pid'], kv['peer'])

    def test_echo_with_batches_keeps_order_and_content(self):
        kv, _ = self.run_ok('echo', ECHO_FRAMES, 64)
        self.assertEqual(int(kv['frames']), ECHO_FRAMES)
        # no syscall per frame: few doorbells
        self.assertLess(int(kv['doorbells_sent']) + int(kv['doorbells_received']),
                        ECHO_FRAMES // 10)

    def test_echo_through_the_iterator_one_frame_at_a_time(self):
        self.run_ok('echo', 20000, 1000, worker_mode='echo1')

    def test_no_lost_wakeup_in_10000_bursty_sleep_wake_cycles(self):
        kv, _ = self.run_ok('bursty', 10000)
        self.assertGreaterEqual(int(kv['bursts']), 10000)
        self.assertGreater(int(kv['doorbells_sent']), 5000)

    def test_stop_runs_the_handler_and_exits_within_the_deadline(self):
        kv, _ = self.run_ok('stop', 1000, 42, worker_mode='handler')
        self.assertLess(int(kv['close_ms']), 1000)

    def test_a_message_arriving_after_stop_leaves_a_clean_close(self):
        self.run_ok('stop-late', worker_mode='echo1')

    def test_ping_is_answered_while_waiting(self):
        self.run_ok('ping', worker_mode='echo1')

    def test_runner_killed_mid_stream_gives_a_clear_error(self):
        kv, err = self.run_ok('kill-runner', 5000, worker_mode='fail')
        self.assertEqual(kv['worker_exit'], '3')
        self.assertIn('RunnerGone: the runner closed the control socket', err)

    def check_fake(self, script, error):
        kv, err = self.run_ok('fake', script, worker_mode='fail')
        self.assertEqual(kv['worker_exit'], '3', err)
        self.assertIn(error, err)

    def test_silent_runner_times_out_the_handshake(self):
        self.check_fake('silent', 'handshake timed out')

    def test_refusing_runner_raises_runner_refused(self):
        self.check_fake('refuse', 'runner refused the session')

    def test_garbage_from_the_runner_raises_protocol_error(self):
        self.check_fake('garbage', 'ProtocolError: the runner sent a malformed control message')

    def test_ready_with_the_wrong_geometry_is_refused(self):
        self.check_fake('geometry', 'READY does not match')

    def test_out_of_order_message_raises_protocol_error(self):
        self.check_fake('order', 'ProtocolError: the runner sent HELLO out of order')

    def test_runner_closing_during_the_handshake_raises_runner_gone(self):
        self.check_fake('close', 'the runner closed the control socket')


if __name__ == '__main__':
    unittest.main(verbosity=1)
