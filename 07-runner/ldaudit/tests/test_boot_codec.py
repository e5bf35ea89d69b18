# test_boot_codec.py — the FFI bootstrap's wire codec against 02-ipc's
# conformance vectors (07-runner/ldaudit). Exits non-zero on any mismatch.
#     python3 test_boot_codec.py BOOT_DIR VECTOR_DIR
import os
import sys

sys.path.insert(0, sys.argv[1])
import podboot  # noqa: E402

vec_dir = sys.argv[2]
checked = 0


def load(name):
    fields = {}
    with open(os.path.join(vec_dir, name)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
    return fields


for name in sorted(os.listdir(vec_dir)):
    if not name.endswith(".vec"):
        continue
    v = load(name)
    raw = bytes.fromhex(v["hex"])
    t = v.get("type")
    if name.startswith("ok_") and t == "HELLO" and v["lang"] == "4":
        assert podboot.encode_hello(int(v["seq"]), int(v["pid"])) == raw, name
        checked += 1
    elif name.startswith("ok_") and t == "QUERY":
        enc = podboot.encode_query(int(v["seq"]), int(v["request_id"]), v["category"], v["request"])
        assert enc == raw, name
        checked += 1
    elif name.startswith("ok_") and t == "VERDICT":
        mtype, seq, payload, n = podboot.decode(raw)
        assert (mtype, seq, n) == (9, int(v["seq"]), len(raw)), name
        rid, action, rule, reason = podboot.decode_verdict(payload)
        assert (rid, action, rule, reason) == (int(v["request_id"]), int(v["action"]),
                                               v.get("rule", ""), v.get("reason", "")), name
        checked += 1
    elif name.startswith("bad_") and ("verdict" in name or "magic" in name or "version" in name
                                      or "oversize" in name or "reserved_flags" in name):
        try:
            m = podboot.decode(raw)
            if m and m[0] == 9:
                podboot.decode_verdict(m[2])
            ok = m is None and v["error"] == "INCOMPLETE"
        except ValueError:
            ok = True
        assert ok, name + " was accepted"
        checked += 1

assert checked >= 8, "too few vectors checked: %d" % checked
print("boot codec: %d vectors ok" % checked)
