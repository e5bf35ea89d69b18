#!/usr/bin/env bash
# .mk/test-check-refs.sh — check-refs.py really fails on a broken reference.
#
# Run by `make test` (check-tree), next to check-refs.py itself: a temporary
# repository with a link to a missing file and a mention of a design note that is
# not in the repository must make the checker fail and name both.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
T=$(mktemp -d /tmp/pod-check-refs.XXXXXX)
trap 'rm -rf "$T"' EXIT
git init -q "$T"
mkdir -p "$T/.mk" "$T/docs"
cp "$TOP/.mk/check-refs.py" "$T/.mk/"
printf '# ok\n\n[here](ok.md) and [gone](gone.md)\n' >"$T/docs/ok.md"
note="CONVEN""TIONS.md"  # a design-note name the tree must not hold, built from parts
printf '/* see %s §1 */\n' "$note" >"$T/docs/x.h"
git -C "$T" add -A
if python3 "$T/.mk/check-refs.py" >"$T/out" 2>&1; then
  cat "$T/out" >&2; echo "FAIL: check-refs accepted a broken link" >&2; exit 1
fi
grep -q 'docs/ok.md:3: link to gone.md' "$T/out" && grep -q "docs/x.h:1: refers to $note" "$T/out" ||
  { cat "$T/out" >&2; echo "FAIL: check-refs did not name both problems" >&2; exit 1; }
echo "  OK       check-refs fails on a missing file and on a missing design note"
