# ffi_probe.py — Python side of the FFI gate tests (07-runner/ldaudit).
# Run as: python3 -I boot/podboot.py ffi_probe.py LIB...  (POD_FFI_GATE=1)
# For each library prints "ok <name>", "denied <message>" (PermissionError from
# the audit hook) or "fail <arg>" (the loader refused).
import ctypes
import sys

for lib in sys.argv[1:]:
    try:
        h = ctypes.CDLL(lib)
        fn = getattr(h, "ffi_lib_name", None)
        if fn is None:  # a system library
            print("ok loaded", lib)
        else:
            fn.restype = ctypes.c_char_p
            print("ok", fn().decode())
    except PermissionError as e:
        print("denied", e)
    except OSError:
        print("fail", lib)
    sys.stdout.flush()
