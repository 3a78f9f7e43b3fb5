"""The mutation score of each file make mutate mutated, from mutmut's results in ./mutants.

  python -m scripts.mutation_score [--min 90]

Each mutant's outcome is mutmut's own (mutmut.stats): killed when a unit test failed on it,
or it timed out or crashed the run; survived when every test passed; "no tests" when no unit
test ran the function it changed, which counts against the score as a survivor does. A file
none of whose mutants ran (MUTANTS chose others) is not shown. Exit 1 when a file's score is
under --min.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")
KILLED = {"killed", "timeout", "segfault"}


def score(codes: dict[str, int]) -> tuple[float, Counter[str]]:
    """The share of mutants killed, in percent, and the count of each outcome."""
    counts = Counter(status_by_exit_code[code] for code in codes.values())
    killed = sum(n for outcome, n in counts.items() if outcome in KILLED)
    return (100.0 * killed / len(codes) if codes else 0.0), counts


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--min", type=float, default=90.0, help="lowest score per file (percent)")
    given = args.parse_args(argv)
    metas = sorted(MUTANTS.rglob("*.py.meta"))
    if not metas:
        print("no mutmut results in ./mutants: run make mutate first", file=sys.stderr)
        return 2
    low = 0
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        run = {key: code for key, code in codes.items() if code is not None}
        if not run:
            continue
        percent, counts = score(run)
        low += percent < given.min
        shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        print(f"{percent:5.1f}%  {meta.relative_to(MUTANTS).with_suffix('')}  ({shown})")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
