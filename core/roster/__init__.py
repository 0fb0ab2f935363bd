"""Roster import, as one feature: reading the file (:mod:`.read`, :mod:`.cells`, the format
table :mod:`.format`), the plan of an import (:mod:`.plan`, one class per sheet in
:mod:`.sheets` over the shared matching of :mod:`.match`) and its summary
(:mod:`.summary`). The names callers use are re-exported here."""

from core.roster.plan import (
    IMPORTERS,
    Progress,
    apply_roster,
    ensure_may_import,
    import_for_school,
    import_roster,
    import_roster_bytes,
)
from core.roster.read import read_roster, read_roster_bytes
from core.roster.rows import SHEETS, Problem, Roster
from core.roster.summary import (
    SHEET_TITLES,
    AddedPupil,
    ImportSummary,
    NamedPupil,
    SheetCounts,
)

__all__ = [
    "IMPORTERS",
    "SHEETS",
    "SHEET_TITLES",
    "AddedPupil",
    "ImportSummary",
    "NamedPupil",
    "Problem",
    "Progress",
    "Roster",
    "SheetCounts",
    "apply_roster",
    "ensure_may_import",
    "import_for_school",
    "import_roster",
    "import_roster_bytes",
    "read_roster",
    "read_roster_bytes",
]
