#!/usr/bin/env bash
# 07-runner/oci/tests/test_oci.sh — podrun-oci end to end.
#
# 1. Conformance subset, through the runtime's own command line: the state
#    transitions creating -> created -> running -> stopped, kill and delete
#    errors, and bad bundles (missing config.json, unknown namespace type,
#    bad JSON with its position, hooks).
# 2. Through a real engine (podman --runtime podrun-oci --rootfs DIR): run,
#    exit code, logs, stop, kill, rm; a net allow and a net deny decided by
#    the annotation's policy with their audit events (checked against the
#    documented schema); the default policy's closed network.
# 3. Nothing left behind: every object of these tests' own pods (supervisor,
#    pod init, cgroups, control socket directory, veth, state) is gone.
#
# Run by `make -C 07-runner/oci test` (and 07-runner's `make test`). Root only;
# SKIP otherwise (FAIL with POD_REQUIRE_PRIVILEGED=1).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
need_env
make_rootfs

fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for x in "$@"; do echo "#   $x"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what" "command: $*"; fi; }

OCI=$PODRUN_OCI
oci() { "$OCI" --root "$STATE" "$@"; }
NAME=podrun-oci-test-$$
AUDITS=()
SERVERS=()
CLEANUP_HOOK=cleanup_all
cleanup_all() {
	local s
	for s in "${SERVERS[@]}"; do kill "$s" 2>/dev/null; done
	pm ps -a --format '{{.Names}}' 2>/dev/null | grep "^$NAME" | xargs -r podman --runtime "$OCI" rm -f >/dev/null 2>&1
	for f in "$T"/cid.*; do [[ -s $f ]] && podman rm -f "$(cat "$f")" >/dev/null 2>&1; done
	for d in "$STATE"/*/; do [[ -d $d ]] && oci delete --force "$(basename "$d")" 2>/dev/null; done
	return 0
}

# A bundle: $1 dir, $2 process.args as JSON, $3 extra top-level JSON members
bundle() {
	mkdir -p "$1"
	cat > "$1/config.json" <<EOF
{"ociVersion":"1.0.2",
 "process":{"args":$2,"env":["PATH=/usr/bin:/bin"],"cwd":"/","user":{"uid":0,"gid":0}},
 "root":{"path":"$ROOTFS"},"hostname":"oci-test",
 "linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"network"},{"type":"ipc"},{"type":"uts"}]}${3:-}}
EOF
}
status_of() { oci state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null; }

# ---- 1. conformance subset -------------------------------------------------------

# missing config.json
mkdir -p "$T/b-empty"
out=$(oci create --bundle "$T/b-empty" c-missing 2>&1); rc=$?
check "missing config.json: create fails and says so" \
	test $rc -ne 0 -a -z "$(ls "$STATE")" -a "${out/config.json: No such file/}" != "$out"

# bad JSON: the position of the error
mkdir -p "$T/b-badjson"
printf '{"ociVersion": "1.0.2",\n "process": {"args": ["/bin/true"]},\n "root": {"path": }\n}\n' \
	> "$T/b-badjson/config.json"
out=$(oci create --bundle "$T/b-badjson" c-bad 2>&1); rc=$?
check "bad JSON: create fails naming line 3, column 19 (the missing value)" \
	test $rc -ne 0 -a "${out/config.json:3:19: bad JSON/}" != "$out"

# refused ID WHAT EXPECTED [SED] [EXTRA]: a bundle (process /bin/true, edited by the
# sed expression SED, with the top-level JSON members EXTRA) whose create must fail,
# say EXPECTED, and leave no state behind
refused() {
	bundle "$T/b-$1" '["/bin/true"]' "${5:-}"
	[[ -n ${4:-} ]] && sed -i "$4" "$T/b-$1/config.json"
	out=$(oci create --bundle "$T/b-$1" "c-$1" 2>&1); rc=$?
	check "$2" test $rc -ne 0 -a "${out/"$3"/}" != "$out" -a -z "$(ls "$STATE")"
}
refused ns "unknown namespace type: refused by name" \
	'unknown namespace type "time-travel"' 's/{"type":"uts"}/{"type":"time-travel"}/'
refused nspath "namespace path (joining): refused" \
	'joining an existing namespace' 's|{"type":"network"}|{"type":"network","path":"/proc/1/ns/net"}|'
refused hooks "hooks: refused" 'hooks (prestart) are not supported' '' \
	',"hooks":{"prestart":[{"path":"/bin/true"}]}'
refused pol "bad policy annotation: refused with its position" 'annotation org.podrun.policy:1:' '' \
	',"annotations":{"org.podrun.policy":"{\"net\":{\"alow\":[]}}"}'
refused mask "maskedPaths beyond the runner's: refused by name" 'maskedPaths entry "/etc/shadow"' \
	's|"namespaces":|"maskedPaths":["/proc/kcore","/etc/shadow"],"namespaces":|'
refused tty "terminal without --console-socket: refused" 'needs --console-socket' \
	's|"process":{|"process":{"terminal":true,|'
refused groups "additionalGids: refused" 'additionalGids is not supported' \
	's|"user":{"uid":0,"gid":0}|"user":{"uid":0,"gid":0,"additionalGids":[10]}|'
refused polfs "policy with fs default deny: refused with the reason" 'fs.read must default to "allow"' '' \
	',"annotations":{"org.podrun.policy":"{\"fs\":{\"default\":\"deny\"}}"}'

# a bad policy file named by the annotation: its own name, line and column;
# --log with --log-format json gets the same error as a JSON line
printf '{\n  "net": {"default": "maybe"}\n}\n' > "$T/bad-policy.json"
bundle "$T/b-polfile" '["/bin/true"]' ",\"annotations\":{\"org.podrun.policy-file\":\"$T/bad-policy.json\"}"
out=$(oci --log "$T/oci.log" --log-format json create --bundle "$T/b-polfile" c-polfile 2>&1); rc=$?
check "bad policy file: refused naming $T/bad-policy.json:2" \
	test $rc -ne 0 -a "${out/bad-policy.json:2:/}" != "$out"
check "--log-format json: the error as a JSON line with level, msg and time" python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).read().splitlines()[-1])
sys.exit(0 if e["level"] == "error" and "bad-policy.json:2:" in e["msg"] and e["time"] else 1)' "$T/oci.log"

out=$(oci exec --process /dev/null c-none 2>&1); rc=$?
check "an unsupported command says so" test $rc -ne 0 -a "${out/exec is not supported/}" != "$out"

# state transitions: creating (create blocks on a FIFO pid file), created,
# running, stopped; then delete
bundle "$T/b-life" '["/bin/sleep","100"]'
mkfifo "$T/life.pid"
oci create --bundle "$T/b-life" --pid-file "$T/life.pid" c-life > "$T/life.out" 2>&1 &
cpid=$!
for i in $(seq 100); do [[ -f $STATE/c-life/state.json ]] && break; sleep 0.05; done
s1=$(status_of c-life)
sup=$(cat "$T/life.pid")
wait $cpid; crc=$?
s2=$(status_of c-life)
check "state: creating while create runs, then created" test "$s1" = creating -a "$s2" = created -a $crc -eq 0
check "state: pid is the supervisor's (from --pid-file)" \
	test "$(oci state c-life | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" = "$sup"
check "state: the spec's fields (ociVersion, id, status, pid, bundle, annotations) and runc's" python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
ok = s["ociVersion"] == "1.0.2" and s["id"] == "c-life" and s["bundle"] == sys.argv[1] and \
     isinstance(s["annotations"], dict) and s["rootfs"] and s["created"].endswith("Z")
sys.exit(0 if ok else 1)' "$T/b-life" < <(oci state c-life)
oci start c-life
s3=$(status_of c-life)
podpid=$(oci state c-life | python3 -c 'import json,sys; print(json.load(sys.stdin)["org.podrun.pod_pid"])')
check "state: running after start" test "$s3" = running -a -d "/proc/$podpid"
out=$(oci start c-life 2>&1); rc=$?
check "start twice: an error" test $rc -ne 0
out=$(oci delete c-life 2>&1); rc=$?
check "delete of a running container without --force: an error" test $rc -ne 0 -a "$(status_of c-life)" = running
oci kill c-life TERM
for i in $(seq 100); do [[ $(status_of c-life) == stopped ]] && break; sleep 0.05; done
code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["org.podrun.exit_code"])' "$STATE/c-life/state.json")
check "state: stopped after kill TERM, exit 143" test "$(status_of c-life)" = stopped -a "$code" = 143
gone() { [[ ! -d /proc/$1 ]] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
for i in $(seq 100); do gone "$sup" && break; sleep 0.02; done
both_gone() { gone "$sup" && [[ ! -d /proc/$podpid ]]; }
check "supervisor and pod gone once stopped" both_gone
out=$(oci kill c-life KILL 2>&1); rc=$?
check "kill of a stopped container: an error" test $rc -ne 0
oci delete c-life
out=$(oci state c-life 2>&1); rc=$?
check "deleted: state says it does not exist" test $rc -ne 0 -a "${out/does not exist/}" != "$out" -a ! -e "$STATE/c-life"

# the supervisor killed with SIGKILL: the pod dies with it, state says
# stopped, delete removes the state, and the next pod's start sweeps what the
# dead runner left (cgroups, control socket directory; the veth went with the
# pod's network namespace)
echo '{"net":{"allow":["localhost:9"]}}' > "$T/crash-policy.json"
bundle "$T/b-crash" '["/bin/sleep","100"]' \
	",\"annotations\":{\"org.podrun.policy-file\":\"$T/crash-policy.json\",\"org.podrun.audit\":\"$T/crash.audit.jsonl\"}"
AUDITS+=("$T/crash.audit.jsonl")
oci create --bundle "$T/b-crash" --pid-file "$T/crash.pid" c-crash > /dev/null 2>&1 && oci start c-crash
for i in $(seq 50); do grep -q '"what":"start"' "$T/crash.audit.jsonl" 2>/dev/null && break; sleep 0.1; done
crash_pod=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("what") == "start": print(e["host_pid"], e.get("veth", "-"))' "$T/crash.audit.jsonl")
kill -KILL "$(cat "$T/crash.pid")"
for i in $(seq 100); do [[ -d /proc/${crash_pod% *} ]] || break; sleep 0.05; done
check "supervisor killed: the pod dies with it (a veth had been made: ${crash_pod#* })" \
	test ! -d "/proc/${crash_pod% *}" -a "${crash_pod#* }" != -
check "supervisor killed: state says stopped" test "$(status_of c-crash)" = stopped
check "supervisor killed: delete removes the state" oci delete c-crash
bundle "$T/b-next" '["/bin/true"]'
oci create --bundle "$T/b-next" c-next > /dev/null 2>&1 && oci start c-next
for i in $(seq 100); do [[ $(status_of c-next) == stopped ]] && break; sleep 0.05; done
oci delete c-next

# ---- 2. through podman -------------------------------------------------------------

# podman's cleanup (its exit command) calls the runtime without --runtime-flag:
# the podman part uses the default state root, and counts only its own ids
PROOT=/run/podrun-oci
RUN=(run --network none "${PODMAN_ULIMITS[@]}")

out=$(pm "${RUN[@]}" --rm --name "$NAME-run" --cidfile="$T/cid.run" --rootfs "$ROOTFS" /bin/sh -c 'echo hello; echo oops >&2; exit 3' 2>&1); rc=$?
check "podman run: output and exit code 3" test $rc -eq 3 -a "${out/hello/}" != "$out" -a "${out/oops/}" != "$out"

# the process fields and binds of config.json, as podman writes them
mkdir -p "$T/vol-ro" "$T/vol-rw"
echo from-host > "$T/vol-ro/f"
chmod 0777 "$T/vol-rw"
out=$(pm "${RUN[@]}" --rm --name "$NAME-cfg" --cidfile="$T/cid.cfg" -e PODRUN_T=v1 -w /tmp --user 65534:65534 \
	--hostname oci-h1 --ulimit nofile=512:512 -v "$T/vol-ro:/data:ro" -v "$T/vol-rw:/out" \
	--rootfs "$ROOTFS" /bin/sh -c 'echo "env=$PODRUN_T cwd=$(pwd) id=$(id -u):$(id -g) host=$(hostname) nofile=$(ulimit -n)";
	 cat /data/f; echo x > /data/g 2>/dev/null || echo ro-refused; echo y > /out/h && echo rw-ok' 2>&1)
check "process env, cwd, user, hostname, rlimit (got: $(echo "$out" | head -1))" \
	test "$(echo "$out" | head -1)" = "env=v1 cwd=/tmp id=65534:65534 host=oci-h1 nofile=512"
check "binds: read-only and read-write volumes" \
	test "${out/from-host/}" != "$out" -a "${out/ro-refused/}" != "$out" -a "${out/rw-ok/}" != "$out" \
	-a "$(cat "$T/vol-rw/h" 2>/dev/null)" = y -a ! -e "$T/vol-ro/g"
out=$(pm "${RUN[@]}" --rm --name "$NAME-memfd" --cidfile="$T/cid.memfd" --rootfs "$ROOTFS" /usr/bin/python3 -c '
import os
fd = os.memfd_create("x", 0)
os.write(fd, open("/usr/bin/true", "rb").read())
try:
    os.execv("/proc/self/fd/%d" % fd, ["x"])
except OSError as e:
    print("refused", e.errno)' 2>&1)
check "a memory file does not run (write xor execute; got: $out)" test "$out" = "refused 13"
check "the image is read-only" pm "${RUN[@]}" --rm --name "$NAME-ro" --cidfile="$T/cid.ro" --rootfs "$ROOTFS" \
	/bin/sh -c '! touch /etc/podrun-oci-probe 2>/dev/null'

# process.terminal (-t): the engine gets a pseudo-terminal, the pod pipes to it
out=$(timeout 60 podman --runtime "$OCI" "${RUN[@]}" --rm -t --name "$NAME-tty" --cidfile="$T/cid.tty" \
	--rootfs "$ROOTFS" /bin/sh -c 'echo hi-tty; test -t 1 || echo pod-sees-pipe; exit 4' | od -An -c | tr -d ' \n')
rc=${PIPESTATUS[0]}
check "terminal: output through the engine's pty (CR LF), exit 4, the pod has no tty" \
	test "$rc" = 4 -a "${out/hi-tty\\r\\npod-sees-pipe\\r\\n/}" != "$out"

pm "${RUN[@]}" -d --name "$NAME-logs" --cidfile="$T/cid.logs" --rootfs "$ROOTFS" /bin/sh -c 'echo line-one; echo line-two >&2' >/dev/null
w=$(pm wait "$NAME-logs")
logs=$(pm logs "$NAME-logs" 2>&1)
check "podman logs: stdout and stderr of the pod, exit 0" \
	test "$w" = 0 -a "${logs/line-one/}" != "$logs" -a "${logs/line-two/}" != "$logs"
pm rm "$NAME-logs" >/dev/null

pm "${RUN[@]}" -d --name "$NAME-stop" --cidfile="$T/cid.stop" --rootfs "$ROOTFS" /bin/sh -c \
	'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
for i in $(seq 50); do pm logs "$NAME-stop" 2>/dev/null | grep -q ready && break; sleep 0.1; done
sid=$(pm inspect "$NAME-stop" --format '{{.ID}}')
ssup=$("$OCI" state "$sid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
pm stop -t 10 "$NAME-stop" >/dev/null
code=$(pm inspect "$NAME-stop" --format '{{.State.ExitCode}}')
check "podman stop: SIGTERM reaches the worker, exit 5" test "$code" = 5 -a "$(pm logs "$NAME-stop" | grep -c got-term)" = 1
pm rm "$NAME-stop" >/dev/null
check "podman rm: the runtime's state and supervisor are gone" test ! -e "$PROOT/$sid" -a ! -d "/proc/$ssup"

pm "${RUN[@]}" -d --name "$NAME-kill" --cidfile="$T/cid.kill" --rootfs "$ROOTFS" /bin/sleep 100 >/dev/null
sleep 0.3
pm kill "$NAME-kill" >/dev/null
w=$(pm wait "$NAME-kill")
check "podman kill: exit 137" test "$w" = 137
pm rm "$NAME-kill" >/dev/null

# linux.resources: memory, pids and cpu limits reach the pod's cgroups
AUD3=$T/res.audit.jsonl; AUDITS+=("$AUD3")
pm "${RUN[@]}" -d --name "$NAME-res" --cidfile="$T/cid.res" --memory 64m --pids-limit 50 --cpus 0.5 \
	--annotation "org.podrun.audit=$AUD3" --rootfs "$ROOTFS" /bin/sleep 100 >/dev/null
for i in $(seq 50); do grep -q '"what":"start"' "$AUD3" 2>/dev/null && break; sleep 0.1; done
limits=$(python3 - "$AUD3" <<'EOF2'
import json, os, sys
found = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("what") != "start":
        continue
    for cg in e.get("cgroups", []):
        for f, key in (("memory.max", "mem"), ("memory.limit_in_bytes", "mem"), ("pids.max", "pids"),
                       ("cpu.max", "cpu"), ("cpu.cfs_quota_us", "cpu")):
            p = os.path.join(cg, f)
            if os.path.exists(p):
                found[key] = open(p).read().split()[0]
print(found.get("mem"), found.get("pids"), found.get("cpu"))
EOF2
)
pm rm -f -t 0 "$NAME-res" >/dev/null
check "resources: memory 64m, pids 50, cpu 0.5 in the pod's cgroups (got: $limits)" \
	test "$limits" = "67108864 50 50000"

# net: one local host allowed, another denied, by the annotation's policy
port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(port_of); P2=$(port_of)
python3 -m http.server "$P1" --bind 127.0.0.1 >/dev/null 2>&1 & SERVERS+=($!)
python3 -m http.server "$P2" --bind 127.0.0.1 >/dev/null 2>&1 & SERVERS+=($!)
for p in $P1 $P2; do for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done; done
AUD=$T/net.audit.jsonl; AUDITS+=("$AUD")
# podman reads --annotation as CSV: the whole field quoted, quotes doubled
pol="{\"\"net\"\":{\"\"allow\"\":[\"\"localhost:$P1\"\"]}}"
out=$(pm "${RUN[@]}" --rm --name "$NAME-net" --cidfile="$T/cid.net" --annotation "\"org.podrun.policy=$pol\"" \
	--annotation "org.podrun.audit=$AUD" --rootfs "$ROOTFS" /bin/sh -c \
	"unset no_proxy NO_PROXY; curl -sS -o /dev/null -w 'A=%{http_code}\n' http://localhost:$P1/; \
	 curl -sS -o /dev/null -w 'B=%{http_code}\n' http://localhost:$P2/" 2>&1); rc=$?
check "net: the allowed host answers 200, the other is refused (403)" \
	test $rc -eq 0 -a "${out/A=200/}" != "$out" -a "${out/B=403/}" != "$out"
check "audit: an allow event for localhost:$P1" \
	grep -q "\"src\":\"proxy\",\"cat\":\"net\",\"action\":\"allow\",\"what\":\"localhost:$P1\"" "$AUD"
check "audit: a deny event for localhost:$P2" \
	grep -q "\"src\":\"proxy\",\"cat\":\"net\",\"action\":\"deny\",\"what\":\"localhost:$P2\"" "$AUD"
check "audit: the documented schema" python3 "$TOP/docs/check_audit_schema.py" "$AUD"
check "audit: the pod id is podman's short container id" \
	grep -q "\"pod\":\"$(cut -c1-12 "$T/cid.net")\"" "$AUD"

# the default policy (no annotation): no network at all
AUD2=$T/default.audit.jsonl; AUDITS+=("$AUD2")
out=$(pm "${RUN[@]}" --rm --name "$NAME-deny" --cidfile="$T/cid.deny" --annotation "org.podrun.audit=$AUD2" --rootfs "$ROOTFS" /bin/sh -c \
	"unset no_proxy NO_PROXY; curl -sS -m 5 http://localhost:$P1/ && echo REACHED; \
	 test -z \"\$http_proxy\" && echo NO-PROXY" 2>&1)
check "default policy: loopback only, the host's server is not reachable" \
	test "${out/REACHED/}" = "$out" -a "${out/NO-PROXY/}" != "$out"
check "default policy: the start event says loopback" grep -q '"what":"start".*"net":"loopback"' "$AUD2"

# ---- 3. nothing left behind ------------------------------------------------------------
left=$(pm ps -a --format '{{.Names}}' | grep -c "^$NAME")
for f in "$T"/cid.*; do [[ -s $f ]] && podman container exists "$(cat "$f")" && left=$((left + 1)); done
check "no container of these tests is left in podman" test "$left" = 0
check "the runtime's state directory is empty (conformance part)" test -z "$(ls -A "$STATE")"
leftids=""
for f in "$T"/cid.*; do [[ -s $f && -e $PROOT/$(cat "$f") ]] && leftids+=" $(cat "$f")"; done
check "no state of these tests' podman containers is left in $PROOT" test -z "$leftids"
gone=1
for a in "${AUDITS[@]}"; do
	python3 - "$a" <<'EOF' || gone=0
import json, os, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("what") != "start" or e.get("cat") != "life":
        continue
    objs = ["/proc/%d" % e["host_pid"], e["ipc_dir"]] + e.get("cgroups", [])
    if e.get("veth"):
        objs.append("/sys/class/net/" + e["veth"])
    left = [o for o in objs if os.path.exists(o)]
    if left:
        print("#   left behind:", left)
        sys.exit(1)
EOF
done
check "the pods' processes, cgroups, socket directories and veths are gone" test $gone = 1

echo "1..$n"
if ((fails)); then
	echo "FAIL: $fails of $n podrun-oci tests"
	exit 1
fi
echo "PASS: $n podrun-oci tests"
