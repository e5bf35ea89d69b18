# first.py — the Python worker of the warm-pool benchmark: connects and sends
# one message (the "first message" timed from start or take), then exits.
import pod

w = pod.connect()
w.send(b"hi")
