"""``python -m demo``: regenerate the demo school's CSV files (deterministically).

Options: ``--out DIR`` writes the CSV folder elsewhere, ``--xlsx FILE`` also writes the
same roster as one workbook, ``--check`` only verifies that ``demo/school/`` is up to date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo import SCHOOL_DIR
from demo.demo_school import build_demo_school
from demo.generate import read_csv_folder, write_csv_folder, write_xlsx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=SCHOOL_DIR, help="CSV folder to write")
    parser.add_argument("--xlsx", type=Path, help="also write the roster as this workbook")
    parser.add_argument(
        "--check", action="store_true", help="only check that the CSV folder is up to date"
    )
    args = parser.parse_args(argv)
    roster = build_demo_school()
    if args.check:
        if read_csv_folder(args.out) != roster:
            print(f"{args.out} is out of date; run python -m demo", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    write_csv_folder(roster, args.out)
    print(f"wrote {len(roster)} sheets to {args.out}")
    if args.xlsx:
        write_xlsx(roster, args.xlsx)
        print(f"wrote {args.xlsx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
