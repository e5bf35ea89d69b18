#!/usr/bin/env bash
# .mk/test-relocate.sh — the built tree and the installed tree run from anywhere.
#
# Run by `make test` after the layers (so the tree is built). As root:
#   1. no built binary holds the tree's absolute path (the plain build: what is
#      installed and moved; sanitizer and fuzzing builds are test tools);
#   2. `make install DESTDIR=... PREFIX=/opt/podrun`, then the staged tree is
#      moved to another directory;
#   3. the built tree is copied, and the copy moved;
#   4. in a private mount namespace the original tree is hidden under an empty
#      tmpfs (as if deleted), then: the moved install runs a native and a Python
#      pod (the Python SDK must come from the install), and the moved copy runs
#      the demo and two cases of the 07 suite (kinds, native).
# Unprivileged it prints SKIP (and fails with POD_REQUIRE_PRIVILEGED=1) after
# step 1. Everything it creates lives in one temporary directory.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$TOP"
fail() { echo "FAIL: relocate: $*" >&2; exit 1; }

# 1. no binary names the build tree
bad=$(find . -path ./.deps -prune -o -path ./.git -prune -o -path '*/build/san' -prune \
        -o -path '*/build/fuzz' -prune -o -type f -path '*/build/*' \
        \( -name '*.so' -o -name '*.a' -o -perm -u+x \) -print |
      while read -r f; do grep -qaF "$TOP" "$f" && echo "$f"; done || true)
[[ -z $bad ]] || fail "the tree's path $TOP is compiled into: $bad"
echo "  OK       no built binary holds $TOP"

if [[ $(id -u) != 0 ]] || ! unshare -m true 2>/dev/null; then
  [[ ${POD_REQUIRE_PRIVILEGED:-0} == 1 ]] && fail "needs root for a private mount namespace"
  echo "SKIP: relocate: moving the tree needs root (a private mount namespace hides the original)"
  exit 0
fi

T=$(mktemp -d /tmp/pod-relocate.XXXXXX)
trap 'rm -rf "$T"' EXIT

# 2. install, staged, then moved
.mk/install.sh "$T/stage" /opt/podrun >/dev/null   # what `make install` runs once built
mv "$T/stage/opt/podrun" "$T/installed"
# 3. the built tree (sources and build outputs; not .git, not the docs site), copied then moved
mkdir "$T/copy-a"
tar -C "$TOP" --exclude=./.git --exclude=./.deps --exclude=./docs/html -cf - . | tar -C "$T/copy-a" -xf -
mkdir "$T/copy-a/.deps"
mv "$T/copy-a" "$T/tree"

# 4. hide the original and run the copies. Bun is a fetched dependency, not a
#    file of the tree: the copy sees the original's .deps through a bind mount.
cat >"$T/inner.sh" <<'INNER'
set -euo pipefail
TOP=$1 T=$2
deps=$(readlink -f "$TOP/.deps" || true)
[[ -n $deps && -d $deps ]] && mount --bind "$deps" "$T/tree/.deps"
mount -t tmpfs -o size=1m,mode=000 relocate-hidden "$TOP"
[[ ! -e $TOP/07-runner ]] || { echo "FAIL: relocate: the original is still visible" >&2; exit 1; }
cd "$T"
P=$T/installed/bin/podrun
out=$("$P" run --allow-read=/etc/hostname -- /bin/cat /etc/hostname)
[[ $out == "$(cat /etc/hostname)" ]] || { echo "FAIL: relocate: installed native pod: $out" >&2; exit 1; }
# stdout holds the reply; stderr may hold the runner's reports of denied reads
out=$(printf 'hello\n' | "$P" run --serve -- "$T/tree/example/python/worker.py" 2>"$T/py.err") ||
  { echo "FAIL: relocate: installed Python pod: $out $(cat "$T/py.err")" >&2; exit 1; }
[[ $out == py:hello ]] || { echo "FAIL: relocate: installed Python pod (SDK): $out $(cat "$T/py.err")" >&2; exit 1; }
echo "  OK       the moved install runs a native pod and a Python pod on its own SDK"
log=$T/demo.log
if PODRUN=$T/tree/07-runner/build/podrun bash "$T/tree/example/demo.sh" >"$log" 2>&1; then
  echo "  OK       the demo runs in the moved tree"
else
  tail -30 "$log" >&2; echo "FAIL: relocate: the demo in the moved tree" >&2; touch "$T/demo-failed"
fi
R=$T/tree/07-runner
for c in kinds native; do
  (cd "$R" && CK_RUN_CASE=$c PODRUN_BIN=$R/build/podrun PODRUN_WORKERS=$R/build/workers \
    PODRUN_TESTS=$R/tests PODRUN_SAN=0 PODRUN_TOP=$T/tree build/tests/check_podrun) ||
    { echo "FAIL: relocate: 07 tests ($c) in the moved tree" >&2; exit 1; }
done
echo "  OK       07 tests (kinds, native) pass in the moved tree"
INNER
rc=0
unshare -m --propagation private bash "$T/inner.sh" "$TOP" "$T" || rc=$?
if [[ -e $T/demo-failed ]]; then
  # tell a relocation problem from a demo that fails anywhere
  if bash "$TOP/example/demo.sh" >"$T/demo-here.log" 2>&1; then
    echo "FAIL: relocate: the demo passes in $TOP but not in the moved tree" >&2
  else
    echo "FAIL: relocate: the demo fails in $TOP too (make -C 07-runner run): not a relocation problem" >&2
  fi
  rc=1
fi
exit $rc
