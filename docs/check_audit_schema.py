#!/usr/bin/env python3
"""check_audit_schema.py — validate podrun audit lines against docs/audit-event.schema.json.

Part of docs/ (the audit event reference). Used by 07-runner's `make test` on a
real `podrun --audit FILE` run, so the documented schema and the runner's output
cannot drift apart. Python's standard library has no JSON Schema validator; this
checks the subset the schema uses: required keys, `enum`, `type`, `pattern`,
`minimum`, `minLength`, and `additionalProperties` given as a schema.

Usage: check_audit_schema.py AUDIT.jsonl [SCHEMA.json]   (exit 0 valid, 1 invalid)
"""
import json
import os
import re
import sys

TYPES = {
    "object": dict, "string": str, "boolean": bool, "array": list,
    "integer": int, "number": (int, float),
}


def check(value, schema, where, errors):
    t = schema.get("type")
    if t:
        ok = isinstance(value, TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
        if not ok:
            errors.append("%s: expected %s, got %r" % (where, t, value))
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %s" % (where, value, schema["enum"]))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if "minLength" in schema and isinstance(value, str) and len(value) < schema["minLength"]:
        errors.append("%s: shorter than %d" % (where, schema["minLength"]))
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append("%s: %r below %r" % (where, value, schema["minimum"]))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing %r" % (where, key))
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                check(v, props[key], "%s.%s" % (where, key), errors)
            elif isinstance(extra, dict):
                check(v, extra, "%s.%s" % (where, key), errors)
            elif extra is False:
                errors.append("%s: unexpected key %r" % (where, key))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    schema_path = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "audit-event.schema.json")
    with open(schema_path) as f:
        schema = json.load(f)
    errors, lines, exits = [], 0, 0
    with open(argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            lines += 1
            try:
                ev = json.loads(line)
            except ValueError as e:
                errors.append("line %d: not JSON: %s" % (n, e))
                continue
            check(ev, schema, "line %d" % n, errors)
            if isinstance(ev, dict) and ev.get("cat") == "life" and ev.get("what") == "exit":
                exits += 1
    if lines == 0:
        errors.append("no events at all")
    if exits != 1:
        errors.append("expected exactly one life/exit event, found %d" % exits)
    for e in errors[:20]:
        print("audit schema: " + e, file=sys.stderr)
    print("audit schema: %d lines, %d errors" % (lines, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
