"""The identifiers --prune compares, kept on disk: what the run produced and what the catalog holds, in
a private temporary SQLite database (in the temp directory, ``TMPDIR``), so that memory stays flat
however many issues a run imports. SQLite deletes the file when the store is closed or the process ends."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator

CACHE_KIB = 256  # SQLite's page cache: what the store holds in memory; the rest is in its file
TABLES = ("produced", "catalog")


class KeyStore:
    """Two sets of (blueprint, identifier) on disk, ``produced`` and ``catalog``, and their difference
    (``stale``: in the catalog, not produced). Safe to add to from several threads."""

    def __init__(self):
        # "" opens a private on-disk database, deleted on close; nothing else can open it.
        self.db = sqlite3.connect("", check_same_thread=False)
        self.lock = threading.Lock()
        self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        for table in (*TABLES, "stale"):
            self.db.execute(f"CREATE TABLE {table} (blueprint TEXT NOT NULL, identifier TEXT NOT NULL, "
                            f"PRIMARY KEY (blueprint, identifier)) WITHOUT ROWID")
        self.db.commit()

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
