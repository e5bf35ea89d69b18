#!/usr/bin/env bash
# demo.sh — the Pod/Runner demo: example pods under an example policy.
#
# `make -C 07-runner run` builds podrun and the examples, then runs this. As root,
# or as an ordinary user (podrun runs rootless then, see docs/rootless.md).
# It starts two tiny upstream HTTP servers on 127.0.0.1 (random ports), runs the
# example workers (Python, Bun, C-lib, native) under policies/demo.json plus a
# few flags that name this machine's paths, and shows allow, warn and deny for
# each of the five categories:
#
#   net  the Python worker fetches the upstream servers through the runner's
#        proxy: localhost:PORT (allow), 127.0.0.1:PORT2 (warn), and blocked.example
#        (deny). Two ports: the proxy also decides on the resolved address, so
#        one port named twice would make the "allowed" request a warned one
#   fs   reads data/public.txt (allow), data/notes.txt (warn), data/secret.txt
#        (deny), and writes into an allowed, a warned and a denied directory
#   run  runs uname (allow), date (warn) and id (deny)
#   env  sees LANG (allow) and HOME (warn), not AWS_SECRET_ACCESS_KEY (deny)
#   ffi  the Bun worker loads libz (allow) and liblzma (warn) with bun:ffi; the
#        C-lib zinfo.so, which links libz, cannot start when libz is denied
#
# Then it prints a summary table built from what the workers saw and from the
# audit logs (--audit, JSON lines), and exits 0 only when every cell is as
# expected: the worker saw the policy's outcome, warn and deny cells have their
# event, and no allow cell has a warn or deny event for the same target.
# Everything it creates lives in one temporary directory, removed on exit,
# together with the upstream servers.
#
# Environment: PODRUN (default ../07-runner/build/podrun), DEMO_VERBOSE=1 shows
# the runner's own log lines too.
set -euo pipefail

EX=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$EX")
PODRUN=${PODRUN:-${PODRUN_BIN:-$TOP/07-runner/build/podrun}}
T=$(mktemp -d /tmp/pod-demo.XXXXXX)
UPSTREAM_PIDS=()

cleanup() {
  local pid
  for pid in "${UPSTREAM_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -t 1 ]]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }

# Run one pod: NAME, then podrun arguments. Its stdout goes to $T/NAME.out (and
# the screen), the runner's stderr to $T/NAME.err, the audit log to $T/NAME.jsonl;
# its stdin is $POD_STDIN (default /dev/null).
pod() {
  local name=$1; shift
  local rc=0
  local shown="$*"
  shown=${shown/"${POLICY[*]}"/\$POLICY}
  printf '$ podrun run %s\n' "$shown" | sed "s#$EX/##g; s#$T#\$TMP#g"
  "$PODRUN" run --audit "$T/$name.jsonl" ${ROOTLESS:+--audit-best-effort} "$@" >"$T/$name.out" 2>"$T/$name.err" <"${POD_STDIN:-/dev/null}" || rc=$?
  sed 's/^/    /' "$T/$name.out"
  if [[ ${DEMO_VERBOSE:-0} == 1 || $rc -gt 1 ]]; then
    sed 's/^/    [stderr] /' "$T/$name.err"   # everything, also when the runner failed
  else
    grep -E '^pod: ' "$T/$name.err" | sed 's/^/    [pod] /' || true
  fi
  echo "    (exit $rc)"
  echo "$rc" >"$T/$name.rc"
}

# ---- 1. what we need -------------------------------------------------------------
if [[ ! -x $PODRUN ]]; then
  echo "demo: podrun not found at $PODRUN (make -C 07-runner)" >&2
  exit 1
fi
if [[ ! -f $EX/build/echo.so || ! -f $EX/build/zinfo.so || ! -x $EX/build/native_worker ]]; then
  make --no-print-directory -C "$EX" >/dev/null
fi
# As an ordinary user podrun runs rootless (docs/rootless.md): the same cells,
# but no eBPF, so warned and denied file access is not reported (the summary
# says so).
ROOTLESS=
if [[ $EUID -ne 0 ]]; then
  ROOTLESS=1
  echo "demo: not root: podrun runs rootless (no eBPF: warned and denied file access is not reported)"
fi

# This machine's paths of two libraries, as the loader finds them (directory
# canonical: /usr/lib/... on a merged-/usr system).
lib_path() {
  local p
  p=$(/sbin/ldconfig -p | awk -v n="$1" '$1 == n && /x86-64|AArch64|64bit/ { print $NF; exit }')
  [[ -n $p ]] || p=$(/sbin/ldconfig -p | awk -v n="$1" '$1 == n { print $NF; exit }')
  [[ -n $p ]] && echo "$(cd "$(dirname "$p")" && pwd -P)/$(basename "$p")"
}
LIBZ=$(lib_path libz.so.1)
LZMA=$(lib_path liblzma.so.5)

# ---- 2. the upstream servers (loopback, random ports) -------------------------------
python3 "$EX/upstream.py" "$T/port" &
UPSTREAM_PIDS+=($!)
python3 "$EX/upstream.py" "$T/port2" &
UPSTREAM_PIDS+=($!)
for _ in $(seq 200); do [[ -s $T/port && -s $T/port2 ]] && break; sleep 0.05; done
PORT=$(cat "$T/port")
PORT2=$(cat "$T/port2")

# Directories the pods write into (root-owned: each pod writes as its own host uid).
mkdir -p "$T/out/locked" "$T/warned"
chmod 1777 "$T/out" "$T/out/locked" "$T/warned"

# The environment the runner starts from (the env policy picks from it).
export LANG=C.UTF-8 HOME=/root DEMO_GREETING=hello AWS_SECRET_ACCESS_KEY=demo-not-a-real-key

POLICY=(--policy "$EX/policies/demo.json"
  --allow-net="localhost:$PORT" --warn-net="127.0.0.1:$PORT2"
  --allow-read="$EX/data/public.txt" --warn-read="$EX/data/notes.txt" --deny-read="$EX/data/secret.txt"
  --allow-write="$T/out" --warn-write="$T/warned" --deny-write="$T/out/locked")

echo "Pod/Runner demo — upstream servers on 127.0.0.1:$PORT and 127.0.0.1:$PORT2"
echo "\$POLICY = ${POLICY[*]}" | sed "s#$EX/##g; s#$T#\$TMP#g"

# ---- 3. the pods ------------------------------------------------------------------------
say "Python worker: net, fs, run, env"
pod python "${POLICY[@]}" "$EX/python/worker.py" act \
  "net=http://localhost:$PORT/allowed" "net=http://127.0.0.1:$PORT2/warned" "net=http://blocked.example/denied" \
  "read=$EX/data/public.txt" "read=$EX/data/notes.txt" "read=$EX/data/secret.txt" \
  "write=$T/out/ok.txt" "write=$T/warned/w.txt" "write=$T/out/locked/no.txt" \
  run=/usr/bin/uname run=/usr/bin/date run=/usr/bin/id \
  env=LANG env=HOME env=AWS_SECRET_ACCESS_KEY

say "Bun worker: ffi through bun:ffi (the preload asks the runner)"
pod bun "${POLICY[@]}" --allow-ffi="$LIBZ" --warn-ffi="$LZMA" "$EX/bun/worker.ts" act \
  "ffi=$LIBZ#zlibVersion" "ffi=$LZMA#lzma_version_string" env=DEMO_GREETING

say "C-lib worker zinfo.so (links libz) in service mode: libz allowed, then denied"
printf 'hello pod\n' >"$T/in.txt"
POD_STDIN=$T/in.txt pod zinfo_allowed "${POLICY[@]}" --allow-ffi="$LIBZ" "$EX/build/zinfo.so"
POD_STDIN=$T/in.txt pod zinfo_denied "${POLICY[@]}" --deny-ffi="$LIBZ" "$EX/build/zinfo.so"

say "C-lib worker echo.so in service mode: one message per stdin line"
printf '$ printf "hello\\nworld\\n" | podrun run --policy policies/service.json build/echo.so\n'
printf 'hello\nworld\n' | "$PODRUN" run --policy "$EX/policies/service.json" --audit "$T/echo.jsonl" ${ROOTLESS:+--audit-best-effort} \
  "$EX/build/echo.so" >"$T/echo.out" 2>"$T/echo.err" || true
sed 's/^/    /' "$T/echo.out"

say "Native worker: the LD_AUDIT library asks the runner about dlopen()"
pod native "${POLICY[@]}" --warn-ffi="$LZMA" "$EX/build/native_worker" act \
  "read=$EX/data/public.txt" "ffi=$LZMA#lzma_version_string" env=LANG

# ---- 4. the summary -----------------------------------------------------------------------
say "Summary"
rc=0
python3 - "$T" "$PORT" "$PORT2" "$EX" "$LIBZ" "$LZMA" "${ROOTLESS:-0}" <<'PY' || rc=$?
import json, os, sys

T, PORT, PORT2, EX, LIBZ, LZMA = sys.argv[1:7]
ROOTLESS = sys.argv[7] == "1"
# rootless: no eBPF, so file access is decided as written but neither a warned
# nor a denied one is reported
LOST = {("fs", "warn"), ("fs", "deny")} if ROOTLESS else set()

def results(name):
    """RESULT lines of a pod: {(cat, target): ok?}"""
    out = {}
    path = os.path.join(T, name + ".out")
    for line in open(path) if os.path.exists(path) else []:
        f = line.split(" ", 4)
        if len(f) >= 4 and f[0] == "RESULT":
            out[(f[1], f[2])] = f[3] == "ok"
    return out

def events(name):
    path = os.path.join(T, name + ".jsonl")
    evs = []
    for line in open(path) if os.path.exists(path) else []:
        try:
            evs.append(json.loads(line))
        except ValueError:
            pass
    return evs

def audited(name, cat, action, what):
    return any(e.get("cat") == cat and e.get("action") == action and what in str(e.get("what", ""))
               for e in events(name))

rows = []  # (category, action, how, worker outcome ok?, audit event?, contradicted?)
def expect(cat, action, pod, rcat, target, want_ok, what, how):
    seen = results(pod).get((rcat, target))
    outcome = seen is not None and seen == want_ok
    # an allow cell whose target was in fact warned or denied is not an allow
    contra = action == "allow" and any(audited(pod, cat, a, what) for a in ("warn", "deny"))
    rows.append((cat, action, how, outcome, audited(pod, cat, action, what), contra))

expect("net", "allow", "python", "net", "http://localhost:%s/allowed" % PORT, True, "localhost:%s" % PORT, "GET localhost:%s via proxy" % PORT)
expect("net", "warn", "python", "net", "http://127.0.0.1:%s/warned" % PORT2, True, "127.0.0.1:%s" % PORT2, "GET 127.0.0.1:%s via proxy" % PORT2)
expect("net", "deny", "python", "net", "http://blocked.example/denied", False, "blocked.example", "GET blocked.example -> 403")
for action, f, ok in (("allow", "public.txt", True), ("warn", "notes.txt", True), ("deny", "secret.txt", False)):
    p = "%s/data/%s" % (EX, f)
    expect("fs", action, "python", "read", p, ok, p, "read data/" + f)
for action, p, ok in (("allow", "out/ok.txt", True), ("warn", "warned/w.txt", True), ("deny", "out/locked/no.txt", False)):
    expect("fs", action, "python", "write", "%s/%s" % (T, p), ok, "%s/%s" % (T, p), "write $TMP/" + p)
for action, prog, ok in (("allow", "uname", True), ("warn", "date", True), ("deny", "id", False)):
    expect("run", action, "python", "run", "/usr/bin/" + prog, ok, "/usr/bin/" + prog, "run /usr/bin/" + prog)
for action, var, ok in (("allow", "LANG", True), ("warn", "HOME", True), ("deny", "AWS_SECRET_ACCESS_KEY", False)):
    expect("env", action, "python", "env", var, ok, var if action != "deny" else "AWS_", "getenv " + var)
expect("ffi", "allow", "bun", "ffi", LIBZ + "#zlibVersion", True, LIBZ, "bun:ffi dlopen libz")
expect("ffi", "warn", "bun", "ffi", LZMA + "#lzma_version_string", True, LZMA, "bun:ffi dlopen liblzma")
zrc = open(os.path.join(T, "zinfo_denied.rc")).read().strip() if os.path.exists(os.path.join(T, "zinfo_denied.rc")) else "?"
zerr = open(os.path.join(T, "zinfo_denied.err")).read() if os.path.exists(os.path.join(T, "zinfo_denied.err")) else ""
# the worker's error names the library and the rule
named = ("pod: ffi denied: %s (rule " % LIBZ) in zerr
rows.append(("ffi", "deny", "zinfo.so needs libz (pod exit %s)" % zrc, zrc not in ("0", "?") and named,
             audited("zinfo_denied", "ffi", "deny", LIBZ), False))

# A cell is good when the worker saw what the policy says; warn and deny must
# also be in the audit log; an allow must not be there as warn or deny.
bad = 0
print("%-4s %-6s %-42s %-10s %s" % ("cat", "action", "what the pod did", "outcome", "audit event"))
print("-" * 76)
for cat, action, how, outcome, ev, contra in rows:
    lost = (cat, action) in LOST and not ev
    need_event = action in ("warn", "deny") and not lost
    good = outcome and (ev or not need_event) and not contra
    bad += not good
    print("%-4s %-6s %-42s %-10s %s" % (cat, action, how[:42], "as policy" if outcome else "UNEXPECTED",
                                         "CONTRADICTS" if contra else "yes" if ev else
                                         "lost (rootless: no eBPF)" if lost else ("MISSING" if need_event else "-")))
print("-" * 76)
cells = {(c, a) for c, a, _h, o, e, x in rows if o and (e or a == "allow" or (c, a) in LOST) and not x}
print("categories x actions shown: %d of 15%s" % (len(cells), "" if not bad else "   (%d row(s) not as expected)" % bad))
sys.exit(1 if bad else 0)
PY
echo
echo "C-lib echo service replied: $(tr '\n' '|' <"$T/echo.out")"
exit $rc
