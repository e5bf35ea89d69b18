#!/usr/bin/env python3
"""check-refs.py — every reference in the repository points at something that exists.

Run by `make test` (top level, check-tree). Fails (exit 1, one line per problem) on:
  - a relative Markdown link [text](target) whose target is not in the repository;
  - a mention of a .md file (in any tracked text file: chapters, comments, headers)
    that exists neither next to the file, nor from the repository root, nor from the
    file's layer folder;
  - a reference to a design note that is not part of the repository.
Usage: check-refs.py [ROOT]   (default: the repository holding this script)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
# Names of notes that are not in the repository (spelled in pieces so this file passes).
GONE = [n + ".md" for n in ("CONVENTIONS", "CONTRACTS", "ARCHITECTURE")] + ["../" + "shared/"]
TEXT = re.compile(r"\.(md|c|h|ts|py|sh|mk|json|dot|txt|html|map)$|(^|/)(Makefile|Doxyfile|run)$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
MDREF = re.compile(r"(?<![\w/.${}-])((?:\.\.?/)*[\w][\w./-]*\.md)\b")

def tracked():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         capture_output=True, check=True).stdout.decode()
    return [f for f in out.split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]

def exists(base, target):
    return os.path.exists(os.path.normpath(os.path.join(ROOT, base, target)))

def main():
    problems = []
    files = tracked()
    # a generic mention ("each layer's bench/RESULTS.md") resolves when some layer has it
    suffixes = {f.split("/", 1)[1] for f in files if "/" in f}
    me = os.path.relpath(os.path.abspath(__file__), ROOT)
    skip = {me, ".mk/test-check-refs.sh"}  # this checker and its test spell broken names on purpose
    for f in files:
        if not TEXT.search(f) or f in skip:
            continue
        try:
            text = open(os.path.join(ROOT, f), encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        d = os.path.dirname(f)
        layer = f.split("/")[0] if "/" in f else ""
        for n, line in enumerate(text.splitlines(), 1):
            for g in GONE:
                if g in line:
                    problems.append(f"{f}:{n}: refers to {g}, which is not in the repository")
            if f.endswith(".md"):
                for m in LINK.finditer(line):
                    t = m.group(1).split("#")[0]
                    if not t or re.match(r"^[a-z]+:", t):
                        continue
                    if not exists(d, t):
                        problems.append(f"{f}:{n}: link to {t}, which does not exist")
            for m in MDREF.finditer(line):
                t = m.group(1)
                if t.startswith("http") or "*" in t:
                    continue
                if not (exists(d, t) or exists("", t) or exists(layer, t) or t in suffixes):
                    problems.append(f"{f}:{n}: mentions {t}, which does not exist")
    for p in problems:
        print("check-refs: " + p)
    print(f"check-refs: {len(problems)} broken references" if problems else "  OK       every reference resolves")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
