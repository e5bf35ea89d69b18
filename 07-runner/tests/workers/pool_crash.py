# pool_crash.py — a Python worker of the warm-pool tests that crashes (SIGSEGV).
import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
