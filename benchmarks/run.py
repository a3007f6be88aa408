"""make bench: every figure with its target and a pass/miss mark, then the machine it ran on.

python -m benchmarks.run            all sections
python -m benchmarks.run inprocess  one section: inprocess, http, weight
python -m benchmarks.run --smoke    every section with a few samples each (the test suite's)
"""

from __future__ import annotations

import os
import platform
import sys

from benchmarks import http, inprocess, weight
from benchmarks.figures import HEADER, SMOKE

SECTIONS = {"inprocess": inprocess.figures, "http": http.figures, "weight": weight.figures}


def main(argv: list[str]) -> int:
    SMOKE["on"] = "--smoke" in argv
    chosen = [name for name in argv if name != "--smoke"] or list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        sys.exit(f"unknown section {sorted(unknown)}; choose from {list(SECTIONS)}")
    print(HEADER)
    rows = [row for name in chosen for row in SECTIONS[name]()]
    for row in rows:
        print(row.row())
    targets = [row for row in rows if row.met is not None]
    met = sum(row.met for row in targets)
    print(f"\n{met} of {len(targets)} targets met.")
    print(
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
