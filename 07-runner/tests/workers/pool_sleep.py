# pool_sleep.py — a Python worker of the warm-pool tests that runs until stopped.
import time

time.sleep(600)
