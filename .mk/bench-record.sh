#!/usr/bin/env bash
# .mk/bench-record.sh — append one benchmark run to a layer's bench/RESULTS.md.
#
#   bench-record.sh LAYER LOG
#
# Called by the top-level `make bench` with the output of `make -C LAYER bench`.
# Appends a section with the date, the commit, the kernel, the CPU count and the
# run's BENCH lines (docs/contracts.md, "Benchmark lines"), so the chapter keeps
# one current table and the history stays in the results file.
set -euo pipefail
layer=$1 log=$2
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
out=$TOP/$layer/bench/RESULTS.md
lines=$(grep -E '^BENCH ' "$log" || true)
[[ -n $lines ]] || { echo "bench-record: $layer printed no BENCH line" >&2; exit 0; }
mkdir -p "$(dirname "$out")"
[[ -f $out ]] || printf '# %s benchmark results\n\nOldest first; `make bench` appends each run.\n' "$layer" >"$out"
commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$TOP" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ", with local changes" || true)
{
  printf '\n## Run of %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf 'Commit %s%s; kernel %s; %s CPUs.\n\n' "$commit" "$dirty" "$(uname -r)" "$(nproc)"
  printf '```\n%s\n```\n' "$lines"
} >>"$out"
echo "  RESULTS  $layer/bench/RESULTS.md: $(wc -l <<<"$lines") BENCH lines appended"
