# chromium.sh — shared by the debug UI browser tests: find Bun and Chromium,
# start a headless Chromium with a DevTools port, stop it. Sourced, not run.
# chromium_require prints SKIP (or fails under POD_REQUIRE_PRIVILEGED=1) when
# Chromium or Bun is missing.
BUN=${BUN:-$top/.deps/bun/node_modules/.bin/bun}
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}

chromium_require() {
  local why=
  [[ -x $CHROMIUM ]] || why="chromium not installed"
  [[ -x $BUN ]] || why="bun not installed"
  [[ -z $why ]] && return 0
  if [[ ${POD_REQUIRE_PRIVILEGED:-} == 1 ]]; then echo "FAIL: $why" >&2; exit 1; fi
  echo "SKIP: $why"
  return 1
}

chromium_start() {
  CHROME_DIR=$(mktemp -d /tmp/pod-dbgui-chrome.XXXXXX)
  # Its own session (setsid): Chromium forks helpers, and stopping it must stop
  # them all before its profile folder can be removed.
  # TMPDIR: with --disable-dev-shm-usage its shared memory files go to the
  # temporary directory; inside $CHROME_DIR they are removed with it.
  TMPDIR="$CHROME_DIR" setsid "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$CHROME_DIR" --remote-debugging-port=0 \
    about:blank > "$CHROME_DIR/log" 2>&1 &
  CHROME_PID=$!
  for _ in $(seq 300); do  # up to 30 s: a busy machine starts it slowly
    [[ -s $CHROME_DIR/DevToolsActivePort ]] && break
    sleep 0.1
  done
  CDP_PORT=$(head -n1 "$CHROME_DIR/DevToolsActivePort" 2>/dev/null || true)
  [[ -n $CDP_PORT ]] || { echo "chromium did not start:" >&2; cat "$CHROME_DIR/log" >&2; return 1; }
}

chromium_stop() {
  if [[ -n ${CHROME_PID:-} ]]; then
    kill -TERM -- "-$CHROME_PID" 2>/dev/null || kill "$CHROME_PID" 2>/dev/null || true
    wait "$CHROME_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$CHROME_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CHROME_PID" 2>/dev/null || true
  fi
  if [[ -n ${CHROME_DIR:-} ]]; then
    rm -rf "$CHROME_DIR" 2>/dev/null || { sleep 0.5; rm -rf "$CHROME_DIR" 2>/dev/null; } ||
      echo "note: could not remove $CHROME_DIR" >&2
  fi
  CHROME_PID= CHROME_DIR=
  return 0
}
