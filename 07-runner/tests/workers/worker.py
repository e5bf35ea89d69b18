# worker.py — the Python test worker of 07-runner's end-to-end suite.
#
# Layer 07 (runner), tests. Run by podrun as a Python worker (system python3,
# the 02-ipc Python SDK on the path). One command per run, like the native
# worker; prints "ok ..." on success, "error: ..." on stderr and exits 1 when
# the sandbox refused:
#   exit N | read PATH | write PATH | env NAME | run PROG | ffi LIB
#   net HOST PORT (urllib through the pod's proxy) | echo (SDK, until STOP)
import os
import sys


def main(argv):
    # The runner's --pod-socket/--pod-shm-fd come first; the SDK reads them.
    args = [a for a in argv[1:] if not a.startswith("--pod-")]
    if not args:
        print("usage: worker.py CMD [ARGS]", file=sys.stderr)
        return 2
    cmd, rest = args[0], args[1:]
    try:
        if cmd == "exit":
            return int(rest[0])
        if cmd == "read":
            with open(rest[0], "rb") as f:
                print("ok read %d bytes" % len(f.read()))
            return 0
        if cmd == "write":
            with open(rest[0], "w") as f:
                f.write("written by pod\n")
            print("ok wrote %s" % rest[0])
            return 0
        if cmd == "env":
            v = os.environ.get(rest[0])
            print(("ok %s=%s" % (rest[0], v)) if v is not None else "unset %s" % rest[0])
            return 0 if v is not None else 1
        if cmd == "run":
            import subprocess
            r = subprocess.run(rest, capture_output=True)
            print("ok ran %s status %d" % (rest[0], r.returncode))
            return 0
        if cmd == "ffi":
            import ctypes
            ctypes.CDLL(rest[0])
            print("ok loaded %s" % rest[0])
            return 0
        if cmd == "net":
            import urllib.request
            # Through the runner's proxy explicitly: NO_PROXY names localhost
            # (the pod's own loopback), the upstream is the runner's.
            proxy = os.environ.get("HTTP_PROXY", "")
            for name in ("NO_PROXY", "no_proxy"):  # urllib checks them even so
                os.environ.pop(name, None)
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
            url = "http://%s:%s/" % (rest[0], rest[1])
            with opener.open(url, timeout=10) as r:
                print("ok net %d %s" % (r.status, r.read().decode().strip()))
            return 0
        if cmd == "echo":
            import pod
            w = pod.connect()  # takes --pod-socket/--pod-shm-fd from sys.argv
            for msg in w:      # until the runner says STOP
                w.send(msg)
            return 0
    except Exception as e:  # the sandbox's answer, for the test to check
        print("error: %s %s: %s" % (cmd, " ".join(rest), e), file=sys.stderr)
        return 1
    print("error: unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
