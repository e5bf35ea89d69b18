# triv.py — the trivial Python worker of the start-up benchmark: does nothing.
pass
