#!/usr/bin/env bash
# .mk/test-docs-gate.sh — the API reference fails when it is incomplete.
#
# Run by `make test` (check-tree). Copies the documentation inputs (chapters and
# public headers) to a temporary tree and runs Doxygen with docs/Doxyfile there:
#   1. as they are: must succeed (the reference is complete);
#   2. with one undocumented prototype added to 01-ring/include/ring.h: must fail
#      and name it (WARN_IF_UNDOCUMENTED + WARN_AS_ERROR really stop the build).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
T=$(mktemp -d /tmp/pod-docs-gate.XXXXXX)
trap 'rm -rf "$T"' EXIT
command -v doxygen >/dev/null || { echo "FAIL: docs gate: doxygen is not installed (make deps)" >&2; exit 1; }

copy() {
  mkdir -p "$1"
  (cd "$TOP" && git ls-files -z --cached --others --exclude-standard -- '*.md' '*.h' '*.dot' '*.json' docs/Doxyfile |
    tar --null -T - -cf -) | tar -C "$1" -xf -
}
copy "$T/ok"
(cd "$T/ok" && doxygen docs/Doxyfile >"$T/ok.log" 2>&1) ||
  { cat "$T/ok.log" >&2; echo "FAIL: docs gate: the unmodified reference does not build" >&2; exit 1; }
echo "  OK       the reference builds with warnings as errors"

copy "$T/bad"
h=$T/bad/01-ring/include/ring.h
grep -q '^#ifdef __cplusplus$' "$h"
# before the closing extern "C" block: the last `#ifdef __cplusplus` of the header
n=$(grep -n '^#ifdef __cplusplus$' "$h" | tail -1 | cut -d: -f1)
sed -i "${n}i int ring_gate_probe_undocumented(int x);\n" "$h"
if (cd "$T/bad" && doxygen docs/Doxyfile >"$T/bad.log" 2>&1); then
  echo "FAIL: docs gate: an undocumented public function did not fail the build" >&2; exit 1
fi
grep -q 'ring_gate_probe_undocumented' "$T/bad.log" ||
  { cat "$T/bad.log" >&2; echo "FAIL: docs gate: the failure does not name the undocumented function" >&2; exit 1; }
echo "  OK       an undocumented public function fails the reference build"
