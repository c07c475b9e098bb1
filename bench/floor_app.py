"""The durable-write floor: a Flask app that parses the JSON body, stores it and commits, nothing else.

No signature, no translation, no catalog: one INSERT of the raw body per request, committed before
the 202, on a connection kept per thread. It is the least any endpoint that acknowledges only durably
stored events can cost on the same machine, database and gunicorn settings.

    FLOOR_DATABASE_URL=sqlite:////tmp/floor.sqlite3 gunicorn --chdir bench 'floor_app:create_app()'

SQLite: WAL, synchronous from FLOOR_SYNCHRONOUS (FULL by default), writers queued on the app's own
file lock (app/catalog/writelock.py). PostgreSQL (a postgresql:// URL): the server's own durability.
"""

import json
import os
import sqlite3
import threading

import common  # noqa: F401  (puts the project root on sys.path, as in every bench script)
import psycopg
from flask import Flask, jsonify, request

from app.catalog.writelock import WriteLock

TABLE = "CREATE TABLE IF NOT EXISTS floor_events (id {key}, body TEXT NOT NULL)"


def create_app():
    app = Flask(__name__)
    url = os.environ.get("FLOOR_DATABASE_URL", "sqlite:///floor.sqlite3")
    store = SqliteFloor(url[len("sqlite:///"):]) if url.startswith("sqlite") else PostgresFloor(url)

    @app.post("/webhooks/<identifier>")
    def receive(identifier):
        raw = request.get_data(cache=False)
        body = json.loads(raw)
        return jsonify({"ok": True, "eventId": store.insert(raw.decode()), "keys": len(body)}), 202

    return app


class SqliteFloor:
    """One INSERT and COMMIT per call, one connection per thread, writers queued on a flock."""

    def __init__(self, path):
        self.path, self.local = path, threading.local()
        self.lock = WriteLock(path + ".writelock")

    def connection(self):
        if getattr(self.local, "conn", None) is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={os.environ.get('FLOOR_SYNCHRONOUS', 'FULL')}")
            conn.execute(TABLE.format(key="INTEGER PRIMARY KEY"))
            self.local.conn = conn
        return self.local.conn

    def insert(self, body):
        conn = self.connection()
        with self.lock.held():
            conn.execute("BEGIN IMMEDIATE")
            event_id = conn.execute("INSERT INTO floor_events (body) VALUES (?)", (body,)).lastrowid
            conn.execute("COMMIT")
        return event_id


class PostgresFloor:
    """One INSERT and COMMIT per call, one psycopg connection per thread."""

    def __init__(self, url):
        self.conninfo, self.local = url.replace("postgresql+psycopg://", "postgresql://"), \
            threading.local()

    def connection(self):
        if getattr(self.local, "conn", None) is None:
            conn = psycopg.connect(self.conninfo)
            with conn.transaction():
                conn.execute(TABLE.format(key="BIGSERIAL PRIMARY KEY"))
            self.local.conn = conn
        return self.local.conn

    def insert(self, body):
        conn = self.connection()
        with conn.transaction():
            return conn.execute("INSERT INTO floor_events (body) VALUES (%s) RETURNING id",
                                (body,)).fetchone()[0]
