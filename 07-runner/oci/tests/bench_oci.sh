#!/usr/bin/env bash
# 07-runner/oci/tests/bench_oci.sh — BENCH oci_run_true: `podman run --rm
# --rootfs DIR /bin/true` with podrun-oci as the runtime vs the same command
# with podman's default runtime on this machine (runc), measured in the same
# run, interleaved, median of N (OCI_BENCH_N, default 10).
#
#   BENCH 07-runner oci_run_true <ms> ms vs=runc ratio=<podrun-oci/runc>
set -uo pipefail
source "$(dirname "$0")/lib.sh"
need_env
make_rootfs
N=${OCI_BENCH_N:-10}
PEER=$(command -v runc || command -v crun) || skip_or_fail "no runc or crun for the peer"
peer_name=$(basename "$PEER")
ARGS=(run --rm --network none "${PODMAN_ULIMITS[@]}" --rootfs "$ROOTFS" /bin/true)

ms_of() { # runtime -> elapsed ms of one run, or "x" on failure
	local t0 t1
	t0=$(date +%s%N)
	podman --runtime "$1" "${ARGS[@]}" >/dev/null 2>&1 || { echo x; return; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ms_of "$PODRUN_OCI" >/dev/null; ms_of "$PEER" >/dev/null   # warm-up (podman's storage, caches)
ours=(); theirs=()
for ((i = 0; i < N; i++)); do
	ours+=("$(ms_of "$PODRUN_OCI")")
	theirs+=("$(ms_of "$PEER")")
done
if [[ " ${ours[*]} ${theirs[*]} " == *" x "* ]]; then
	echo "FAIL: a run failed (podrun-oci: ${ours[*]}; $peer_name: ${theirs[*]})"
	exit 1
fi
a=$(printf '%s\n' "${ours[@]}" | median)
b=$(printf '%s\n' "${theirs[@]}" | median)
printf '%-34s %10s %10s\n' "podman run --rm --rootfs /bin/true" "podrun-oci" "$peer_name"
printf '%-34s %8.1f ms %8.1f ms   (median of %d)\n' "" "$(awk -v x="$a" "BEGIN{print x/1000}")" "$(awk -v x="$b" "BEGIN{print x/1000}")" "$N"
awk -v a="$a" -v b="$b" -v p="$peer_name" \
	'BEGIN { printf "BENCH 07-runner oci_run_true %.1f ms vs=%s ratio=%.2f\n", a / 1000, p, a / b }'
