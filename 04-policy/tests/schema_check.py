#!/usr/bin/env python3
"""schema_check.py — validate policy files against 04-policy/docs/policy.schema.json.

Layer 04 (policy), tests only. Python's standard library has no JSON Schema
validator, so this is a small one for the subset the schema uses: type, const,
enum, properties, additionalProperties, required, items, minLength, maxLength,
minimum, maximum, pattern, oneOf, anyOf, $ref to #/$defs/... . It also rejects
duplicate object keys (which JSON Schema cannot express but the loader rejects).

usage: schema_check.py SCHEMA GOOD_DIR BAD_DIR
  every GOOD_DIR/*.json must validate; every BAD_DIR/bad_*.json must NOT.
  A self-test first proves the validator rejects what it should.
"""
import glob
import json
import os
import re
import sys


class Invalid(Exception):
    pass


def no_dups(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise Invalid(f"duplicate key {k!r}")
        seen.add(k)
    return dict(pairs)


TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
KNOWN = {"$schema", "$id", "title", "description", "$defs", "type", "const", "enum",
         "properties", "additionalProperties", "required", "items", "minLength",
         "maxLength", "minimum", "maximum", "pattern", "oneOf", "anyOf", "$ref"}


def validate(v, s, root, path="$"):
    unknown = set(s) - KNOWN
    if unknown:
        raise SystemExit(f"schema uses unsupported keywords {sorted(unknown)}")
    if "$ref" in s:
        ref = s["$ref"]
        if not ref.startswith("#/$defs/"):
            raise SystemExit(f"unsupported $ref {ref}")
        validate(v, root["$defs"][ref[len("#/$defs/"):]], root, path)
    if "type" in s and not TYPES[s["type"]](v):
        raise Invalid(f"{path}: expected {s['type']}, got {type(v).__name__}")
    if "const" in s and (v != s["const"] or type(v) is not type(s["const"])):
        raise Invalid(f"{path}: must be {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        raise Invalid(f"{path}: {v!r} not one of {s['enum']}")
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                raise Invalid(f"{path}: missing {k}")
        for k, x in v.items():
            if k in props:
                validate(x, props[k], root, f"{path}.{k}")
            elif s.get("additionalProperties", True) is False:
                raise Invalid(f"{path}: unknown key {k!r}")
            elif isinstance(s.get("additionalProperties"), dict):
                validate(x, s["additionalProperties"], root, f"{path}.{k}")
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            validate(x, s["items"], root, f"{path}[{i}]")
    if isinstance(v, str):
        if len(v) < s.get("minLength", 0):
            raise Invalid(f"{path}: shorter than {s['minLength']}")
        if "maxLength" in s and len(v) > s["maxLength"]:
            raise Invalid(f"{path}: longer than {s['maxLength']}")
        if "pattern" in s and not re.search(s["pattern"], v):
            raise Invalid(f"{path}: {v!r} does not match {s['pattern']}")
    if TYPES["number"](v):
        if "minimum" in s and v < s["minimum"]:
            raise Invalid(f"{path}: below {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            raise Invalid(f"{path}: above {s['maximum']}")
    for key, want in (("oneOf", 1), ("anyOf", None)):
        if key in s:
            ok = 0
            for sub in s[key]:
                try:
                    validate(v, sub, root, path)
                    ok += 1
                except Invalid:
                    pass
            if (want is None and ok == 0) or (want == 1 and ok != 1):
                raise Invalid(f"{path}: matches {ok} of {key}")


def check_text(text, schema):
    validate(json.loads(text, object_pairs_hook=no_dups), schema, schema)


def self_test(schema):
    """The validator must reject each of these, or it proves nothing."""
    bad = ['{"netz": {}}', '{"version": 2}', '{"net": {"allow": "a.com"}}',
           '{"net": {"allow": [""]}}', '{"fs": {"read": {"allow": ["rel"]}}}',
           '{"env": {"default": "alow"}}', '{"env": {"allow": ["A*B"]}}',
           '{"limits": {"pids": 0}}', '{"limits": {"memory": "12q"}}',
           '{"net": {}, "net": {}}', '{"version": true}', '{"run": {"allow": ["/usr/bin/*"]}}']
    for text in bad:
        try:
            check_text(text, schema)
        except Invalid:
            continue
        raise SystemExit(f"schema_check self-test: accepted bad policy {text}")
    check_text('{"version": 1, "limits": {"memory": "1g"}, "net": {"allow": ["10.0.0.0/8", "[::1]:80"]}}', schema)


def main():
    schema_path, good_dir, bad_dir = sys.argv[1:4]
    schema = json.load(open(schema_path))
    self_test(schema)
    failures = 0
    good = sorted(glob.glob(os.path.join(good_dir, "*.json")))
    bad = sorted(glob.glob(os.path.join(bad_dir, "bad_*.json")))
    if not good or not bad:
        raise SystemExit("schema_check: no files to check")
    for f in good:
        try:
            check_text(open(f).read(), schema)
        except (Invalid, ValueError) as e:
            print(f"schema: {f}: INVALID: {e}")
            failures += 1
    for f in bad:
        try:
            check_text(open(f).read(), schema)
            print(f"schema: {f}: accepted, but it is a bad policy")
            failures += 1
        except (Invalid, ValueError):
            pass
    print(f"schema: {len(good)} examples valid, {len(bad)} bad files rejected, {failures} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
