"""What the backup commands say, in the caller's language."""

from __future__ import annotations

from collections.abc import Sequence

from school_journal.backup.manifest import MANIFEST_SUFFIX, BackupResult, Tx, VerifyResult

# --- in words --------------------------------------------------------------------------------


def backup_lines(result: BackupResult, tx: Tx) -> list[str]:
    m = result.manifest
    lines = [tx("backup.done", file=m.file, size=_megabytes(m.size), sha256=m.sha256)]
    lines += [tx("backup.written_to", path=str(p)) for p in result.manifest_paths]
    if result.removed:
        count = sum(1 for p in result.removed if p.name.endswith(MANIFEST_SUFFIX))
        lines.append(tx("backup.removed", count=count))
    lines += [tx(w) for w in result.warnings]
    return lines


def verify_lines(result: VerifyResult, tx: Tx) -> list[str]:
    m = result.manifest
    if result.ok and m is not None:
        return [
            tx(
                "backup.verify_ok",
                file=m.file,
                at=m.created_at.strftime("%d.%m.%Y %H:%M UTC"),
                revision=m.schema_revision or "—",
            )
        ]
    return problem_lines(str(result.path), result.problems, tx, m.file if m else "?")


def problem_lines(path: str, problems: Sequence[str], tx: Tx, file: str = "?") -> list[str]:
    return [tx("backup.verify_failed", path=path)] + [
        "  " + tx(p, file=file) if p == "backup.problem.missing_file" else "  " + tx(p)
        for p in problems
    ]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"
