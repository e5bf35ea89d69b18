"""pod._ring — 01-ring's shared library (libring.so) through ctypes.

Layer 02-ipc, Python worker SDK. Builds on 01-ring's public API (ring.h),
loaded from $POD_RING_LIB, else from the repository layout next to this file
(../../../01-ring/build/libring.so), else "libring.so" on the loader path.
Used by pod.worker. ctypes was chosen over a C extension: it needs no compiler
or Python headers at run time inside the pod, and the SDK calls the library
once per batch, not per frame (measured in README "Benchmarks").
"""
import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

RING_DIR_TO_POD = 0
RING_DIR_TO_RUNNER = 1


def _candidates():
    env = os.environ.get('POD_RING_LIB')
    if env:
        yield env
    yield os.path.join(_HERE, '..', '..', '..', '01-ring', 'build', 'libring.so')
    yield 'libring.so'


def load():
    """Load libring.so and declare the functions the SDK uses."""
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append('%s: %s' % (path, e))
    else:
        raise OSError('cannot load libring.so (set POD_RING_LIB): ' + '; '.join(errors))
    vp, u32, i32, i64, sz = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_int64,
                             ctypes.c_size_t)
    sigs = {
        'ring_shm_attach_fd': (i32, [i32, ctypes.POINTER(vp)]),
        'ring_shm_ring': (vp, [vp, i32]),
        'ring_shm_capacity': (u32, [vp]),
        'ring_shm_destroy': (None, [vp]),
        'ring_write': (i32, [vp, vp, u32]),
        'ring_write_batch': (i32, [vp, vp, ctypes.c_uint]),
        'ring_read': (i32, [vp, vp, u32]),
        'ring_read_batch': (i32, [vp, vp, sz, vp, ctypes.c_uint]),
        'ring_free': (i64, [vp]),
        'ring_used': (i64, [vp]),
        'ring_max_frame': (u32, [vp]),
        'ring_prepare_wait': (i32, [vp]),
        'ring_cancel_wait': (None, [vp]),
        'ring_need_wakeup': (i32, [vp]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib
