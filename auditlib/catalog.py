"""The catalog: what a database contains, read in a fixed number of set-based pg_catalog queries.

Every check reads a ``Catalog``; none queries pg_catalog itself. A catalog is a handful of pandas DataFrames whose
columns are documented in ``FRAMES`` below, plus lookups by qualified name. ``to_json``/``from_json`` round-trip it
exactly, so a snapshot can be audited or compared later without the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from auditlib.connect import (
    SessionLimits,
    SourceError,
    address,
    explain_connection_error,
    is_sqlalchemy,
    read_only_connection,
    read_only_engine,
)

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy as sa

FORMAT = "auditlib-catalog"
FORMAT_VERSION = 1

SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})

# Frame name -> (query file, {column: dtype}). Dtypes: "str" (object, None allowed), "list" (list of str),
# "bool", "int" (int64), "Int64" (nullable int). The order of columns is the order of the SQL's select list.
FRAMES: dict[str, tuple[str, dict[str, str]]] = {
    "schemas": ("schemas.sql", {"name": "str", "owner": "str", "comment": "str"}),
    "relations": ("relations.sql", {
        "schema": "str", "name": "str", "kind": "str", "parent_schema": "str", "parent_table": "str",
        "partition_key": "str", "rls_enabled": "bool", "rls_forced": "bool", "row_estimate": "Int64",
        "size_bytes": "Int64", "comment": "str", "owner": "str", "definition": "str", "locked": "bool",
        "security_invoker": "bool", "security_barrier": "bool", "reads": "list", "inherits_from": "str",
        "publications": "list", "calls": "list"}),
    "columns": ("columns.sql", {
        "schema": "str", "table": "str", "name": "str", "position": "int", "data_type": "str", "base_type": "str",
        "is_array": "bool", "nullable": "bool", "default": "str", "identity": "str", "generated": "str",
        "comment": "str", "select_grantees": "list"}),
    "constraints": ("constraints.sql", {
        "schema": "str", "table": "str", "name": "str", "type": "str", "columns": "list", "ref_schema": "str",
        "ref_table": "str", "ref_columns": "list", "on_delete": "str", "on_update": "str", "deferrable": "bool",
        "deferred": "bool", "validated": "bool", "definition": "str", "enforced": "bool"}),
    "indexes": ("indexes.sql", {
        "schema": "str", "table": "str", "name": "str", "columns": "list", "include_columns": "list",
        "is_unique": "bool", "is_primary": "bool", "is_valid": "bool", "predicate": "str", "method": "str",
        "definition": "str"}),
    "triggers": ("triggers.sql", {
        "schema": "str", "table": "str", "name": "str", "function_schema": "str", "function_name": "str",
        "timing": "str", "events": "list", "level": "str", "enabled": "str", "update_columns": "list",
        "definition": "str"}),
    "functions": ("functions.sql", {
        "schema": "str", "name": "str", "arguments": "str", "returns": "str", "language": "str", "kind": "str",
        "security_definer": "bool", "volatility": "str", "config": "list", "source": "str", "comment": "str",
        "leakproof": "bool", "execute_grantees": "list", "owner": "str"}),
    "policies": ("policies.sql", {
        "schema": "str", "table": "str", "name": "str", "command": "str", "permissive": "bool", "roles": "list",
        "using_expression": "str", "with_check": "str"}),
    "privileges": ("privileges.sql", {"schema": "str", "table": "str", "grantee": "str", "privilege": "str"}),
    "roles": ("roles.sql", {"name": "str", "superuser": "bool", "can_login": "bool", "bypass_rls": "bool",
                            "member_of": "list"}),
    "extensions": ("extensions.sql", {"name": "str", "version": "str", "schema": "str"}),
    "default_privileges": ("default_privileges.sql", {"role": "str", "schema": "str", "object_type": "str",
                                                      "grantee": "str", "privilege": "str"}),
}
# Columns added to a frame after snapshots were first written: a snapshot without them reads them as this value
# (any other missing column reads as its kind's empty value: None, [], False). A missing frame reads as empty.
LATER_COLUMN_DEFAULTS: dict[tuple[str, str], Any] = {("constraints", "enforced"): True}
SERVER_QUERY = "server.sql"
TABLE_KINDS = ("table", "partitioned table", "foreign table")
VIEW_KINDS = ("view", "materialized view")


def read_sql(name: str) -> str:
    """The text of a query shipped in ``auditlib/sql`` (``name`` relative to that folder)."""
    return (resources.files("auditlib") / "sql" / name).read_text(encoding="utf-8")


def build_frame(rows: list[Any], spec: dict[str, str]) -> pd.DataFrame:
    """A DataFrame with exactly ``spec``'s columns and dtypes from row tuples/lists (None stays None)."""
    columns = list(spec)
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data: dict[str, pd.Series] = {}
    for (name, kind), values in zip(spec.items(), transposed, strict=True):
        # psycopg already returns these types; converting only the odd value keeps 10,000-row frames cheap.
        if kind == "list":
            data[name] = pd.Series([v if type(v) is list else [] if v is None else list(v) for v in values],
                                   dtype=object)
        elif kind == "str":
            if not all(type(v) is str or v is None for v in values):
                values = [None if v is None else str(v) for v in values]
            data[name] = pd.Series(values, dtype=object)
        elif kind == "bool":
            data[name] = pd.Series([bool(v) for v in values] if None in values else values, dtype=bool)
        elif kind == "int":
            data[name] = pd.Series([int(v) for v in values], dtype="int64")
        elif kind == "Int64":
            data[name] = pd.Series([None if v is None else int(v) for v in values], dtype="Int64")
        else:  # pragma: no cover - a programming error in FRAMES
            raise ValueError(f"unknown column kind {kind!r}")
    return pd.DataFrame(data, columns=columns)


def _plain(value: Any) -> Any:
    """A JSON-ready Python value from a DataFrame cell."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, list):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    return value


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A frame's rows as JSON-ready Python values (``_plain`` of each cell), converted a column at a time: numeric
    and bool columns by ``tolist`` (Python scalars already), a cell-by-cell pass only where a value may need one."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        values = column.tolist()
        if column.dtype == object or isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
            values = [v if type(v) is str else _plain(v) for v in values]
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)]


def _rows_for(frame: str, stored: dict, spec: dict[str, str]) -> list[list[Any]]:
    """A stored frame's rows in ``spec``'s column order; columns an older snapshot lacks get their default."""
    columns = list(stored["columns"])
    if columns == list(spec):
        return stored["rows"]
    unknown = [c for c in columns if c not in spec]
    if unknown or len(set(columns)) != len(columns):
        raise ValueError(f"Catalog snapshot frame {frame!r} has columns {columns}, expected {list(spec)}.")
    empty = {"str": None, "list": [], "bool": False, "int": 0, "Int64": None}
    position = {c: i for i, c in enumerate(columns)}
    defaults = {c: LATER_COLUMN_DEFAULTS.get((frame, c), empty[kind]) for c, kind in spec.items()}
    return [[row[position[c]] if c in position else defaults[c] for c in spec] for row in stored["rows"]]


def qualified(schema: str, name: str, column: str | None = None) -> str:
    """The display name ``schema.table[.column]`` used in findings and lookups (not quoted)."""
    return f"{schema}.{name}" if column is None else f"{schema}.{name}.{column}"


@dataclass
class Catalog:
    """A database's structure as DataFrames (see ``FRAMES`` for their columns) plus server facts."""

    server: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    source: dict[str, Any] = field(default_factory=dict)

    # -- frames as attributes ------------------------------------------------------------------------------------
    @property
    def schemas(self) -> pd.DataFrame:
        return self.frames["schemas"]

    @property
    def relations(self) -> pd.DataFrame:
        return self.frames["relations"]

    @cached_property
    def tables(self) -> pd.DataFrame:
        """Tables (ordinary, partitioned, foreign) — not views."""
        rel = self.relations
        return rel[rel["kind"].isin(TABLE_KINDS)].reset_index(drop=True)

    @cached_property
    def views(self) -> pd.DataFrame:
        """Views and materialized views, with their definitions."""
        rel = self.relations
        return rel[rel["kind"].isin(VIEW_KINDS)].reset_index(drop=True)

    @property
    def columns(self) -> pd.DataFrame:
        return self.frames["columns"]

    @property
    def constraints(self) -> pd.DataFrame:
        return self.frames["constraints"]

    @cached_property
    def foreign_keys(self) -> pd.DataFrame:
        """Foreign-key constraints only."""
        con = self.constraints
        return con[con["type"] == "foreign key"].reset_index(drop=True)

    @property
    def indexes(self) -> pd.DataFrame:
        return self.frames["indexes"]

    @property
    def triggers(self) -> pd.DataFrame:
        return self.frames["triggers"]

    @property
    def functions(self) -> pd.DataFrame:
        return self.frames["functions"]

    @property
    def policies(self) -> pd.DataFrame:
        return self.frames["policies"]

    @property
    def privileges(self) -> pd.DataFrame:
        return self.frames["privileges"]

    @property
    def roles(self) -> pd.DataFrame:
        return self.frames["roles"]

    @property
    def extensions(self) -> pd.DataFrame:
        return self.frames["extensions"]

    @property
    def default_privileges(self) -> pd.DataFrame:
        return self.frames["default_privileges"]

    @property
    def server_version_num(self) -> int:
        return int(self.server["server_version_num"])

    # -- lookups -------------------------------------------------------------------------------------------------
    @cached_property
    def _relation_index(self) -> dict[tuple[str, str], dict]:
        return {(r["schema"], r["name"]): r for r in self.records("relations")}

    @cached_property
    def _columns_index(self) -> dict[tuple[str, str], list[dict]]:
        index: dict[tuple[str, str], list[dict]] = {}
        for record in self.records("columns"):
            index.setdefault((record["schema"], record["table"]), []).append(record)
        return index

    def relation(self, schema: str, name: str) -> dict | None:
        """The relations row of a table or view as a dict, or None."""
        return self._relation_index.get((schema, name))

    def row_estimate(self, schema: str, name: str) -> int | None:
        """The planner's row estimate of a table (reltuples), or None when it has none (never analysed)."""
        value = (self.relation(schema, name) or {}).get("row_estimate")
        return None if value is None or pd.isna(value) else int(value)

    def has_table(self, schema: str, name: str) -> bool:
        """True when the table (not a view) exists."""
        row = self.relation(schema, name)
        return row is not None and row["kind"] in TABLE_KINDS

    def table_columns(self, schema: str, name: str) -> list[dict]:
        """The columns of a table or view, in position order, as dicts."""
        return self._columns_index.get((schema, name), [])

    def column(self, schema: str, table: str, name: str) -> dict | None:
        """One column as a dict, or None."""
        for record in self.table_columns(schema, table):
            if record["name"] == name:
                return record
        return None

    @cached_property
    def _primary_keys(self) -> dict[tuple[str, str], list[str]]:
        return {(r["schema"], r["table"]): list(r["columns"]) for r in self.records("constraints")
                if r["type"] == "primary key"}

    def primary_key(self, schema: str, table: str) -> list[str]:
        """The primary-key columns of a table, in key order ([] when it has none)."""
        return self._primary_keys.get((schema, table), [])

    def foreign_keys_of(self, schema: str, table: str) -> pd.DataFrame:
        """Foreign keys declared on a table (outgoing)."""
        fks = self.foreign_keys
        return fks[(fks["schema"] == schema) & (fks["table"] == table)]

    def foreign_keys_to(self, schema: str, table: str) -> pd.DataFrame:
        """Foreign keys that reference a table (incoming)."""
        fks = self.foreign_keys
        return fks[(fks["ref_schema"] == schema) & (fks["ref_table"] == table)]

    def user_tables(self, schemas: list[str] | None = None) -> pd.DataFrame:
        """Tables that are not partitions (a partition is audited through its parent), optionally in ``schemas``."""
        tables = self.tables[self.tables["parent_table"].isna()]
        if schemas is not None:
            tables = tables[tables["schema"].isin(schemas)]
        return tables.reset_index(drop=True)

    # -- serialisation -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dict of the whole catalog."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "server": dict(self.server),
            "source": dict(self.source),
            "frames": {name: {"columns": list(frame.columns), "rows": _plain_rows(frame)}
                       for name, frame in self.frames.items()},
        }

    def to_json(self, indent: int | None = None) -> str:
        """The catalog as a JSON document (``Catalog.from_json`` reads it back exactly)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict) -> Catalog:
        """Rebuild a catalog from ``to_dict`` output."""
        if data.get("format") != FORMAT:
            raise ValueError("This file is not an auditlib catalog snapshot (missing format 'auditlib-catalog').")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"Catalog snapshot format {data.get('format_version')} is not supported; "
                             f"this auditlib reads format {FORMAT_VERSION}.")
        frames = {}
        for name, (_, spec) in FRAMES.items():
            stored = data["frames"].get(name, {"columns": list(spec), "rows": []})
            frames[name] = build_frame(_rows_for(name, stored, spec), spec)
        return cls(server=dict(data["server"]), frames=frames, source=dict(data.get("source", {})))

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        """Rebuild a catalog from ``to_json`` output."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def read_snapshot(cls, path: str | Path) -> Catalog:
        """Read a snapshot file written by ``auditlib catalog --format json``; a file that is not one is a
        ``SourceError`` whose one sentence says so."""
        path = Path(path)
        hint = "write one with `auditlib catalog --dsn ... --format json --output FILE`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, IsADirectoryError):
            raise SourceError(f"The snapshot file {path} does not exist; {hint}.") from None
        except UnicodeDecodeError:
            raise SourceError(f"The snapshot file {path} is not UTF-8 text, so not a catalog snapshot; {hint}.") from None
        except json.JSONDecodeError as error:
            raise SourceError(f"The snapshot file {path} is not JSON (line {error.lineno}: {error.msg}); "
                              f"{hint}.") from None
        if not isinstance(data, dict):
            raise SourceError(f"The snapshot file {path} is not a catalog snapshot; {hint}.")
        try:
            return cls.from_dict(data)
        except ValueError as error:
            raise SourceError(f"{path}: {error}") from None
        except (KeyError, TypeError, AttributeError):
            raise SourceError(f"The snapshot file {path} is not a complete catalog snapshot; {hint}.") from None

    def equals(self, other: Catalog) -> bool:
        """True when both catalogs hold the same server facts and identical frames."""
        return (self.server == other.server and self.frames.keys() == other.frames.keys()
                and all(self.frames[n].equals(other.frames[n]) for n in self.frames))

    def summary(self) -> pd.DataFrame:
        """Object counts per schema: tables, views, columns, foreign keys, indexes, policies, triggers."""
        def count(frame: pd.DataFrame, label: str) -> pd.Series:
            return frame.groupby("schema").size().rename(label)

        parts = [count(self.tables, "tables"), count(self.views, "views"), count(self.columns, "columns"),
                 count(self.foreign_keys, "foreign_keys"), count(self.indexes, "indexes"),
                 count(self.policies, "policies"), count(self.triggers, "triggers"),
                 count(self.functions, "functions")]
        rls = self.tables[self.tables["rls_enabled"]].groupby("schema").size().rename("rls_tables")
        result = pd.concat([*parts, rls], axis=1).fillna(0).astype(int)
        result.index.name = "schema"
        return result.sort_index().reset_index()

    # -- rows as dicts -------------------------------------------------------------------------------------------
    def records(self, name: str) -> list[dict]:
        """The rows of a frame of ``FRAMES`` (or of ``tables``, ``views``, ``foreign_keys``, ``user_tables()``) as
        dicts, converted once per catalog: the checks walk them row by row. Shared by every reader, so read only."""
        if name not in FRAMES and name not in ("tables", "views", "foreign_keys", "user_tables"):
            raise KeyError(f"no frame named {name!r}")
        cache = self.__dict__.setdefault("_records", {})
        if name not in cache:
            frame = self.user_tables() if name == "user_tables" else getattr(self, name)
            # what frame.to_dict("records") gives (a missing Int64 is None), a few times faster: a list per column
            columns = list(frame.columns)
            values = [[None if v is pd.NA else v for v in frame[c].tolist()] for c in columns]
            cache[name] = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
        return cache[name]


def load_catalog(source: str | sa.URL | sa.Engine | sa.Connection | None, schemas: list[str] | None = None, *,
                 limits: SessionLimits | None = None) -> Catalog:
    """Read a database's catalog: one query per frame (a fixed count whatever the number of tables).

    ``source`` is a DSN (None: the PG* variables) or SQLAlchemy URL, opened as a read-only session with ``limits``
    (default: ``SessionLimits()``), or an Engine or an open Connection. ``schemas`` limits the catalog to those
    schemas; by default every schema but the system ones is read.
    """
    if is_sqlalchemy(source, "Connection"):
        return _load(source, schemas)
    limits = limits or SessionLimits()
    plain = None if is_sqlalchemy(source, "URL") or is_sqlalchemy(source, "Engine") else address(source)
    if plain is not None:  # psycopg alone: a structural audit never imports SQLAlchemy (a fifth of a second)
        with read_only_connection(plain, limits) as conn:
            return _load(conn, schemas)
    import sqlalchemy as sa  # here, not at the top: see above

    engine = source if isinstance(source, sa.Engine) else read_only_engine(source, limits)
    try:
        with engine.connect() as conn:
            return _load(conn, schemas)
    except sa.exc.OperationalError as error:
        raise SourceError(explain_connection_error(error, engine.url)) from None
    finally:
        if not isinstance(source, sa.Engine):
            engine.dispose()


def _load(conn: sa.Connection | psycopg.Connection, schemas: list[str] | None) -> Catalog:
    run = _sqlalchemy_query if is_sqlalchemy(conn, "Connection") else _psycopg_query
    params = {"schemas": list(schemas) if schemas else None}
    # An empty search path makes every expression and definition schema-qualified, whoever reads the catalog.
    run(conn, "SELECT pg_catalog.set_config('search_path', '', true)", {})
    names, rows = run(conn, read_sql(f"catalog/{SERVER_QUERY}"), {})
    server = dict(zip(names, rows[0], strict=True))
    if server["server_version_num"] < 130000:
        raise SourceError(f"The server runs PostgreSQL {server['server_version']}; auditlib reads PostgreSQL 13 "
                          "or newer.")
    frames = {}
    for name, (filename, spec) in FRAMES.items():
        query = read_sql(f"catalog/{filename}")
        bind = params if ":schemas" in query else {}
        frames[name] = build_frame(run(conn, query, bind)[1], spec)
    return Catalog(server=server, frames=frames)


def _sqlalchemy_query(conn: sa.Connection, query: str, params: dict[str, Any]) -> tuple[list[str], list]:
    """Column names and rows of a catalog query (written with SQLAlchemy's ``:name`` parameters)."""
    import sqlalchemy as sa  # only ever called with a SQLAlchemy connection, so already imported

    result = conn.execute(sa.text(query), params)
    return list(result.keys()), result.all()


def _psycopg_query(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> tuple[list[str], list]:
    """The same through psycopg: ``:schemas`` becomes psycopg's placeholder, and a literal ``%`` is doubled (only in
    a query with parameters: psycopg sends one without them as it is)."""
    if params:
        query = query.replace("%", "%%").replace(":schemas", "%(schemas)s")
    cursor = conn.execute(query, params or None)
    return [column.name for column in cursor.description], cursor.fetchall()
