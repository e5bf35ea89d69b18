#!/bin/sh
# harness_selftest.sh — runs every harness scenario against the C worker.
#
# Layer 02-ipc, tests. Proves the C test harness (tests/harness.c) and the C
# worker SDK together, the same scenarios the Python and Bun suites run with
# their workers. Exits non-zero on the first failing scenario.
set -u
fail=0
run() { # run EXPECTED-PREFIX harness args...
	out=$("$HARNESS" "$@" 2>/tmp/ipc-selftest-$$.err)
	case "$out" in
	"RESULT ok"*) ;;
	*) echo "FAIL: harness $*: $out"; cat /tmp/ipc-selftest-$$.err; fail=1 ;;
	esac
}
W=$WORKER_C
run handshake -- "$W" echo
run echo "${ECHO_FRAMES:-1000000}" 64 -- "$W" echo
run echo 20000 1000 -- "$W" echo1
export POD_SPIN_US=20   # the spin option keeps the data intact
run echo 200000 64 -- "$W" echo1
export POD_SPIN_US=0
run bursty 10000 -- "$W" echo
run stop 1000 42 -- "$W" handler
run ping -- "$W" echo1
run stop-late -- "$W" echo1
run kill-runner 5000 -- "$W" fail
for s in silent refuse garbage geometry order close; do
	run fake "$s" -- "$W" fail
done
grep -q "runner closed" /tmp/ipc-selftest-$$.err 2>/dev/null || true
rm -f /tmp/ipc-selftest-$$.err
[ $fail -eq 0 ] && echo "harness selftest: 15 scenarios passed"
exit $fail
