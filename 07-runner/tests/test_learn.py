#!/usr/bin/env python3
"""test_learn.py — learn mode and shadow policies, end to end with real programs.

Layer 07 (runner), tests only. Run by `make -C 07-runner test` with PODRUN_BIN
and PODRUN_TOP set. Each round trip: `podrun learn` writes a policy; the same
command under that policy has no deny and no warn event; every rule of the
learned policy decided at least one request of that run (minimal); with one
rule removed, exactly that request is denied. Shadow runs: a stricter and a
looser shadow policy give exact difference counts. Needs root (real pods,
eBPF); prints SKIP otherwise (a failure with POD_REQUIRE_PRIVILEGED=1).
"""
import copy
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

TOP = os.path.abspath(os.environ.get("PODRUN_TOP") or os.path.join(os.path.dirname(__file__), "../.."))
PODRUN = os.environ.get("PODRUN_BIN") or os.path.join(TOP, "07-runner/build/podrun")
PODPOLICY = os.path.join(TOP, "04-policy/build/podpolicy")
SCHEMA_CHECK = os.path.join(TOP, "04-policy/tests/schema_check.py")
SCHEMA = os.path.join(TOP, "04-policy/docs/policy.schema.json")
EXAMPLE = os.path.join(TOP, "example")
# a small, known environment: env rules are learned from what the pod is given
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root", "LEARN_TOKEN": "t0"}
AUDIT_CAT = {"net": "net", "fs.read": "fs", "fs.write": "fs", "run": "run", "env": "env", "ffi": "ffi"}
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def podrun(args, timeout=180, stdin=None):
    r = subprocess.run([PODRUN] + args, env=ENV, input=stdin, capture_output=True, timeout=timeout,
                       cwd=WORK)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rules_of(policy):
    """(category, pattern) of every allow rule."""
    out = []
    for cat in ("net", "run", "env", "ffi"):
        out += [(cat, r) for r in policy.get(cat, {}).get("allow", [])]
    for side in ("read", "write"):
        out += [("fs." + side, r) for r in policy.get("fs", {}).get(side, {}).get("allow", [])]
    return out


def schema_ok(audit):
    r = subprocess.run([sys.executable, os.path.join(TOP, "docs/check_audit_schema.py"), audit], capture_output=True, text=True)
    if r.returncode:
        print(r.stdout[-1000:], r.stderr[-1000:])
    return r.returncode == 0


def denials(evs):
    """Distinct (cat, what, action) of every deny and warn decision."""
    return sorted({(e["cat"], e["what"], e["action"]) for e in evs if e["action"] in ("deny", "warn")
                   and e["cat"] in AUDIT_CAT.values()})


def used(evs):
    return {(e["cat"], e.get("rule")) for e in evs if e["action"] in ("allow", "warn")}


def learn_round_trip(name, cmd, removed=None, expect_denied=None, extra=()):
    """Learn, enforce, check minimality; remove one rule and expect exactly that denial."""
    d = tempfile.mkdtemp(prefix="learn-", dir=WORK)
    pol = os.path.join(d, "learned.json")
    la = os.path.join(d, "learn.jsonl")
    rc, out, err = podrun(["learn", "--out", pol, "--audit", la] + list(extra) + ["--"] + cmd)
    if not check(rc == 0 and os.path.exists(pol), "%s: podrun learn exits 0 and writes the policy (%d: %s)"
                 % (name, rc, err[-300:])):
        return None
    check("LEARN MODE" in err, "%s: learn mode says so on stderr" % name)
    start = [e for e in events(la) if e["cat"] == "life" and e["what"] == "start"]
    check(start and start[0].get("learn") is True, "%s: the start event says learn" % name)
    check(schema_ok(la), "%s: the learn run's audit matches docs/audit-event.schema.json" % name)
    text = open(pol).read()
    policy = json.loads(text)
    learned = rules_of(policy)
    check(len(learned) > 0, "%s: rules learned: %s" % (name, learned))
    # valid against the schema, formatted as podpolicy fmt, provenance for each rule
    good = os.path.join(d, "good")
    os.mkdir(good)
    shutil.copy(pol, good)
    r = subprocess.run([sys.executable, SCHEMA_CHECK, SCHEMA, good, os.path.join(TOP, "04-policy/tests/data")],
                       capture_output=True)
    check(r.returncode == 0, "%s: the learned policy is valid against policy.schema.json %s" % (name, r.stdout[-200:]))
    fmt = subprocess.run([PODPOLICY, "fmt", pol], capture_output=True, text=True)
    check(fmt.returncode == 0 and text.startswith(fmt.stdout.rstrip()[:-1].rstrip() + ",\n\t\"_learned\""),
          "%s: the learned policy is podpolicy fmt's text plus _learned" % name)
    prov = policy["_learned"]["rules"]
    check(all(prov.get("%s %s" % (c, p)) == [1] for c, p in learned), "%s: every rule names run 1" % name)
    # enforce: no deny, no warn; every rule used (minimal)
    audit = os.path.join(d, "enforce.jsonl")
    rc2, out2, err2 = podrun(["run", "--policy", pol, "--audit", audit] + list(extra) + ["--"] + cmd)
    evs = events(audit)
    check(rc2 == rc, "%s: the run under the learned policy exits as the learn run (%d)" % (name, rc2))
    check(denials(evs) == [], "%s: no deny and no warn under the learned policy: %s" % (name, denials(evs)))
    u = used(evs)
    unused = [(c, p) for c, p in learned if (AUDIT_CAT[c], p) not in u]
    check(unused == [], "%s: minimal, every learned rule decided a request of the run (unused: %s)" % (name, unused))
    if removed:
        cat, pattern = removed
        fewer = copy.deepcopy(policy)
        lst = fewer["fs"][cat[3:]]["allow"] if cat.startswith("fs.") else fewer[cat]["allow"]
        check(pattern in lst, "%s: learned %s %s" % (name, cat, pattern))
        if pattern in lst:
            lst.remove(pattern)
        pol2 = os.path.join(d, "fewer.json")
        with open(pol2, "w") as f:
            json.dump(fewer, f)
        audit2 = os.path.join(d, "fewer.jsonl")
        podrun(["run", "--policy", pol2, "--audit", audit2] + list(extra) + ["--"] + cmd)
        check(denials(events(audit2)) == [expect_denied],
              "%s: without %s %s exactly that is denied: %s" % (name, cat, pattern, denials(events(audit2))))
    return policy, pol, d


class Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the loopback upstream\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def allowed_by(pol_path, cat, what):
    """The shadow's answer by 04's own tool: fs events are reads here."""
    c = {"fs": "fs.read"}.get(cat, cat)
    return subprocess.run([PODPOLICY, "check", pol_path, c, what], capture_output=True).returncode in (0, 3)


def shadow_run(policy, shadow, audit, cmd):
    """Run cmd enforcing policy with the shadow policy; return the exit status,
    its stderr, every audit event, the shadow differences and the exit event."""
    rc, out, err = podrun(["run", "--policy", policy, "--shadow-policy", shadow, "--audit", audit, "--"] + cmd)
    evs = events(audit)
    diffs = [e for e in evs if "shadow" in e and e["cat"] != "life"]
    exit_ev = [e for e in evs if e["cat"] == "life" and e["what"] == "exit"][0]
    return rc, err, evs, diffs, exit_ev


def shadow_tests(pol_path, cmd):
    d = tempfile.mkdtemp(prefix="shadow-", dir=WORK)
    policy = json.load(open(pol_path))
    del policy["_learned"]
    # 1. stricter shadow: the learned policy without its read and net rules.
    #    Expected: each distinct request the run allowed by one of those rules.
    strict = copy.deepcopy(policy)
    gone = {("fs", r) for r in strict["fs"]["read"].get("allow", [])} | {("net", r) for r in strict["net"].get("allow", [])}
    strict["fs"]["read"]["allow"] = []
    strict["net"]["allow"] = []
    sp = os.path.join(d, "strict.json")
    json.dump(strict, open(sp, "w"))
    audit = os.path.join(d, "strict.jsonl")
    rc, err, evs, diffs, exit_ev = shadow_run(pol_path, sp, audit, cmd)
    start_ev = [e for e in evs if e["cat"] == "life" and e["what"] == "start"][0]
    want = sorted({(e["cat"], e["what"]) for e in evs if "shadow" not in e and e["action"] in ("allow", "warn")
                   and (e["cat"], e.get("rule")) in gone})
    check(rc == 0 and denials(evs) == [], "shadow strict: the pod is enforced by its policy (exit %d)" % rc)
    check(start_ev.get("shadow_policy") == sp, "shadow strict: the start event names the shadow policy")
    check(schema_ok(audit), "shadow strict: the audit matches docs/audit-event.schema.json")
    got = sorted((e["cat"], e["what"]) for e in diffs)
    check(len(want) >= len(gone) and got == want and all(e["shadow"] == "deny" and e["action"] == "info" for e in diffs),
          "shadow strict: one \"shadow\":\"deny\" event per request a removed rule allowed: %s vs %s" % (got, want))
    check(exit_ev.get("shadow") == {"deny": len(want), "allow": 0},
          "shadow strict: exit counts %s == deny %d, allow 0" % (exit_ev.get("shadow"), len(want)))
    # 2. looser shadow (the learned policy) over the stricter one enforced:
    #    expected, each distinct denied request that the shadow allows
    enforced = os.path.join(d, "enforced.json")
    json.dump(strict, open(enforced, "w"))
    audit = os.path.join(d, "loose.jsonl")
    rc, err, evs, diffs, exit_ev = shadow_run(enforced, pol_path, audit, cmd)
    want = sorted({(e["cat"], e["what"]) for e in evs if e["action"] == "deny" and allowed_by(pol_path, e["cat"], e["what"])})
    got = sorted((e["cat"], e["what"]) for e in diffs)
    check(len(want) >= 2 and got == want and all(e["shadow"] == "allow" for e in diffs),
          "shadow loose: one \"shadow\":\"allow\" event per denied request the shadow allows: %s vs %s" % (got, want))
    check(exit_ev.get("shadow") == {"deny": 0, "allow": len(want)},
          "shadow loose: exit counts %s == deny 0, allow %d" % (exit_ev.get("shadow"), len(want)))
    check("podrun: shadow allow" in err, "shadow loose: the differences are told on stderr")


def main():
    global WORK
    if os.geteuid() != 0:
        if os.environ.get("POD_REQUIRE_PRIVILEGED") == "1":
            print("FAIL: learn tests need root")
            return 1
        print("SKIP: learn tests need root (real pods and eBPF)")
        return 0
    # the pods read their files from here: a directory the host shows them. Not
    # the tree, which may lie under /tmp: a pod has its own /tmp, so a learning
    # pod cannot see the host's /tmp (only files a base rule names are bound).
    WORK = tempfile.mkdtemp(prefix="podrun-learn-tests-", dir="/var/tmp")
    os.chmod(WORK, 0o755)
    srv = http.server.HTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    try:
        # 1. the Python worker's act, every category
        outdir = os.path.join(WORK, "out")
        os.mkdir(outdir)
        os.chmod(outdir, 0o777)
        data = os.path.join(WORK, "public.txt")
        shutil.copy(os.path.join(EXAMPLE, "data/public.txt"), data)
        os.chmod(data, 0o644)
        libz = "/usr/lib/x86_64-linux-gnu/libz.so.1"
        py = [os.path.join(EXAMPLE, "python/worker.py"), "act", "net=http://localhost:%d/x" % port,
              "read=" + data, "write=" + os.path.join(outdir, "f.txt"), "run=/usr/bin/uname",
              "env=LEARN_TOKEN", "ffi=" + libz]
        res = learn_round_trip("python act", py, ("fs.read", data), ("fs", data, "deny"))
        if res:
            policy, pol, _ = res
            want = {("net", "localhost:%d" % port), ("fs.read", data), ("fs.write", outdir),
                    ("run", "/usr/bin/uname"), ("env", "LEARN_TOKEN"), ("ffi", libz)}
            check(want <= set(rules_of(policy)), "python act: a rule for each category: %s" % sorted(want))
            check(not any(c == "env" and p not in ENV for c, p in rules_of(policy)),
                  "python act: env names only of the pod's environment (never values)")
            check("t0" not in open(pol).read(), "python act: no variable's value in the policy")
            shadow_tests(pol, py)
            # --merge: a second run with other needs; both pass under the result
            py2 = [os.path.join(EXAMPLE, "python/worker.py"), "act", "run=/usr/bin/id", "read=/etc/hostname"]
            rc, _, err = podrun(["learn", "--merge", "--out", pol, "--"] + py2)
            merged = json.load(open(pol))
            lr = merged["_learned"]
            check(rc == 0 and len(lr["runs"]) == 2 and lr["rules"].get("run /usr/bin/id") == [2] and
                  lr["rules"].get("run /usr/bin/uname") == [1] and lr["rules"].get("env LANG") == [1, 2],
                  "merge: run 2 added, each rule names the runs that needed it")
            for label, c in (("run 1", py), ("run 2", py2)):
                audit = os.path.join(WORK, "merged-%s.jsonl" % label[-1])
                podrun(["run", "--policy", pol, "--audit", audit, "--"] + c)
                check(denials(events(audit)) == [], "merge: %s passes under the merged policy" % label)
        # 2. curl fetching from a loopback server
        curl = ["/usr/bin/curl", "-sS", "--noproxy", "", "--max-time", "20", "http://localhost:%d/c" % port]
        learn_round_trip("curl", curl, ("fs.read", "/etc/passwd"), ("fs", "/etc/passwd", "deny"))
        # 3. python3 -m http.server answering one request (inside the pod)
        srv_cmd = ["/bin/sh", "-c",
                   "/usr/bin/python3 -m http.server -b 127.0.0.1 18765 >/dev/null 2>&1 & "
                   "for i in $(seq 1 60); do /usr/bin/curl -sf --noproxy '*' -o /dev/null "
                   "http://127.0.0.1:18765/ && ok=1 && break; sleep 0.5; done; kill $!; test -n \"$ok\""]
        learn_round_trip("http.server", srv_cmd, ("run", "/usr/bin/curl"), ("run", "/usr/bin/curl", "deny"))
        # 3b. python3 -m pip --version: a real tool reading its whole package tree
        learn_round_trip("pip", ["/usr/bin/python3", "-m", "pip", "--version"])
        # 4. a C-lib worker (zinfo.so links libz) and a native worker
        zinfo = os.path.join(EXAMPLE, "build/zinfo.so")
        if check(os.path.exists(zinfo), "example/build/zinfo.so is built"):
            learn_round_trip("clib zinfo", [zinfo], extra=())
        # 5. grouping: many files under one directory become the directory
        many = os.path.join(WORK, "many")
        os.mkdir(many)
        for i in range(10):
            open(os.path.join(many, "f%d" % i), "w").write("x")
        os.chmod(many, 0o755)
        cat = ["/bin/cat"] + [os.path.join(many, "f%d" % i) for i in range(10)]
        d = tempfile.mkdtemp(dir=WORK)
        podrun(["learn", "--out", os.path.join(d, "g.json"), "--"] + cat)
        podrun(["learn", "--group-at", "11", "--out", os.path.join(d, "e.json"), "--"] + cat)
        g = json.load(open(os.path.join(d, "g.json")))["fs"]["read"]["allow"]
        e = json.load(open(os.path.join(d, "e.json")))["fs"]["read"]["allow"]
        check(many in g and not any(p.startswith(many + "/") for p in g), "group: 10 files -> the directory")
        check(sum(p.startswith(many + "/") for p in e) == 10 and many not in e, "group: --group-at 11 keeps the 10 paths")
    finally:
        srv.shutdown()
        shutil.rmtree(WORK, ignore_errors=True)
    print("learn tests: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
