#!/usr/bin/env bash
# test_page.sh — the debug UI page in a real headless Chromium, fed by
# dbgui_feed (synthetic audit lines through the real server). Proves the page
# renders a deny event and a host's traffic total from the stream. The end-to-end variant with a real pod
# is test_debug_ui.sh. Usage: test_page.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$here/build}
. "$here/chromium.sh"
chromium_require || exit 0

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/dbgui_feed" "127.0.0.1:$port" 25 > "$build/feed.out" &
feed=$!
trap 'kill $feed 2>/dev/null || true; wait $feed 2>/dev/null || true; chromium_stop' EXIT
for _ in $(seq 50); do [[ -s $build/feed.out ]] && break; sleep 0.1; done
chromium_start
"$BUN" "$here/cdp_check.ts" "$CDP_PORT" "http://127.0.0.1:$port/" "$build/debug-ui-page.png" 20 localhost:8080
