"""R10, R22: when a period is closed, its summary sheets (marks and attendance, per class)
are exported into the archive: ``<backup folder>/archive/<school>/<period> (закрыт
<date>)/``, in every backup folder. ``journal run`` looks hourly; ``journal archive`` does it
now. A folder is written once (a ``.complete`` marker ends it); a period reopened and
closed again gets a new folder under its new closing time, so nothing archived is lost."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from core.access import Actor
from core.errors import JournalError
from core.journal import Journal
from core.periods import ClosedPeriod, closed_periods
from core.private import private_dir, write_private
from reports import xlsx
from texts import t

log = logging.getLogger(__name__)

ARCHIVE = "archive"
COMPLETE = ".complete"


def _safe(name: str) -> str:
    """A folder name any file system accepts."""
    return re.sub(r'[\\/:*?"<>|]+', "_", name).strip(" .") or "_"


def period_folder(root: Path, closed: ClosedPeriod, tz: ZoneInfo) -> Path:
    at = closed.closed_at.astimezone(tz)
    name = t("archive.folder", period=closed.period.name, at=f"{at:%Y-%m-%d %H-%M}")
    return root / ARCHIVE / _safe(closed.school_name) / _safe(name)


async def period_files(journal: Journal, closed: ClosedPeriod) -> list[tuple[str, bytes]]:
    """The period's summary sheets: marks and attendance of every class."""
    admin = Actor.system(closed.school_id)
    period = closed.period
    files = []
    for class_id, _name in closed.classes:
        try:
            files.append(await xlsx.marks_summary_xlsx(journal, admin, class_id, period.id))
            files.append(
                await xlsx.attendance_summary_xlsx(
                    journal, admin, class_id, period.starts_on, period.ends_on
                )
            )
        except JournalError:  # a class with nothing to report in this period
            log.info("archive: nothing to export for class %s in %s", class_id, period.name)
    return files


def _write(folder: Path, files: Sequence[tuple[str, bytes]]) -> None:
    """Write into a temporary folder and rename it: a folder is there whole or not at all."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    private_dir(partial)  # summary sheets hold personal data: the service's user only
    for name, data in files:
        write_private(partial / name, data)
    write_private(partial / COMPLETE, b"")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


async def archive_closed_periods(journal: Journal, roots: Sequence[Path]) -> list[Path]:
    """Export every closed period not yet archived in each of ``roots``; return the folders
    written."""
    written: list[Path] = []
    tz = journal.rules.timezone
    for closed in await closed_periods(journal):
        folders = [period_folder(root, closed, tz) for root in roots]
        missing = [folder for folder in folders if not (folder / COMPLETE).exists()]
        if not missing:
            continue
        files = await period_files(journal, closed)
        for folder in missing:
            await asyncio.to_thread(_write, folder, files)
            log.info("archived %s (%d files) in %s", closed.period.name, len(files), folder)
            written.append(folder)
    return written
