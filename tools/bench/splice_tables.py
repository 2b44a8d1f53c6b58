#!/usr/bin/env python3
"""Refresh the generated tables inside docs/PERFORMANCE.md from the sweep summaries.

A block in the document

    <!-- from: perf/peers_K_summary.md#Points -->
    ...anything...
    <!-- end -->

is replaced by the first Markdown table under the heading "Points" (any level) of
docs/perf/peers_K_summary.md. Text outside the blocks is left alone, so the prose that
interprets the numbers must still be checked by hand after a new run.

    python tools/bench/splice_tables.py [docs/PERFORMANCE.md]
"""

import os
import re
import sys

BLOCK = re.compile(r"(<!-- from: (?P<src>[^#\s]+)#(?P<heading>[^>]+?) -->\n)(?P<body>.*?)(<!-- end -->)", re.S)


def table_under(path, heading):
    """The first table (consecutive lines starting with '|') after the heading."""
    lines = open(path, encoding="utf-8").read().splitlines()
    start = None
    for i, line in enumerate(lines):
        if line.lstrip("#").strip() == heading and line.startswith("#"):
            start = i + 1
            break
    if start is None:
        raise SystemExit(f"{path}: no heading '{heading}'")
    rows = []
    for line in lines[start:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
        elif line.startswith("#"):
            break
    if not rows:
        raise SystemExit(f"{path}: no table under '{heading}'")
    return "\n".join(rows) + "\n"


def main():
    doc = sys.argv[1] if len(sys.argv) > 1 else "docs/PERFORMANCE.md"
    base = os.path.dirname(os.path.abspath(doc))
    text = open(doc, encoding="utf-8").read()
    n = 0

    def repl(m):
        nonlocal n
        n += 1
        src = os.path.join(base, m.group("src"))
        return m.group(1) + table_under(src, m.group("heading").strip()) + m.group(5)

    out = BLOCK.sub(repl, text)
    open(doc, "w", encoding="utf-8").write(out)
    print(f"{doc}: {n} tables refreshed")


if __name__ == "__main__":
    main()
