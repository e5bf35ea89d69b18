# worker.py — example Python worker for Pod/Runner (example/, see README.md).
#
# Two modes:
#
#   podrun run ... worker.py act CAT=TARGET ...
#       tries each action and prints one line per action:
#           RESULT <cat> <target> ok|failed <detail>
#       CAT is net (a URL, fetched through the runner's proxy), read, write
#       (a path), run (a program), env (a variable) or ffi (a library, with
#       ctypes; "LIB#symbol" also calls a `const char *symbol(void)`).
#       The demo (demo.sh) reads these lines.
#
#   podrun run ... worker.py [serve]
#       a service on the 02-ipc Python SDK (module `pod`): every message from
#       the runner is answered with b"py:" + the message, until STOP; a message
#       "act CAT=TARGET" runs that action and is answered with its RESULT line.
#
# The pod's network reaches the outside only through the runner's proxy
# (HTTP_PROXY in the environment). NO_PROXY lists localhost, which means "the
# pod's own loopback"; to ask the proxy for the runner-side loopback server of
# the demo, this worker sends every URL to the proxy explicitly.
import ctypes
import os
import subprocess
import sys
import urllib.error
import urllib.request


def act_net(url):
    proxy = os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")
    for name in ("NO_PROXY", "no_proxy"):  # urllib would bypass the proxy for localhost
        os.environ.pop(name, None)
    handler = urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})
    opener = urllib.request.build_opener(handler)
    try:
        with opener.open(url, timeout=10) as r:
            body = r.read(200).decode("utf-8", "replace").strip().replace("\n", " ")
            return r.status == 200, "%d %s" % (r.status, body[:60])
    except urllib.error.HTTPError as e:
        return False, "%d %s" % (e.code, e.reason)
    except (urllib.error.URLError, OSError) as e:
        return False, str(getattr(e, "reason", e))


def act_read(path):
    with open(path, "rb") as f:
        return True, "%d bytes" % len(f.read())


def act_write(path):
    with open(path, "w") as f:
        f.write("written by a pod\n")
    return True, "wrote %s" % path


def act_run(program):
    r = subprocess.run([program], capture_output=True, timeout=10)
    out = r.stdout.decode("utf-8", "replace").strip().splitlines()
    return r.returncode == 0, "exit %d %s" % (r.returncode, out[0][:60] if out else "")


def act_env(name):
    value = os.environ.get(name)
    return value is not None, "set" if value is not None else "not in the environment"


def act_ffi(spec):
    lib, _, symbol = spec.partition("#")
    h = ctypes.CDLL(lib)
    if not symbol:
        return True, "loaded"
    fn = getattr(h, symbol)
    fn.restype = ctypes.c_char_p
    return True, "%s() = %s" % (symbol, fn().decode())


ACTIONS = {"net": act_net, "read": act_read, "write": act_write, "run": act_run,
           "env": act_env, "ffi": act_ffi}


def act(args):
    for arg in args:
        print(one_action(arg), flush=True)


def one_action(arg):
    """Run one CAT=TARGET action; return its RESULT line."""
    cat, _, target = arg.partition("=")
    if cat not in ACTIONS:
        return "RESULT ? %s failed unknown action" % arg
    try:
        ok, detail = ACTIONS[cat](target)
    except PermissionError as e:
        ok, detail = False, "PermissionError: %s" % e
    except Exception as e:  # report every failure, keep going
        ok, detail = False, "%s: %s" % (type(e).__name__, e)
    return "RESULT %s %s %s %s" % (cat, target, "ok" if ok else "failed", detail)


def serve():
    """Answer b"py:" + message; a message "act CAT=TARGET" runs that action and
    answers with its RESULT line (the Bun supervisor example uses both)."""
    import pod  # the 02-ipc Python SDK, on sys.path inside the pod

    w = pod.connect()  # reads --pod-socket / --pod-shm-fd from sys.argv
    try:
        for msg in w:
            data = bytes(msg)
            if data.startswith(b"act "):
                w.send(one_action(data[4:].decode("utf-8", "replace")).encode())
            else:
                w.send(b"py:" + data)
    finally:
        w.close()


if __name__ == "__main__":
    # the runner puts its SDK arguments (--pod-socket=..., --pod-shm-fd=...)
    # right after the script: the mode is the first other argument
    args = [a for a in sys.argv[1:] if not a.startswith("--pod-")]
    if args and args[0] == "act":
        act(args[1:])
    else:
        serve()
