"""genref.py — the part the generators of docs/ share: write a generated page,
or (with --check, as `make test` runs them) compare it with the page on disk."""
import os
import sys


def write_or_check(path, text, source):
    """Write @path, or with --check exit status 1 when it differs from @text.
    @source names what the page is generated from, for the messages."""
    name = os.path.relpath(path, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if "--check" in sys.argv[1:]:
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if old != text:
            print(f"{name} is out of date: run {os.path.relpath(sys.argv[0])}", file=sys.stderr)
            return 1
        print(f"  OK       {name} matches {source}")
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0
