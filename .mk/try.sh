#!/usr/bin/env bash
# .mk/try.sh — run one command of a chapter's "Try this" and check what it printed.
#
#   try.sh [--exit N] [--output FILE] [--expect REGEX]... -- COMMAND...
#
# Runs COMMAND (stdout and stderr together) and fails unless its exit status is N
# (default 0), its output is exactly FILE's content (when given), and every REGEX
# matches a line. Used by the layers' `make try`, so the book's expected output is
# tested on every run.
set -uo pipefail
want=0 file= expects=()
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
  --exit) want=$2; shift 2;;
  --output) file=$2; shift 2;;
  --expect) expects+=("$2"); shift 2;;
  *) echo "try: unknown option $1" >&2; exit 2;;
  esac
done
shift
out=$("$@" 2>&1); rc=$?
fail() { printf '%s\n' "$out" | tail -20 >&2; echo "try: $*: $(printf '%q ' "$@")" >&2; exit 1; }
[[ $rc == "$want" ]] || fail "exit status $rc, expected $want"
if [[ -n $file ]] && ! diff -u "$file" <(printf '%s\n' "$out") >&2; then
  fail "output differs from $file"
fi
for e in "${expects[@]}"; do
  grep -Eq -- "$e" <<<"$out" || fail "no line matches '$e'"
done
echo "  TRY OK   $(printf '%s ' "$@" | cut -c1-90)"
