"""Demo data: the shipped school «МБОУ СОШ № 7» and a generator of school rosters.

``SCHOOL_DIR`` holds the demo school as CSV files in the roster import format
(see :data:`demo.generate.COLUMNS`); ``python -m demo`` regenerates them.
"""

from __future__ import annotations

from pathlib import Path

SCHOOL_DIR: Path = Path(__file__).resolve().parent / "school"
SCHOOL_NAME = "МБОУ СОШ № 7"

__all__ = ["SCHOOL_DIR", "SCHOOL_NAME"]
