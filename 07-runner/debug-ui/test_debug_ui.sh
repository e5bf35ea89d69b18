#!/usr/bin/env bash
# test_debug_ui.sh — end-to-end test of the debug UI with a real pod and a real
# browser (07-runner/debug-ui). 07-runner's `make test` runs it.
#
# Starts `podrun run --debug-ui=127.0.0.1:PORT` on a Python worker whose HTTP
# request the policy denies, opens the page in headless Chromium, waits until a
# deny event appears in the decisions table, and saves a screenshot as a test
# artifact (07-runner/build/debug-ui.png). Fails otherwise.
# Env: PODRUN_BIN (default 07-runner/build/podrun).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
podrun=${PODRUN_BIN:-$top/07-runner/build/podrun}
art=$top/07-runner/build
. "$here/chromium.sh"
chromium_require || exit 0
if [[ $EUID -ne 0 ]]; then
  [[ ${POD_REQUIRE_PRIVILEGED:-} == 1 ]] && { echo "FAIL: needs root" >&2; exit 1; }
  echo "SKIP: debug UI end-to-end test needs root (podrun builds namespaces)"; exit 0
fi
[[ -x $podrun ]] || { echo "FAIL: $podrun not built" >&2; exit 1; }
mkdir -p "$art"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp /tmp/pod-dbgui-e2e.XXXXXX)
UI_WORKER_SECONDS=15 "$podrun" run --debug-ui="127.0.0.1:$port" --allow-env=UI_WORKER_SECONDS \
  --warn-net=localhost:9 -- "$here/ui_worker.py" > "$log.out" 2> "$log" &
pod=$!
# The trap ends the pod early (SIGTERM); its status is not this test's result.
cleanup() { kill "$pod" 2>/dev/null || true; wait "$pod" 2>/dev/null || true; chromium_stop; rm -f "$log" "$log.out"; }
trap cleanup EXIT

# podrun prints the page's address on stderr once it serves.
for _ in $(seq 100); do grep -q "http://127.0.0.1:$port/" "$log" && break; sleep 0.1; done
grep -q "http://127.0.0.1:$port/" "$log" || { echo "FAIL: podrun did not announce the debug UI:" >&2; cat "$log" >&2; exit 1; }

chromium_start
if ! "$BUN" "$here/cdp_check.ts" "$CDP_PORT" "http://127.0.0.1:$port/" "$art/debug-ui.png" 20; then
  echo "--- podrun stderr:" >&2; cat "$log" >&2; exit 1
fi
echo "debug-ui e2e: screenshot saved to $art/debug-ui.png"
