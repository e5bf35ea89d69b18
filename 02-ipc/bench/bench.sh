#!/bin/sh
# bench.sh — 02-ipc benchmark: streaming echo and ping-pong through the full
# IPC (rings + doorbells + control socket) for C, Python and Bun workers, each
# against the same echo over a plain SOCK_SEQPACKET socketpair written in the
# same language, measured in the same run by the same C runner (tests/harness.c
# -q: 64-byte frames with a checked sequence number).
#
# Layer 02-ipc, bench. Run by `make bench` with HARNESS, WORKER_C, BUN,
# PYTHON, POD_RING_LIB set. Prints a table, then one BENCH line per figure.
set -eu
cd "$(dirname "$0")/.."
export PYTHONPATH=python
N_C=${N_C:-10000000} N_PY=${N_PY:-2000000} N_BUN=${N_BUN:-5000000}
N_SP=${N_SP:-300000} ROUNDS=${ROUNDS:-20000}
PYW="$PYTHON tests/workers/worker.py"
BUNW="$BUN run tests/workers/worker.ts"

res() { # res KEY harness-args...: the value of KEY in the RESULT line
	key=$1; shift
	line=$("$HARNESS" -q "$@" 2>/dev/null | grep '^RESULT') || true
	case "$line" in
	"RESULT ok"*) echo "$line" | tr ' ' '\n' | sed -n "s/^$key=//p" ;;
	*) echo "bench: harness $*: $line" >&2; exit 1 ;;
	esac
}

med() { # med KEY harness-args...: median of three runs
	{ res "$@"; res "$@"; res "$@"; } | sort -g | sed -n 2p
}

lines=""
row() { # row LANG K WORKER...
	lang=$1 k=$2 n=$3; shift 3
	ring=$(med rate -k "$k" echo "$n" 64 -- "$@" echo)
	sp=$(med rate -k "$k" sp-echo "$N_SP" 64 -- "$@" sp-echo)
	pp=$(POD_SPIN_US=0 med ns -k "$k" pingpong "$ROUNDS" 64 -- "$@" echo1)
	pps=$(POD_SPIN_US=50 med ns -k "$k" pingpong "$ROUNDS" 64 -- "$@" echo1)
	spp=$(med ns -k "$k" sp-pingpong "$ROUNDS" 64 -- "$@" sp-echo)
	printf '%-7s %14.0f %14.0f %8.1fx %12.0f %12.0f %12.0f %8.2f\n' "$lang" "$ring" "$sp" \
		"$(echo "$ring $sp" | awk '{print $1/$2}')" "$pp" "$pps" "$spp" \
		"$(echo "$pp $spp" | awk '{print $1/$2}')"
	lines="$lines$(echo "$ring $sp $lang" | awk '{printf "BENCH 02-ipc echo_stream_64B_%s %.0f msgs/s vs=socketpair_%s ratio=%.2f", $3, $1, $3, $1/$2}')
$(echo "$pp $spp $lang" | awk '{printf "BENCH 02-ipc pingpong_64B_%s %.0f ns vs=socketpair_%s ratio=%.2f", $3, $1, $3, $1/$2}')
"
}

echo "02-ipc: 64-byte frames, C runner (tests/harness.c), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "echo: streaming, batches of up to 256; rtt: one frame at a time, median of 3 runs each;"
echo "'spin50': the worker polls an empty ring 50 us before sleeping (POD_SPIN_US=50, not the default)"
printf '%-7s %14s %14s %9s %12s %12s %12s %8s\n' worker "ring msgs/s" "sockpair msgs/s" ratio \
	"ring rtt ns" "spin50 ns" "sockpair ns" ratio
row c 1 "$N_C" "$WORKER_C"
row python 2 "$N_PY" $PYW
row bun 3 "$N_BUN" $BUNW
printf '%s' "$lines"
