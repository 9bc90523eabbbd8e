"""tests/slow-tests.txt from a suite run's ``--durations=0`` report: the tests whose setup,
call and teardown took at least ``--seconds`` in all, and the time share of each marker; and
tests/file-seconds.txt, the time of each test file (conftest.py runs the longest first).

    pytest -n 2 --dist loadfile -q --durations=0 > durations.txt
    python benchmarks/slow_tests.py durations.txt --seconds 20 [--write]

A module-scoped fixture's setup is charged to the first test that uses it, as pytest reports.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
LISTING = PROJECT_DIR / "tests" / "slow-tests.txt"
FILE_LISTING = PROJECT_DIR / "tests" / "file-seconds.txt"
_DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)$", re.MULTILINE)


def durations(report: str) -> dict[str, float]:
    per_test: dict[str, float] = defaultdict(float)
    for match in _DURATION.finditer(report):
        per_test[match.group(3)] += float(match.group(1))
    return dict(per_test)


def marked(expression: str) -> set[str]:
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", expression,
         "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=PROJECT_DIR).stdout
    return {line.strip() for line in listed.splitlines() if "::" in line}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--write", action="store_true", help=f"write {LISTING.name}")
    args = parser.parse_args()
    per_test = durations(args.report.read_text(encoding="utf-8"))
    slow = {test: seconds for test, seconds in per_test.items() if seconds >= args.seconds}
    handbook = marked("handbook")
    total = sum(per_test.values())
    print(f"{len(per_test)} tests, {total:.0f} s of test time in all (summed over workers)")
    groups = {"handbook": set(handbook), f"slow (>= {args.seconds:.0f} s)": set(slow),
              "slow, not handbook": set(slow) - handbook,
              "neither": set(per_test) - handbook - set(slow)}
    for name, tests in groups.items():
        seconds = sum(per_test.get(test, 0.0) for test in tests)
        count = len(tests & set(per_test))
        print(f"  {name:<24} {count:>4} tests {seconds:>8.0f} s {100 * seconds / total:>6.1f} %")
    if args.write:
        lines = [f"# Tests that took >= {args.seconds:.0f} s (setup + call + teardown) in one run",
                 "# of the whole suite (make test; the machine's load then is in the README);",
                 "# regenerate with",
                 "# benchmarks/slow_tests.py. conftest.py marks these `slow`.",
                 *(f"{test}  {seconds:.0f}" for test, seconds in sorted(slow.items()))]
        LISTING.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(slow)} tests to {LISTING}")
        per_file: dict[str, float] = defaultdict(float)
        for test, seconds in per_test.items():
            per_file[test.split("::")[0]] += seconds
        rows = sorted(per_file.items(), key=lambda row: (-row[1], row[0]))
        FILE_LISTING.write_text("\n".join([
            "# Seconds per test file (setup + call + teardown of its tests) in one run of the",
            "# whole suite; conftest.py runs the files longest first. Regenerate with",
            "# benchmarks/slow_tests.py --write.",
            *(f"{name}  {seconds:.1f}" for name, seconds in rows)]) + "\n", encoding="utf-8")
        print(f"wrote {len(rows)} files to {FILE_LISTING}")


if __name__ == "__main__":
    main()
