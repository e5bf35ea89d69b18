#!/usr/bin/env bash
# .mk/try-break.sh — run a "break it on purpose" exercise of a chapter, for real.
#
#   try-break.sh LAYER FILE SED-EXPR EXPECT -- COMMAND...
#
# Copies the repository's sources (no build outputs) to a temporary tree, applies
# SED-EXPR to LAYER/FILE there (the line must change), runs COMMAND in LAYER of the
# copy, and succeeds only when COMMAND FAILS and its output matches the regular
# expression EXPECT: the test of the chapter catches the bug the reader introduced.
# The reader's own tree is never touched. Used by the layers' `make try`.
set -euo pipefail
[[ $# -ge 6 && $5 == -- ]] || { echo "usage: $0 LAYER FILE SED-EXPR EXPECT -- COMMAND..." >&2; exit 2; }
layer=$1 file=$2 expr=$3 expect=$4; shift 5
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
T=$(mktemp -d /tmp/pod-try.XXXXXX)
trap 'rm -rf "$T"' EXIT
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -C "$T" -xf -
rm -f "$T/.deps"; [[ -e $TOP/.deps ]] && ln -s "$(readlink -f "$TOP/.deps")" "$T/.deps"
cp "$T/$layer/$file" "$T/orig"
sed -i "$expr" "$T/$layer/$file"
cmp -s "$T/orig" "$T/$layer/$file" && { echo "try: '$expr' changed nothing in $layer/$file" >&2; exit 1; }
echo "  TRY      $layer/$file: $(diff "$T/orig" "$T/$layer/$file" | grep '^>' | head -1 | sed 's/^> *//')"
if (cd "$T/$layer" && "$@") >"$T/out" 2>&1; then
  tail -20 "$T/out" >&2; echo "try: the broken $layer still passed: $*" >&2; exit 1
fi
grep -Eq -- "$expect" "$T/out" || { tail -30 "$T/out" >&2; echo "try: failed, but without '$expect'" >&2; exit 1; }
echo "  CAUGHT   $(grep -Em1 -- "$expect" "$T/out" | cut -c1-110)"
