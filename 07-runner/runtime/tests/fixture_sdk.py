# fixture_sdk.py — the runtime tests' check that the 02-ipc Python SDK and
# libring.so (through POD_RING_LIB, with ctypes) work with only the planned mounts.
import pod
from pod import _ring

lib = _ring.load()
print("sdk", pod.connect.__name__, "ring", bool(lib))
