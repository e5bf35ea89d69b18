# ui_worker.py — the pod of the debug UI end-to-end test (07-runner/debug-ui).
#
# Run by podrun as a Python worker. It tries one request that the policy
# denies (the proxy answers 403 and the runner emits a deny event), then stays
# alive long enough for a browser to watch the pod, and exits 0.
import os
import sys
import time
import urllib.error
import urllib.request

proxy = os.environ.get("HTTP_PROXY", "")
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))
try:
    opener.open("http://denied.invalid/secret", timeout=5)
    print("ui_worker: request was allowed", file=sys.stderr)
except urllib.error.HTTPError as e:
    print("ui_worker: denied with HTTP %d" % e.code)
except OSError as e:
    print("ui_worker: request failed: %s" % e)
sys.stdout.flush()
time.sleep(float(os.environ.get("UI_WORKER_SECONDS", "8")))
