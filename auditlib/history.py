"""The history of audits: every run of a source, its findings and its catalog, in one SQLite file.

A run records the source's identity (never a password), the time, auditlib's version, the configuration, the checks
that ran, the catalog snapshot and the findings. From the runs of one source come each finding's status against the
previous run (``new``, ``open`` since its first-seen time, ``fixed``, ``suppressed``), the trends the report charts
(findings by severity, new and fixed per run, time to fix) and the catalogs ``auditlib.drift`` compares.

Scheduled runs may overlap, so several processes can record into the same file at once: the file is in WAL mode,
a writer waits for the lock instead of failing, and each run is written in one transaction — stored whole or not
at all. Catalog snapshots are zlib-compressed and stored once per distinct content.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from auditlib import __version__
from auditlib.catalog import Catalog
from auditlib.connect import mask_dsn
from auditlib.findings import FINDING_FIELDS, SEVERITIES, severity_rank

HISTORY_VARIABLE = "AUDITLIB_HISTORY"
HISTORY_FILE = "history.db"
DEFAULT_PATH = Path("reports") / HISTORY_FILE  # used when the current folder has a reports/ folder
_WRITABLE_ELSEWHERE = (f"pass a writable file with --history FILE, set {HISTORY_VARIABLE}, or add --no-history to "
                       "skip recording.")
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60.0
STATUSES = ("new", "open", "suppressed", "fixed")
STATUS_FIELDS = ("status", "first_seen")
# Keys whose value is a secret wherever they appear in a source or config dict: dropped before anything is stored.
SECRET_KEYS = frozenset({"password", "passwd", "pwd", "sslpassword", "secret", "pass"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS catalogs (
    digest     TEXT PRIMARY KEY,          -- sha256 of the snapshot JSON: identical snapshots are stored once
    snapshot   BLOB NOT NULL              -- zlib-compressed Catalog.to_json()
);
CREATE TABLE IF NOT EXISTS runs (
    run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source_key       TEXT NOT NULL,       -- identity of the source (see source_key()); never a password
    source           TEXT NOT NULL,       -- JSON: the result's source dict, scrubbed
    generated_at     TEXT NOT NULL,       -- when the audit ran (UTC ISO 8601)
    recorded_at      TEXT NOT NULL,
    auditlib_version TEXT NOT NULL,
    schemas          TEXT NOT NULL,       -- JSON list of the audited schemas
    config           TEXT NOT NULL,       -- JSON of the configuration used
    checks           TEXT,                -- JSON list of the checks that ran (NULL: unknown)
    skipped          TEXT NOT NULL,       -- JSON list of {check, reason}
    summary          TEXT NOT NULL,       -- JSON: total and counts by severity
    catalog_digest   TEXT REFERENCES catalogs (digest)
);
CREATE INDEX IF NOT EXISTS runs_by_source ON runs (source_key, run_id);
CREATE TABLE IF NOT EXISTS finding_bodies (
    digest     TEXT PRIMARY KEY,          -- sha256 of the body: a finding unchanged between runs is stored once
    body       BLOB NOT NULL              -- zlib-compressed JSON of the finding's contract fields
);
CREATE TABLE IF NOT EXISTS findings (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    check_name  TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT,                     -- new / open / suppressed (NULL when recorded without a status)
    first_seen  TEXT,
    body_digest TEXT NOT NULL REFERENCES finding_bodies (digest),
    PRIMARY KEY (run_id, key)
);
"""


class HistoryError(RuntimeError):
    """The history file cannot be used or holds no such run; the message is one sentence for the user."""


# -- identity and secrets --------------------------------------------------------------------------------------------
def source_key(source: dict[str, Any], schemas: Iterable[str] = ()) -> str:
    """A stable identity for a source: database and server (or folder / snapshot path) plus the audited schemas.

    The user and the password are not part of it: the same database audited by two roles is one source.
    """
    kind = source.get("kind") or "database"
    if kind in ("migrations", "snapshot"):
        where = f"{kind}:{Path(str(source.get('path', ''))).expanduser().resolve()}"
    elif kind == "demo":
        where = f"demo:{source.get('database') or 'productionos'}"
    else:
        host = source.get("host") or "localhost"
        where = f"{source.get('database') or '?'}@{host}:{source.get('port') or 5432}"
    schemas = sorted(set(schemas))
    return f"{where} [{','.join(schemas)}]" if schemas else where


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with secret keys dropped and any password in a DSN masked (``***``)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str) and ("://" in value or "pass" in value.lower()):
        return mask_dsn(value)
    return value


def default_history_path(output_dir: str | Path | None = None) -> Path:
    """Where runs are recorded when no ``--history`` is given, the same rule for every command:

    ``$AUDITLIB_HISTORY`` when set; else ``<output_dir>/history.db`` when the command writes into an output folder
    (``auditlib report --output-dir``); else ``reports/history.db`` when the current folder has a ``reports/`` folder
    (a project checkout, where ``make report`` and ``auditlib report`` write); else ``history.db`` in the per-user data
    folder (``~/.local/share/auditlib`` on Linux), so running auditlib never leaves files in an arbitrary folder.
    """
    if os.environ.get(HISTORY_VARIABLE):
        return Path(os.environ[HISTORY_VARIABLE]).expanduser()
    if output_dir is not None:
        return Path(output_dir) / HISTORY_FILE
    if DEFAULT_PATH.parent.is_dir():
        return DEFAULT_PATH
    return user_data_folder() / HISTORY_FILE


def user_data_folder() -> Path:
    """The per-user data folder auditlib keeps its history in when no project folder is at hand."""
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs may warn about XDG_RUNTIME_DIR
        return platformdirs.user_data_path("auditlib")


def open_history(path: str | Path | None = None, *, create: bool = True) -> History:
    """Open (and by default create) the history file; ``path`` defaults to ``default_history_path()``.

    With ``create=False`` a missing file is an error — what a reader such as ``auditlib diff`` wants. Every failure
    (a folder, an unwritable place, a file that is not an auditlib history) is a ``HistoryError`` with one sentence.
    """
    path = Path(path) if path else default_history_path()
    if path.is_dir():
        raise HistoryError(f"The history path {path} is a folder; pass a file such as {path / HISTORY_FILE} with "
                           "--history.")
    if not create and not path.exists():
        raise HistoryError(f"There is no audit history at {path}; run `auditlib audit` or `auditlib report` first "
                           "(they record every run), or pass --history FILE.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HistoryError(f"The history file {path} cannot be created ({_reason(error)}); {_WRITABLE_ELSEWHERE}") \
            from None
    return History(path, create=create)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return True  # unreadable: sqlite3 says why


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


@dataclass
class StoredRun:
    """One recorded run: its facts (``meta``), findings and catalog; unpacks as ``meta, findings, catalog``."""

    meta: dict[str, Any]
    findings: pd.DataFrame
    catalog: Catalog | None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.meta, self.findings, self.catalog))


class History:
    """The runs recorded in one SQLite file (see ``open_history``)."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        try:
            existed = self.path.stat().st_size > 0  # an empty file is a new history, as sqlite3 treats it
        except OSError:
            existed = False
        if existed and not _is_sqlite(self.path):  # sqlite3 would take a short file of anything as a new database
            raise HistoryError(f"The history file {self.path} is not an auditlib history (not an SQLite file); pass "
                               "another file with --history or move this one away.")
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as error:
            raise HistoryError(f"The history file {self.path} cannot be {'opened' if existed else 'created'} "
                               f"({error}); {_WRITABLE_ELSEWHERE if create else 'pass another file with --history.'}") \
                from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._check_is_history(existed)
            self._set_wal()
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._conn.close()
            if not existed:
                raise HistoryError(f"The history file {self.path} cannot be created ({error}); "
                                   f"{_WRITABLE_ELSEWHERE}") from None
            if "readonly" in str(error):
                raise HistoryError(f"The history file {self.path} is read-only; {_WRITABLE_ELSEWHERE}") from None
            what = "is not an auditlib history" if "not a database" in str(error) else "cannot be used"
            raise HistoryError(f"The history file {self.path} {what} ({error}); pass another file with --history "
                               "or move this one away.") from None
        except HistoryError:
            self._conn.close()
            raise

    def _check_is_history(self, existed: bool) -> None:
        """Refuse an SQLite file of some other program: its tables would otherwise get ours added to them."""
        if not existed:
            return
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]  # reads the header: garbage fails here
        tables = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0 and tables - {"catalogs", "runs", "finding_bodies", "findings", "sqlite_sequence"}:
            raise HistoryError(f"The history file {self.path} is an SQLite database of something else (tables "
                               f"{', '.join(sorted(tables)[:3])}); pass another file with --history.")

    # -- connection ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _set_wal(self) -> None:
        # Switching to WAL needs a moment alone with the file; a second process creating it at the same instant
        # gets "database is locked" at once (the busy handler is not consulted), so retry for a while.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _write(self) -> _Transaction:
        return _Transaction(self._conn)

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise HistoryError(f"The history file {self.path} was written by a newer auditlib (format {version}); "
                               "upgrade auditlib or pass another file with --history.")
        with self._write():
            if self._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # another process created it while we waited for the lock
            for statement in _statements(_SCHEMA):
                self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- writing ------------------------------------------------------------------------------------------------
    def track(self, result, baseline_keys: Iterable[str] = ()) -> int:
        """Give the result's findings their status against the previous run, then record the run; its id."""
        self.assign_status(result, baseline_keys)
        return self.record(result)

    def record(self, result) -> int:
        """Store one audit result (an ``AuditResult``) as a new run and return its id.

        The source and config are scrubbed of secrets; the catalog snapshot is stored compressed, once per content.
        The run id and source key are also put in ``result.extras`` (``history_run_id``, ``source_key``).
        """
        key = source_key_of(result)
        source = scrub(dict(result.source or {}))
        catalog_blob = digest = None
        if result.catalog is not None:
            snapshot = result.catalog.to_dict()
            snapshot["source"] = scrub(snapshot.get("source", {}))
            snapshot["server"] = scrub(snapshot.get("server", {}))
            text = json.dumps(snapshot, separators=(",", ":"), default=str).encode("utf-8")
            digest = hashlib.sha256(text).hexdigest()
            # an unchanged catalog (most runs) is stored already: compress only a new one (~20 ms on the demo)
            catalog_blob = None if self._has_catalog(digest) else zlib.compress(text, 6)
        findings = result.findings
        summary = {"total": int(len(findings)),
                   "by_severity": {s: int((findings["severity"] == s).sum()) if len(findings) else 0
                                   for s in SEVERITIES}}
        rows, bodies = [], {}
        for record in _records(findings):
            body = json.dumps({f: record.get(f) for f in FINDING_FIELDS}, sort_keys=True, default=str).encode()
            body_digest = hashlib.sha256(body).hexdigest()
            bodies[body_digest] = body
            rows.append((record["key"], record["check"], record["severity"], record.get("status"),
                         record.get("first_seen"), body_digest))
        run_row = (key, _json(source), result.generated_at, _now(), __version__, _json(list(result.schemas)),
                   _json(scrub(result.config.to_dict())), _json(checks_run(result)), _json(scrub(result.skipped)),
                   _json(summary), digest)
        try:
            run_id = self._insert_run(run_row, digest, catalog_blob, bodies, rows)
        except sqlite3.Error as error:
            raise HistoryError(f"The run could not be recorded in {self.path} ({error}); {_WRITABLE_ELSEWHERE}") \
                from None
        result.extras["history_run_id"] = run_id
        result.extras["source_key"] = key
        return run_id

    def _insert_run(self, run_row: tuple, digest: str | None, catalog_blob: bytes | None,
                    bodies: dict[str, bytes], rows: list[tuple]) -> int:
        """Write one run, its catalog and its findings in one transaction; the new run id."""
        with self._write():
            if catalog_blob is not None:
                self._conn.execute("INSERT OR IGNORE INTO catalogs (digest, snapshot) VALUES (?, ?)",
                                   (digest, catalog_blob))
            cursor = self._conn.execute(
                "INSERT INTO runs (source_key, source, generated_at, recorded_at, auditlib_version, schemas, config, "
                "checks, skipped, summary, catalog_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run_row)
            run_id = int(cursor.lastrowid)
            known = self._known_bodies(list(bodies))
            self._conn.executemany("INSERT OR IGNORE INTO finding_bodies (digest, body) VALUES (?, ?)",
                                   [(d, zlib.compress(b, 6)) for d, b in bodies.items() if d not in known])
            self._conn.executemany(
                "INSERT OR IGNORE INTO findings (run_id, key, check_name, severity, status, first_seen, body_digest) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [(run_id, *row) for row in rows])
        return run_id

    def assign_status(self, result, baseline_keys: Iterable[str] = ()) -> None:
        """Add ``status`` and ``first_seen`` to ``result.findings`` by key, against the previous run of its source.

        ``new``: not in the previous run (first seen now); ``open``: in it (first seen when it first appeared);
        ``suppressed``: its key is in ``baseline_keys`` (or was dropped by the baseline). Findings of the previous
        run that are gone are put in ``result.extras["fixed"]`` (same columns, status ``fixed``). A check that did
        not run this time (skipped, disabled, data checks in a --no-data run) fixes nothing, and one that did not run
        last time is compared with the last run in which it did: absent is not fixed.
        Call it before ``record`` (``track`` does both), or after: the run itself is never its own previous run.
        """
        key = source_key_of(result)
        run_id = result.extras.get("history_run_id")
        earlier, previous = self._earlier_runs(key, set(checks_run(result)), before=run_id)
        # key -> first seen, from the findings table alone: a finding's body is read only when it is fixed
        seen, run_of = {}, {}
        for earlier_run, generated_at, taken in earlier:
            for found, check, first_seen in self._conn.execute(
                    "SELECT key, check_name, first_seen FROM findings WHERE run_id = ?", (earlier_run,)):
                if check in taken:
                    seen[found] = first_seen if isinstance(first_seen, str) and first_seen else generated_at
                    run_of[found] = earlier_run
        suppressed = set(baseline_keys) | set(result.extras.get("suppressed", []))
        findings = result.findings.copy()
        keys = list(findings["key"]) if len(findings) else []
        findings["status"] = pd.Series(["suppressed" if k in suppressed else "open" if k in seen else "new"
                                        for k in keys], index=findings.index, dtype=object)
        findings["first_seen"] = pd.Series([seen.get(k, result.generated_at) for k in keys], index=findings.index,
                                           dtype=object)
        result.findings = findings
        kept = set(keys) | suppressed
        gone_of: dict[int, set[str]] = {}
        for found, earlier_run in run_of.items():
            if found not in kept:
                gone_of.setdefault(earlier_run, set()).add(found)
        parts = []
        for earlier_run, generated_at, _taken in earlier:
            if earlier_run in gone_of:
                # the whole run is read and then filtered, so the frame is typed as it always was (pandas infers
                # a column's type, and what a missing value is, from all of its values)
                part = self._findings(earlier_run)
                part = part[part["key"].isin(gone_of[earlier_run])].copy()
                part["first_seen"] = [f if isinstance(f, str) and f else generated_at for f in part["first_seen"]]
                parts.append(part)
        frames = [part for part in parts if len(part)]
        gone = pd.concat(frames, ignore_index=True) if frames else _empty_findings()
        if not frames and seen:  # nothing fixed: typed as the earlier findings filtered to none (first_seen: str)
            gone["first_seen"] = gone["first_seen"].astype(str)
        gone["status"] = "fixed"
        result.extras["fixed"] = gone[[c for c in findings.columns if c in gone.columns]].reset_index(drop=True)
        result.extras["previous_run_id"] = previous

    def _earlier_runs(self, source_key: str, checks: set[str], before: int | None,
                      lookback: int = 100) -> tuple[list[tuple[int, str, set[str]]], int | None]:
        """For each of ``checks``, the latest earlier run of the source in which it ran: (run id, generated_at, the
        checks taken from it), latest first; and the id of the latest earlier run."""
        rows = self._conn.execute(
            "SELECT run_id, generated_at, checks FROM runs WHERE source_key = ? AND run_id < ? ORDER BY run_id DESC "
            "LIMIT ?", (source_key, before if before is not None else 2 ** 62, lookback)).fetchall()
        wanted, earlier = set(checks), []
        for run_id, generated_at, ran in rows:
            taken = wanted if ran is None else wanted & set(json.loads(ran))  # NULL: every check ran
            if taken:
                earlier.append((run_id, generated_at, taken))
                wanted -= taken
            if not wanted:
                break
        return earlier, rows[0][0] if rows else None

    # -- reading ------------------------------------------------------------------------------------------------
    def runs(self, source_key: str | None = None) -> pd.DataFrame:
        """The recorded runs (of one source, or all), oldest first, with their finding counts by severity."""
        query = ("SELECT run_id, source_key, source, generated_at, recorded_at, auditlib_version, schemas, skipped, "
                 "summary FROM runs" + (" WHERE source_key = ?" if source_key else "") + " ORDER BY run_id")
        rows = self._conn.execute(query, (source_key,) if source_key else ()).fetchall()
        records = []
        for run_id, key, source, generated, recorded, version, schemas, skipped, summary in rows:
            source, summary = json.loads(source), json.loads(summary)
            records.append({"run_id": run_id, "source_key": key, "kind": source.get("kind", "database"),
                            "source": _source_label(source), "generated_at": generated, "recorded_at": recorded,
                            "auditlib_version": version, "schemas": ", ".join(json.loads(schemas)),
                            "findings": summary.get("total", 0),
                            **{s: summary.get("by_severity", {}).get(s, 0) for s in SEVERITIES},
                            "skipped_checks": len(json.loads(skipped))})
        columns = ["run_id", "source_key", "kind", "source", "generated_at", "recorded_at", "auditlib_version",
                   "schemas", "findings", *SEVERITIES, "skipped_checks"]
        return pd.DataFrame(records, columns=columns)

    def sources(self) -> list[str]:
        """Every source key recorded, most recently audited first."""
        rows = self._conn.execute("SELECT source_key FROM runs GROUP BY source_key ORDER BY max(run_id) DESC")
        return [row[0] for row in rows]

    def load(self, run_id: int) -> StoredRun:
        """One run: ``meta`` (facts of the run), its findings (with status) and its catalog (None if not stored)."""
        return StoredRun(meta=self.meta(run_id), findings=self._findings(run_id), catalog=self.catalog(run_id))

    def meta(self, run_id: int) -> dict[str, Any]:
        """The facts of one run: source key and source, times, version, schemas, config, checks, skipped, summary."""
        names = ("run_id", "source_key", "source", "generated_at", "recorded_at", "auditlib_version", "schemas",
                 "config", "checks", "skipped", "summary", "catalog_digest")
        row = self._conn.execute(f"SELECT {', '.join(names)} FROM runs WHERE run_id = ?", (int(run_id),)).fetchone()
        if row is None:
            raise HistoryError(f"There is no run {run_id} in {self.path}; `auditlib diff --list` shows the runs.")
        meta = dict(zip(names, row, strict=True))
        for name in ("source", "schemas", "config", "checks", "skipped", "summary"):
            meta[name] = json.loads(meta[name]) if meta[name] is not None else None
        return meta

    def catalog(self, run_id: int) -> Catalog | None:
        """The catalog snapshot of a run, or None when the run had no catalog."""
        row = self._conn.execute("SELECT c.snapshot FROM runs r JOIN catalogs c ON c.digest = r.catalog_digest "
                                 "WHERE r.run_id = ?", (int(run_id),)).fetchone()
        return Catalog.from_json(zlib.decompress(row[0]).decode("utf-8")) if row else None

    def resolve(self, reference: int | str | None, source_key: str | None = None) -> int | None:
        """A run id from what a user typed: a run id, or -1 for the latest run (of ``source_key``), -2 before it…"""
        if reference in (None, "", 0, "0"):
            return None
        try:
            number = int(reference)
        except (TypeError, ValueError):
            raise HistoryError(f"{reference!r} is not a run; give a run id (see `auditlib diff --list`) or -1 for "
                               "the latest run.") from None
        if number > 0:
            if not self._conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (number,)).fetchone():
                raise HistoryError(f"There is no run {number} in {self.path}; `auditlib diff --list` shows the runs.")
            return number
        ids = self._run_ids(source_key)
        if len(ids) < -number:
            raise HistoryError(f"There are only {len(ids)} runs{_of(source_key)} in {self.path}.")
        return ids[number]

    def pair(self, run_a: int | str | None = None, run_b: int | str | None = None,
             source_key: str | None = None) -> tuple[int, int]:
        """The two runs to compare: as given, else the last two runs of the source (of ``source_key``, of
        ``run_b``'s or ``run_a``'s source, else of the most recently audited source)."""
        a, b = self.resolve(run_a, source_key), self.resolve(run_b, source_key)
        if source_key is None:
            anchor = b or a
            source_key = self._source_of(anchor) if anchor else next(iter(self.sources()), None)
        if source_key is None:
            raise HistoryError(f"The history {self.path} holds no runs yet; run `auditlib audit` first.")
        ids = self._run_ids(source_key)
        if b is None:
            later = [i for i in ids if a is None or i > a]
            b = later[-1] if later else None
        if a is None and b is not None:
            earlier = [i for i in ids if i < b]
            a = earlier[-1] if earlier else None
        if a is None or b is None:
            raise HistoryError(f"Only one run of {source_key} is recorded in {self.path}; audit it again to compare "
                               "two runs, or name two run ids.")
        return a, b

    def finding_changes(self, run_a: int, run_b: int) -> pd.DataFrame:
        """Findings that appeared (``new``) or disappeared (``fixed``) between two runs, worst first."""
        before, after = self._findings(run_a), self._findings(run_b)
        new = after[~after["key"].isin(set(before["key"]))].assign(change="new")
        fixed = before[~before["key"].isin(set(after["key"]))].assign(change="fixed")
        changes = pd.concat([new, fixed], ignore_index=True) if len(new) or len(fixed) else \
            pd.DataFrame(columns=[*new.columns])
        columns = ["change", "severity", "check", "object", "title", "key"]
        if not len(changes):
            return pd.DataFrame(columns=columns)
        changes["_rank"] = changes["severity"].map(severity_rank)
        changes["_change"] = changes["change"].map({"new": 0, "fixed": 1})
        changes = changes.sort_values(["_change", "_rank", "check", "object"], kind="stable")
        return changes[columns].reset_index(drop=True)

    def trends(self, source_key: str) -> pd.DataFrame:
        """Per run of a source: open findings by severity, new, fixed, suppressed, and days to fix (median, mean,
        max) of the findings fixed in that run — computed from the stored keys, so runs recorded without a status
        count too. A finding's age starts when it appeared; a run in which its check did not run does not end it."""
        runs = self._conn.execute("SELECT run_id, generated_at, checks FROM runs WHERE source_key = ? ORDER BY run_id",
                                  (source_key,)).fetchall()
        rows = self._conn.execute(
            "SELECT f.run_id, f.key, f.check_name, f.severity, f.status FROM findings f JOIN runs r USING (run_id) "
            "WHERE r.source_key = ?", (source_key,)).fetchall()
        by_run: dict[int, list[tuple]] = {}
        for run_id, key, check, severity, status in rows:
            by_run.setdefault(run_id, []).append((key, check, severity, status))
        records = []
        since: dict[str, datetime] = {}
        check_of: dict[str, str] = {}
        for run_id, generated, checks in runs:
            when = _parse_time(generated)
            ran = set(json.loads(checks)) if checks else None
            found = by_run.get(run_id, [])
            keys = {key for key, *_ in found}
            new = [key for key in keys if key not in since]
            fixed = [key for key in since if key not in keys and (ran is None or check_of[key] in ran)]
            days = [(when - since.pop(key)).total_seconds() / 86400 for key in fixed]
            for key, check, *_ in found:
                check_of[key] = check
                since.setdefault(key, when)
            active = [severity for _, _, severity, status in found if status != "suppressed"]
            records.append({"run_id": run_id, "generated_at": generated, "total": len(active),
                            **{s: active.count(s) for s in SEVERITIES},
                            "new": len(new), "fixed": len(fixed),
                            "suppressed": sum(1 for *_, status in found if status == "suppressed"),
                            "median_days_to_fix": float(pd.Series(days).median()) if days else None,
                            "mean_days_to_fix": float(pd.Series(days).mean()) if days else None,
                            "max_days_to_fix": max(days) if days else None})
        columns = ["run_id", "generated_at", "total", *SEVERITIES, "new", "fixed", "suppressed",
                   "median_days_to_fix", "mean_days_to_fix", "max_days_to_fix"]
        frame = pd.DataFrame(records, columns=columns)
        frame["generated_at"] = pd.to_datetime(frame["generated_at"], utc=True)
        return frame

    # -- internals ----------------------------------------------------------------------------------------------
    def _run_ids(self, source_key: str | None) -> list[int]:
        if source_key is None:
            rows = self._conn.execute("SELECT run_id FROM runs ORDER BY run_id")
        else:
            rows = self._conn.execute("SELECT run_id FROM runs WHERE source_key = ? ORDER BY run_id", (source_key,))
        return [row[0] for row in rows]

    def _source_of(self, run_id: int) -> str:
        return self._conn.execute("SELECT source_key FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]

    def _has_catalog(self, digest: str) -> bool:
        return self._conn.execute("SELECT 1 FROM catalogs WHERE digest = ?", (digest,)).fetchone() is not None

    def _known_bodies(self, digests: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(digests), 500):
            chunk = digests[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._conn.execute(f"SELECT digest FROM finding_bodies WHERE digest IN ({marks})", chunk)
            known.update(row[0] for row in rows)
        return known

    def _findings(self, run_id: int) -> pd.DataFrame:
        rows = self._conn.execute(
            "SELECT f.status, f.first_seen, b.body FROM findings f JOIN finding_bodies b ON b.digest = f.body_digest "
            "WHERE f.run_id = ?", (int(run_id),)).fetchall()
        if not rows:
            return _empty_findings()
        records = [{**json.loads(zlib.decompress(body)), "status": status, "first_seen": first_seen}
                   for status, first_seen, body in rows]
        frame = pd.DataFrame.from_records(records, columns=[*FINDING_FIELDS, *STATUS_FIELDS]).astype(object)
        frame["evidence"] = [{} if e is None else e for e in frame["evidence"]]
        frame["line"] = pd.array([None if pd.isna(v) else int(v) for v in frame["line"]], dtype="Int64")
        frame["_rank"] = frame["severity"].map(severity_rank)
        frame = frame.sort_values(["_rank", "category", "check", "object"], kind="stable").drop(columns="_rank")
        return frame.reset_index(drop=True)


class _Transaction:
    """``with``: one write transaction, taken at once (BEGIN IMMEDIATE) so two writers queue instead of deadlocking."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind, error, traceback) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")


def source_key_of(result) -> str:
    """The source key of an ``AuditResult``."""
    return source_key(result.source or {}, result.schemas)


def checks_run(result) -> list[str]:
    """The checks that ran in an audit: the kinds its source allows, minus disabled and skipped ones."""
    from auditlib.checks import load_checks

    kinds = {"schema"}
    if (result.source or {}).get("kind") == "migrations":
        kinds.add("migrations")
    if "data_queries" in result.extras:
        kinds.add("data")
    if result.extras.get("code_scan") is not None:
        kinds.add("code")
    disabled = set(result.config["audit"]["disabled_checks"]) | {s["check"] for s in result.skipped}
    return sorted(name for name, spec in load_checks().items() if spec.kind in kinds and name not in disabled)


def _statements(script: str) -> Iterator[str]:
    """The statements of a script, one at a time (``executescript`` would commit the open transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""


def _empty_findings() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in (*FINDING_FIELDS, *STATUS_FIELDS)})
    frame["line"] = pd.array([], dtype="Int64")
    return frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    from auditlib.findings import frame_records

    return frame_records(frame) if len(frame) else []


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _source_label(source: dict[str, Any]) -> str:
    return str(source.get("dsn") or source.get("path") or source.get("database") or source.get("kind", ""))


def _of(source_key: str | None) -> str:
    return f" of {source_key}" if source_key else ""
