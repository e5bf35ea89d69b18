# fixture_py.py — a Python worker for the runtime tests (07-runner/runtime).
# Uses stdlib modules that live in lib-dynload (extension modules with their
# own shared libraries) so that a run proves the plan mounted them.
import ctypes
import hashlib
import json
import sys
import zlib

print("python", json.dumps({"crc": zlib.crc32(b"pod")}), hashlib.sha256(b"pod").hexdigest()[:8],
      ctypes.sizeof(ctypes.c_int), " ".join(sys.argv[1:]))
