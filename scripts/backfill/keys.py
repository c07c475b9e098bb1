"""What a run compares with the catalog, kept on disk so that memory stays flat however many issues it
imports: the identifiers --prune compares (KeyStore), the entities --dry-run compares (EntitySnapshot).
Each is a private temporary SQLite database; SQLite puts its file in SQLITE_TMPDIR, else TMPDIR, else
/var/tmp, and unlinks it as soon as it is open: it is gone when the store is closed or the process ends,
however it ends."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator

CACHE_KIB = 256  # SQLite's page cache: what the store holds in memory; the rest is in its file
TABLES = ("produced", "catalog")


def open_scratch(*tables: str) -> sqlite3.Connection:
    """A private temporary database ("" opens one, deleted on close; nothing else can open it) with a
    small cache and no journal, holding ``tables``' definitions."""
    db = sqlite3.connect("", check_same_thread=False)
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for table in tables:
        db.execute(f"CREATE TABLE {table} WITHOUT ROWID")
    db.commit()
    return db


class KeyStore:
    """Two sets of (blueprint, identifier) on disk, ``produced`` and ``catalog``, and their difference
    (``stale``: in the catalog, not produced). Safe to add to from several threads."""

    def __init__(self):
        self.db = open_scratch(*(f"{table} (blueprint TEXT NOT NULL, identifier TEXT NOT NULL, "
                                 f"PRIMARY KEY (blueprint, identifier))" for table in (*TABLES, "stale")))
        self.lock = threading.Lock()

    def add(self, table: str, keys: Iterable[tuple[str, str]]) -> None:
        """Add (blueprint, identifier) pairs to ``produced`` or ``catalog``; repeats are kept once."""
        if table not in TABLES:
            raise ValueError(f"no key table {table!r}")
        with self.lock:
            self.db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", keys)
            self.db.commit()

    def count(self, table: str, blueprint: str) -> int:
        """How many identifiers of ``blueprint`` the table holds."""
        with self.lock:
            return self.db.execute(f"SELECT count(*) FROM {table} WHERE blueprint = ?", (blueprint,)).fetchone()[0]

    def find_stale(self, blueprint: str) -> int:
        """Record which of the catalog's ``blueprint`` identifiers the run did not produce; returns how many."""
        with self.lock:
            self.db.execute("DELETE FROM stale WHERE blueprint = ?", (blueprint,))
            self.db.execute("INSERT INTO stale SELECT blueprint, identifier FROM catalog AS c WHERE blueprint = ? "
                            "AND NOT EXISTS (SELECT 1 FROM produced AS p WHERE p.blueprint = c.blueprint "
                            "AND p.identifier = c.identifier)", (blueprint,))
            self.db.commit()
        return self.count("stale", blueprint)

    def stale(self, blueprint: str, size: int) -> Iterator[list[str]]:
        """The stale identifiers ``find_stale`` recorded, in identifier order, ``size`` at a time."""
        last = None
        while True:
            with self.lock:
                rows = self.db.execute(
                    "SELECT identifier FROM stale WHERE blueprint = ? AND (? IS NULL OR identifier > ?) "
                    "ORDER BY identifier LIMIT ?", (blueprint, last, last, size)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [identifier for (identifier,) in rows]

    def close(self) -> None:
        """Close the database, which deletes its file."""
        with self.lock:
            self.db.close()


class EntitySnapshot:
    """Entities of the catalog as read, by blueprint and identifier, on disk. Safe to use from several
    threads."""

    def __init__(self):
        self.db = open_scratch("entities (blueprint TEXT NOT NULL, identifier TEXT NOT NULL, body TEXT NOT NULL, "
                               "PRIMARY KEY (blueprint, identifier))")
        self.lock = threading.Lock()

    def add(self, blueprint: str, entities: list[dict]) -> None:
        """Keep ``entities`` of ``blueprint`` (a later one of the same identifier replaces the earlier)."""
        with self.lock:
            self.db.executemany("INSERT OR REPLACE INTO entities VALUES (?, ?, ?)",
                                ((blueprint, e["identifier"], json.dumps(e)) for e in entities))
            self.db.commit()

    def get(self, blueprint: str, identifier: str) -> dict | None:
        """The entity as read, or None when the catalog had none of that identifier."""
        with self.lock:
            row = self.db.execute("SELECT body FROM entities WHERE blueprint = ? AND identifier = ?",
                                  (blueprint, identifier)).fetchone()
        return None if row is None else json.loads(row[0])
