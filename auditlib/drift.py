"""Schema drift: what changed between two catalogs, object by object, and the notebook/CLI helper around it.

``diff_catalogs(old, new)`` compares two ``Catalog``s — two recorded runs, a snapshot file and a live database, or a
migration folder (built in a scratch database) and the database it should have produced — and returns one row per
table, column, constraint, index, policy, trigger, function or view added, removed or changed.

Objects are matched by name, never by position or OID, and only what a migration decides is compared: row estimates,
sizes, owners, column positions (ALTER TABLE ADD COLUMN and dropped columns shift them) and extension versions are
left out, and by default only the audited schemas are compared (the platform schemas a stub provides differ
naturally between a scratch database and production). A constraint, index, policy or trigger that only changed its
name is one ``changed`` row ("renamed"). The columns of an added table, and everything on a removed table, are
not listed again: the table's row describes them.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from auditlib.catalog import TABLE_KINDS, VIEW_KINDS, Catalog
from auditlib.config import AuditConfig
from auditlib.sources import Source, open_source, resolve_source

KINDS = ("schema", "table", "column", "constraint", "index", "policy", "trigger", "function", "view")
CHANGES = ("added", "removed", "changed")
DIFF_COLUMNS = ["kind", "object", "change", "before", "after", "details", "schema", "table", "related"]
# A removed table takes everything on it along; an added table lists its columns, but its keys, indexes, policies
# and triggers are what a reviewer of the change wants to see, so they get rows of their own.
REMOVED_WITH_TABLE = frozenset({"column", "constraint", "index", "policy", "trigger"})
ADDED_WITH_TABLE = frozenset({"column"})
TEXT_FIELDS = frozenset({"definition", "source", "using", "with check", "comment"})

Table = tuple[str, str]
_QUALIFIER = re.compile(r'(?:\b[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.(?=[A-Za-z_"])')


@dataclass
class _Object:
    """One comparable object: its name, the table it belongs to, the fields compared, and a one-line description."""

    kind: str
    name: str
    schema: str
    table: str | None
    fields: dict[str, Any]
    describe: str
    related: tuple[Table, ...] = ()
    rename_key: tuple | None = None  # what identifies it apart from its name (renames are matched on it)


# -- what is compared, per kind ---------------------------------------------------------------------------------
@dataclass
class _Scope:
    """A catalog narrowed to the compared schemas, with the lookups every kind needs."""

    catalog: Catalog
    schemas: set[str]
    cross_version: bool = False  # the other catalog comes from another PostgreSQL major version
    relations: dict[Table, dict] = field(default_factory=dict)
    whole_tables: set[Table] = field(default_factory=set)  # tables that are not partitions
    columns_of: dict[Table, list[dict]] = field(default_factory=dict)
    constraint_names: set[tuple[str, str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.relations = {(r["schema"], r["name"]): r for r in _rows(self.catalog.relations)
                          if r["schema"] in self.schemas}
        # Partitions mirror their parent's columns and indexes: only the partition itself is compared.
        self.whole_tables = {k for k, r in self.relations.items() if r["kind"] in TABLE_KINDS and not r["parent_table"]}
        for column in _rows(self.catalog.columns):
            self.columns_of.setdefault((column["schema"], column["table"]), []).append(column)
        self.constraint_names = {(c["schema"], c["table"], c["name"]) for c in _rows(self.catalog.constraints)}


def _objects(catalog: Catalog, schemas: set[str], cross_version: bool = False) -> dict[str, dict[str, _Object]]:
    """Every comparable object of a catalog in ``schemas``, by kind, keyed by qualified name."""
    scope = _Scope(catalog, schemas, cross_version)
    found: dict[str, dict[str, _Object]] = {kind: {} for kind in KINDS}
    for reader in (_schema_objects, _relation_objects, _column_objects, _constraint_objects, _index_objects,
                   _policy_objects, _trigger_objects, _function_objects):
        for obj in reader(scope):
            found[obj.kind][obj.name] = obj
    return found


def _schema_objects(scope: _Scope) -> Iterator[_Object]:
    for schema in sorted(set(scope.catalog.schemas["name"]) & scope.schemas):
        yield _Object("schema", schema, schema, None, {}, "schema")


def _relation_objects(scope: _Scope) -> Iterator[_Object]:
    """Tables (RLS, partitioning, comment) and views (definition)."""
    for (schema, name), row in scope.relations.items():
        qualified = f"{schema}.{name}"
        if row["kind"] in VIEW_KINDS:
            definition = _strip(row["definition"])
            if scope.cross_version and definition:
                # PostgreSQL 16 stopped qualifying column names in view definitions where they are unambiguous, so
                # across major versions the text is compared without qualifiers (a view that swaps t1.id for t2.id
                # over the same join then goes unnoticed; within one version the text is compared as is).
                definition = _QUALIFIER.sub("", definition)
            yield _Object("view", qualified, schema, name, {"kind": row["kind"], "definition": definition},
                          f"{row['kind']}: {definition}")
            continue
        parent = f"{row['parent_schema']}.{row['parent_table']}" if row["parent_table"] else None
        columns = sorted(scope.columns_of.get((schema, name), []), key=lambda c: c["position"])
        fields = {"kind": row["kind"], "partition of": parent, "partition key": row["partition_key"],
                  "row level security": row["rls_enabled"], "forced row level security": row["rls_forced"],
                  "comment": row["comment"]}
        yield _Object("table", qualified, schema, name, fields,
                      f"{row['kind']} ({', '.join(c['name'] + ' ' + c['data_type'] for c in columns)})",
                      related=((row["parent_schema"], row["parent_table"]),) if parent else ())


def _column_objects(scope: _Scope) -> Iterator[_Object]:
    """Columns of tables, by name (never position): type, nullability, default, identity, generation, comment."""
    for schema, name in sorted(scope.whole_tables):
        for column in scope.columns_of.get((schema, name), []):
            fields = {"type": column["data_type"], "nullable": column["nullable"], "default": column["default"],
                      "identity": column["identity"], "generated": column["generated"], "comment": column["comment"]}
            yield _Object("column", f"{schema}.{name}.{column['name']}", schema, name, fields, _column_text(fields))


def _constraint_objects(scope: _Scope) -> Iterator[_Object]:
    """Keys, unique, check, exclusion and foreign-key constraints (target, ON DELETE/UPDATE, validation)."""
    for con in _rows(scope.catalog.constraints):
        if (con["schema"], con["table"]) not in scope.whole_tables:
            continue
        fields = {"type": con["type"], "columns": list(con["columns"]), "definition": con["definition"],
                  "validated": con["validated"], "deferrable": con["deferrable"], "deferred": con["deferred"]}
        related: tuple[Table, ...] = ()
        if con["type"] == "foreign key":
            fields.update({"references": f"{con['ref_schema']}.{con['ref_table']}({', '.join(con['ref_columns'])})",
                           "on delete": con["on_delete"], "on update": con["on_update"]})
            related = ((con["ref_schema"], con["ref_table"]),)
        yield _Object("constraint", f"{con['schema']}.{con['table']}.{con['name']}", con["schema"], con["table"],
                      fields, con["definition"] or con["type"], related,
                      rename_key=(con["schema"], con["table"], con["type"], con["definition"]))


def _index_objects(scope: _Scope) -> Iterator[_Object]:
    """Indexes of tables and materialized views, except those of keys and unique constraints (compared as
    constraints) and partitions' copies."""
    for index in _rows(scope.catalog.indexes):
        key = (index["schema"], index["table"], index["name"])
        relation = scope.relations.get(key[:2])
        if relation is None or key in scope.constraint_names or (relation["kind"] in TABLE_KINDS
                                                                 and key[:2] not in scope.whole_tables):
            continue
        definition = index["definition"] or ""
        # The index's name appears in its definition; cut it out so a rename compares equal on the rest.
        anonymous = definition.replace(f" INDEX {_quote(index['name'])} ON ", " INDEX ON ", 1)
        fields = {"columns": list(index["columns"]), "include": list(index["include_columns"]),
                  "unique": index["is_unique"], "method": index["method"], "predicate": index["predicate"],
                  "valid": index["is_valid"], "definition": anonymous}
        yield _Object("index", ".".join(key), index["schema"], index["table"], fields, definition,
                      rename_key=(index["schema"], index["table"], anonymous))


def _policy_objects(scope: _Scope) -> Iterator[_Object]:
    """Row-level security policies: command, roles, USING and WITH CHECK expressions as text."""
    for policy in _rows(scope.catalog.policies):
        if (policy["schema"], policy["table"]) not in scope.relations:
            continue
        fields = {"command": policy["command"], "permissive": policy["permissive"], "roles": list(policy["roles"]),
                  "using": policy["using_expression"], "with check": policy["with_check"]}
        yield _Object("policy", f"{policy['schema']}.{policy['table']}.{policy['name']}", policy["schema"],
                      policy["table"], fields, _policy_text(fields),
                      rename_key=(policy["schema"], policy["table"], _freeze(fields)))


def _trigger_objects(scope: _Scope) -> Iterator[_Object]:
    """Triggers: function, timing, events, level, enabled state, columns, definition."""
    for trigger in _rows(scope.catalog.triggers):
        if (trigger["schema"], trigger["table"]) not in scope.relations:
            continue
        definition = trigger["definition"] or ""
        anonymous = definition.replace(f"TRIGGER {_quote(trigger['name'])} ", "TRIGGER ", 1)
        fields = {"function": f"{trigger['function_schema']}.{trigger['function_name']}",
                  "timing": trigger["timing"], "events": list(trigger["events"]), "level": trigger["level"],
                  "state": trigger["enabled"], "columns": list(trigger["update_columns"]), "definition": anonymous}
        yield _Object("trigger", f"{trigger['schema']}.{trigger['table']}.{trigger['name']}", trigger["schema"],
                      trigger["table"], fields, definition,
                      rename_key=(trigger["schema"], trigger["table"], _freeze(fields)))


def _function_objects(scope: _Scope) -> Iterator[_Object]:
    """Functions and procedures by signature: source, security definer, settings, volatility, result, language.
    A trigger function is related to the tables whose triggers call it (the diagram draws them)."""
    callers: dict[tuple[str, str], set[Table]] = {}
    for trigger in _rows(scope.catalog.triggers):
        callers.setdefault((trigger["function_schema"], trigger["function_name"]), set()).add(
            (trigger["schema"], trigger["table"]))
    for function in _rows(scope.catalog.functions):
        if function["schema"] not in scope.schemas:
            continue
        fields = {"returns": function["returns"], "language": function["language"], "kind": function["kind"],
                  "security definer": function["security_definer"], "volatility": function["volatility"],
                  "config": list(function["config"]), "source": _strip(function["source"]),
                  "comment": function["comment"]}
        yield _Object("function", f"{function['schema']}.{function['name']}({function['arguments']})",
                      function["schema"], None, fields,
                      f"{function['kind']} returning {function['returns']}, {function['language']}"
                      + (", security definer" if function["security_definer"] else ""),
                      related=tuple(sorted(callers.get((function["schema"], function["name"]), ()))))


def diff_catalogs(old: Catalog, new: Catalog, schemas: list[str] | None = None,
                  config: AuditConfig | None = None) -> pd.DataFrame:
    """What changed from ``old`` to ``new``: one row per object added, removed or changed.

    Columns: ``kind`` (schema, table, column, constraint, index, policy, trigger, function, view), ``object``
    (qualified name; functions with their argument types), ``change`` (added/removed/changed), ``before`` and
    ``after`` (the object, or for a change the fields that differ), ``details`` (a sentence naming what differs),
    ``schema``, ``table`` (the table it belongs to, when it does) and ``related`` (tables it references).
    ``schemas`` defaults to the audited schemas of both catalogs (every schema but the platform ones).
    """
    config = config or AuditConfig()
    if schemas is None or "all" in schemas:
        available = sorted(set(old.schemas["name"]) | set(new.schemas["name"]))
        schemas = available if schemas else config.audited_schemas(available)
    wanted = set(schemas)
    cross_version = _major(old) != _major(new)
    before, after = _objects(old, wanted, cross_version), _objects(new, wanted, cross_version)
    rows: list[dict[str, Any]] = []
    gone_tables = set(before["table"]) - set(after["table"])
    new_tables = set(after["table"]) - set(before["table"])
    for kind in KINDS:
        old_objects, new_objects = before[kind], after[kind]
        removed = {n: o for n, o in old_objects.items() if n not in new_objects}
        added = {n: o for n, o in new_objects.items() if n not in old_objects}
        renamed = _renames(removed, added)
        for old_name, new_name in renamed:
            old_object, new_object = removed.pop(old_name), added.pop(new_name)
            rows.append(_row(new_object, "changed", old_name, new_name, f"renamed from {old_name.rsplit('.', 1)[-1]}"))
            differences = _differences(old_object, new_object)
            if differences:
                rows[-1]["details"] += "; " + differences[2]
        for _, obj in sorted(removed.items()):
            if not _implied(obj, gone_tables, REMOVED_WITH_TABLE):
                rows.append(_row(obj, "removed", obj.describe, None, f"removed: {_headline(obj.describe)}"))
        for _, obj in sorted(added.items()):
            if not _implied(obj, new_tables, ADDED_WITH_TABLE):
                rows.append(_row(obj, "added", None, obj.describe, f"added: {_headline(obj.describe)}"))
        for name in sorted(set(old_objects) & set(new_objects)):
            differences = _differences(old_objects[name], new_objects[name])
            if differences:
                rows.append(_row(new_objects[name], "changed", *differences,
                                 related=old_objects[name].related + new_objects[name].related))
    frame = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    if len(frame):
        frame["_kind"] = frame["kind"].map(KINDS.index)
        frame["_change"] = frame["change"].map(CHANGES.index)
        frame = frame.sort_values(["_kind", "object", "_change"], kind="stable").drop(columns=["_kind", "_change"])
    return frame.reset_index(drop=True)


def changed_tables(diff: pd.DataFrame) -> list[Table]:
    """The (schema, table) pairs a diff touches — the tables of changed objects and the tables their foreign keys
    reference, before and after — for drawing the changed neighbourhood."""
    tables: set[Table] = set()
    for record in _rows(diff):
        if record["table"]:
            tables.add((record["schema"], record["table"]))
        tables.update(tuple(t) for t in record["related"] or ())
    return sorted(tables)


def summarize_diff(diff: pd.DataFrame) -> pd.DataFrame:
    """Counts of added, removed and changed objects per kind (kinds with no change left out)."""
    if not len(diff):
        return pd.DataFrame(columns=["kind", *CHANGES, "total"])
    counts = diff.groupby(["kind", "change"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(CHANGES), fill_value=0)
    counts = counts.reindex([k for k in KINDS if k in counts.index])
    counts["total"] = counts.sum(axis=1)
    counts.columns.name = None
    return counts.reset_index()


# -- comparison helpers ----------------------------------------------------------------------------------------
def _differences(old: _Object, new: _Object) -> tuple[str, str, str] | None:
    """(before, after, details) of the fields that differ, or None when the objects are the same."""
    if old.fields == new.fields:  # the common case, decided without looking at each field
        return None
    changed = [name for name in old.fields if _norm(old.fields[name]) != _norm(new.fields.get(name))]
    if not changed:
        return None
    if old.kind in ("constraint", "index", "trigger") and changed != ["definition"] and "definition" in changed:
        changed.remove("definition")  # the structured fields say it better; the definition repeats them
    details, before, after = [], [], []
    for name in changed:
        a, b = old.fields[name], new.fields.get(name)
        before.append(_field_text(name, a, alone=len(changed) == 1))
        after.append(_field_text(name, b, alone=len(changed) == 1))
        if isinstance(a, bool) or isinstance(b, bool):
            details.append(_flag_change(name, a, b))
        elif name in TEXT_FIELDS and not (_short(a) and _short(b)):
            details.append(f"{name} changed ({_line_delta(a, b)})")
        else:
            details.append(f"{name} {_value(a)} → {_value(b)}")
    return "; ".join(before), "; ".join(after), "; ".join(details)


def _headline(text: str, limit: int = 160) -> str:
    """The first line of a description, cut to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _short(text: Any) -> bool:
    """A text short enough to quote whole in a sentence (one line, at most 100 characters)."""
    return text is None or ("\n" not in str(text) and len(str(text)) <= 100)


def _renames(removed: dict[str, _Object], added: dict[str, _Object]) -> list[tuple[str, str]]:
    """Pairs (old name, new name) of objects that only changed their name (same table, same everything else)."""
    by_key: dict[tuple, list[str]] = {}
    for name, obj in sorted(added.items()):
        if obj.rename_key is not None:
            by_key.setdefault(obj.rename_key, []).append(name)
    pairs = []
    for name, obj in sorted(removed.items()):
        candidates = by_key.get(obj.rename_key) if obj.rename_key is not None else None
        if candidates:
            pairs.append((name, candidates.pop(0)))
    return pairs


def _implied(obj: _Object, tables: set[str], kinds: frozenset[str]) -> bool:
    """True when the object belongs to a table that is itself added/removed and listing it again is noise."""
    return obj.kind in kinds and f"{obj.schema}.{obj.table}" in tables


def _row(obj: _Object, change: str, before: Any, after: Any, details: str,
         related: tuple[Table, ...] | None = None) -> dict[str, Any]:
    return {"kind": obj.kind, "object": obj.name, "change": change, "before": before, "after": after,
            "details": details, "schema": obj.schema, "table": obj.table,
            "related": sorted(set(related if related is not None else obj.related))}


def _field_text(name: str, value: Any, alone: bool) -> str:
    if name == "nullable":
        return "nullable" if value else "not null"
    if isinstance(value, bool):
        return name if value else f"not {name}"
    text = _value(value)
    return text if alone or name in TEXT_FIELDS else f"{name} {text}"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _flag_change(name: str, old: Any, new: Any) -> str:
    if name == "nullable":
        return "made NOT NULL" if old and not new else "NOT NULL dropped"
    return f"{name} {'on' if new else 'off'} (was {'on' if old else 'off'})"


def _line_delta(old: Any, new: Any) -> str:
    a, b = str(old or "").splitlines(), str(new or "").splitlines()
    added = removed = 0
    for line in difflib.ndiff(a, b):
        added += line.startswith("+ ")
        removed += line.startswith("- ")
    if old is None:
        return "set"
    if new is None:
        return "removed"
    return f"+{added} −{removed} lines"


def _norm(value: Any) -> Any:
    if value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def _freeze(fields: dict[str, Any]) -> str:
    """A hashable stand-in for a dict of plain values (lists included)."""
    return repr(sorted(fields.items()))


def _strip(text: str | None) -> str | None:
    """Function bodies and view definitions without trailing blanks (editors and dumps add or drop them)."""
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _major(catalog: Catalog) -> int | None:
    number = catalog.server.get("server_version_num")
    return int(number) // 10000 if number else None


def _quote(name: str) -> str:
    """A name as PostgreSQL's deparser prints it: bare when it is a plain lower-case identifier."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _column_text(fields: dict[str, Any]) -> str:
    parts = [str(fields["type"])]
    if not fields["nullable"]:
        parts.append("not null")
    if fields["default"] is not None:
        parts.append(f"default {fields['default']}")
    if fields["identity"]:
        parts.append(f"generated {fields['identity']} as identity")
    if fields["generated"]:
        parts.append(f"generated ({fields['generated']})")
    return " ".join(parts)


def _policy_text(fields: dict[str, Any]) -> str:
    text = f"{'PERMISSIVE' if fields['permissive'] else 'RESTRICTIVE'} FOR {fields['command']} TO " \
           f"{', '.join(fields['roles'])}"
    if fields["using"]:
        text += f" USING ({fields['using']})"
    if fields["with check"]:
        text += f" WITH CHECK ({fields['with check']})"
    return text


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as dicts of plain Python values (``tolist`` per column: much faster than to_dict)."""
    if not len(frame):
        return []
    columns = list(frame.columns)
    return [dict(zip(columns, values, strict=True)) for values in zip(*(frame[c].tolist() for c in columns),
                                                                       strict=True)]


# -- the notebook and CLI helper -----------------------------------------------------------------------------------
class Note:
    """A one-line message a notebook cell shows in place of an empty table or diagram."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        from auditlib.report.look import styled

        return styled(f'<p class="al-note">{html.escape(self.text)}</p>')

    def __repr__(self) -> str:
        return self.text


@dataclass
class Drift:
    """Two catalogs and what changed between them; what ``schema_drift.ipynb`` and ``auditlib diff`` show."""

    old: Catalog
    new: Catalog
    old_label: str
    new_label: str
    diff: pd.DataFrame
    config: AuditConfig = field(default_factory=AuditConfig)
    # Findings that appeared (new) or disappeared (fixed) between the two sides: the recorded findings of two runs,
    # else those of the schema checks run on each catalog.
    finding_changes: pd.DataFrame | None = None

    @property
    def empty(self) -> bool:
        return not len(self.diff)

    def header(self) -> Note:
        """One line: what is compared with what, and how much changed."""
        counts = self.diff["change"].value_counts() if len(self.diff) else {}
        changes = ", ".join(f"{counts[c]} {c}" for c in CHANGES if c in counts) or "no schema changes"
        found = ""
        if self.finding_changes is not None and len(self.finding_changes):
            by_change = self.finding_changes["change"].value_counts()
            found = (f"; {by_change.get('new', 0)} findings appeared, {by_change.get('fixed', 0)} were fixed, "
                     f"{int((self.flagged_frame()['findings'] != '').sum())} changes brought or removed findings")
        return Note(f"{self.old_label} → {self.new_label}: {changes}{found}.")

    def summary(self) -> pd.DataFrame | Note:
        """Counts of added, removed and changed objects per kind."""
        if self.empty:
            return Note(f"No schema changes between {self.old_label} and {self.new_label}.")
        return summarize_diff(self.diff)

    def table(self, kind: str | None = None) -> pd.DataFrame | Note:
        """Every change (of one kind), with what it was before and after."""
        frame = self.diff if kind is None else self.diff[self.diff["kind"] == kind]
        if not len(frame):
            return Note("No schema changes." if kind is None else f"No {kind} changed.")
        frame = attribute_findings(frame, self.finding_changes)
        columns = ["kind", "object", "change", "details", "before", "after"]
        if (frame["findings"] != "").any():
            columns.insert(4, "findings")
        return frame[columns].reset_index(drop=True)

    def flagged_frame(self) -> pd.DataFrame:
        """The changes that create or remove findings, with those findings (``+`` appeared, ``−`` fixed)."""
        frame = attribute_findings(self.diff, self.finding_changes)
        return frame[frame["findings"] != ""].reset_index(drop=True)

    def flagged(self) -> pd.DataFrame | Note:
        """The changes that create or remove findings (a policy change that opens a leak), worst finding first."""
        if self.finding_changes is None:
            return Note("Finding changes were not compared.")
        frame = self.flagged_frame()
        if not len(frame):
            return Note("No schema change created or removed a finding.")
        return frame[["kind", "object", "change", "findings", "details"]]

    def findings(self) -> pd.DataFrame | Note:
        """Findings that appeared or were fixed between the two sides, with the schema changes on their tables."""
        if self.finding_changes is None:
            return Note("Finding changes were not compared.")
        if not len(self.finding_changes):
            return Note(f"No finding appeared or was fixed between {self.old_label} and {self.new_label}.")
        causes = []
        for record in _rows(self.finding_changes):
            on_table = [r["object"] + f" ({r['change']})" for r in _rows(self.diff)
                        if _finding_on(record["object"], _tables_of_change(r))]
            causes.append("; ".join(on_table[:4]) + (f" and {len(on_table) - 4} more" if len(on_table) > 4 else ""))
        return self.finding_changes.assign(schema_changes=causes)

    def changed_tables(self) -> list[Table]:
        return changed_tables(self.diff)

    def diagram(self, hops: int = 1, max_nodes: int = 60):
        """The changed tables and their neighbours in the newer catalog (added tables green, changed amber), then the
        removed tables and their former neighbours in the older one (removed red)."""
        if self.empty:
            return Note("No schema changes, so no diagram.")
        return DriftDiagrams([changed_diagram(self.new, self.diff, hops=hops, config=self.config, max_nodes=max_nodes),
                              removed_diagram(self.old, self.diff, hops=hops, config=self.config,
                                              max_nodes=max_nodes)])

    def to_document(self) -> dict[str, Any]:
        """JSON-ready: the two sides, the counts and every change."""
        changes = attribute_findings(self.diff, self.finding_changes).drop(columns=["related"]).to_dict("records") \
            if len(self.diff) else []
        return {"old": self.old_label, "new": self.new_label,
                "summary": summarize_diff(self.diff).to_dict("records"), "changes": changes,
                "findings": [] if self.finding_changes is None else self.finding_changes.to_dict("records")}

    def to_text(self) -> str:
        """A terminal rendering: one line per change."""
        lines = [self.header().text]
        for record in _rows(attribute_findings(self.diff, self.finding_changes)):
            lines.append(f"{record['change'].upper():<8} {record['kind']:<10} {record['object']}  "
                         f"{record['details']}" + (f"\n{'':<20}findings: {record['findings']}"
                                                   if record["findings"] else ""))
        return "\n".join(lines)


ADDED_STYLE = {"fill": "#e6f4ea", "border": "#2e7d32", "note": "added"}
CHANGED_STYLE = {"fill": "#fffbe0", "border": "#f9a825", "note": "changed"}
REMOVED_STYLE = {"fill": "#fdecea", "border": "#c62828", "note": "removed"}


def changed_diagram(catalog: Catalog, diff: pd.DataFrame, old: Catalog | None = None, hops: int = 1,
                    config: AuditConfig | None = None, max_nodes: int = 60):
    """An ER diagram of the added and changed tables a diff touches and their neighbours within ``hops``
    references, drawn from ``catalog`` (the newer side); removed tables are drawn by ``removed_diagram``.

    ``old`` is accepted for compatibility and not read: a removed table is never drawn as changed.
    """
    from auditlib import diagrams

    removed = set(_removed_tables(diff))
    touched = [t for t in changed_tables(diff) if t not in removed]
    model = diagrams.Graph(catalog, config, None, schemas="all")
    present = [t for t in touched if t in model.relations]
    if not present:
        return Note("No added or changed table to draw." if removed else
                    "The changed objects are not tables, so there is no diagram.")
    added = set(zip(diff.loc[(diff["kind"] == "table") & (diff["change"] == "added"), "schema"],
                    diff.loc[(diff["kind"] == "table") & (diff["change"] == "added"), "table"], strict=True))
    columns: dict[Table, set[str]] = {}
    for record in _rows(diff[diff["kind"] == "column"]):
        columns.setdefault((record["schema"], record["table"]), set()).add(record["object"].rsplit(".", 1)[-1])
    options = {key: {**(ADDED_STYLE if key in added else CHANGED_STYLE), "highlight": columns.get(key, set())}
               for key in present}
    subtitle = "green: added tables · amber: changed tables (changed key columns marked) · others: their neighbours"
    if removed:
        subtitle += f"; removed tables are drawn below: {', '.join(f'{s}.{t}' for s, t in sorted(removed))}"
    return diagrams.neighbourhood_diagram(
        model, present, hops, max_nodes, name="schema_drift", kind="drift",
        title=f"Changed tables and their neighbours within {hops} hop{'s' if hops != 1 else ''}", subtitle=subtitle,
        label_options=options)


def removed_diagram(old: Catalog, diff: pd.DataFrame, hops: int = 1, config: AuditConfig | None = None,
                    max_nodes: int = 60):
    """The removed tables (red, marked removed) and the tables they referenced or were referenced by, drawn from
    ``old`` (the older side, where they still exist); a Note when no table was removed."""
    from auditlib import diagrams

    removed = _removed_tables(diff)
    if not removed:
        return Note("No table was removed.")
    model = diagrams.Graph(old, config, None, schemas="all")
    present = [t for t in removed if t in model.relations]
    if not present:
        return Note(f"Removed: {', '.join(f'{s}.{t}' for s, t in removed)} (not in the older catalog to draw).")
    return diagrams.neighbourhood_diagram(
        model, present, hops, max_nodes, name="schema_drift_removed", kind="drift",
        title=f"Removed tables and their former neighbours within {hops} hop{'s' if hops != 1 else ''}",
        subtitle="red: removed tables (as they were) · others: their neighbours in the older schema",
        label_options={key: dict(REMOVED_STYLE) for key in present})


class DriftDiagrams:
    """The drift's diagrams in one notebook output, each shown in JupyterLab trusted or not."""

    def __init__(self, parts: list):
        self.parts = [p for p in parts if not (isinstance(p, Note) and p.text == "No table was removed.")]

    def _repr_html_(self) -> str:
        from auditlib import diagrams
        from auditlib.report.html import svg_html
        from auditlib.report.look import styled

        return "".join(p._repr_html_() if isinstance(p, Note) else styled(svg_html(diagrams.to_svg(p), caption=p.name))
                       for p in self.parts)

    def __repr__(self) -> str:
        return f"DriftDiagrams({', '.join(getattr(p, 'name', repr(p)) for p in self.parts)})"


def _removed_tables(diff: pd.DataFrame) -> list[Table]:
    if not len(diff):
        return []
    removed = diff[(diff["kind"] == "table") & (diff["change"] == "removed")]
    return sorted(set(zip(removed["schema"], removed["table"], strict=True)))


# -- findings that changed with the schema ---------------------------------------------------------------------------
FINDING_CHANGE_COLUMNS = ["change", "severity", "check", "object", "title", "key"]


def finding_changes(old_findings: pd.DataFrame, new_findings: pd.DataFrame) -> pd.DataFrame:
    """Findings compared by key: ``new`` in the newer side only, ``fixed`` in the older side only; worst first."""
    from auditlib.findings import severity_rank

    before = set(old_findings["key"]) if len(old_findings) else set()
    after = set(new_findings["key"]) if len(new_findings) else set()
    parts = [new_findings[new_findings["key"].isin(after - before)].assign(change="new") if len(new_findings) else None,
             old_findings[old_findings["key"].isin(before - after)].assign(change="fixed") if len(old_findings) else None]
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=FINDING_CHANGE_COLUMNS)
    changes = pd.concat(parts, ignore_index=True)
    changes = changes.assign(_change=changes["change"].map({"new": 0, "fixed": 1}),
                             _rank=changes["severity"].map(severity_rank))
    changes = changes.sort_values(["_change", "_rank", "check", "object"], kind="stable")
    return changes[FINDING_CHANGE_COLUMNS].reset_index(drop=True)


def catalog_finding_changes(old: Catalog, new: Catalog, config: AuditConfig,
                            schemas: list[str] | None = None) -> pd.DataFrame:
    """The findings of the schema checks on each catalog, compared by key (data-level findings need recorded runs)."""
    from auditlib.audit import audit_catalog

    def findings_of(catalog: Catalog) -> pd.DataFrame:
        audited = None if not schemas or schemas == ["all"] else [s for s in schemas
                                                                   if s in set(catalog.schemas["name"])]
        return audit_catalog(catalog, config, schemas=audited).findings

    return finding_changes(findings_of(old), findings_of(new))


def attribute_findings(diff: pd.DataFrame, changes: pd.DataFrame | None) -> pd.DataFrame:
    """``diff`` with a ``findings`` column: the findings that appeared (``+``) or were fixed (``−``) on the tables
    each change touches (its own table, and for a foreign key or trigger the tables it relates)."""
    frame = diff.copy()
    if changes is None or not len(changes) or not len(frame):
        frame["findings"] = ""
        return frame
    records = _rows(changes)
    texts = []
    for row in _rows(frame):
        tables = _tables_of_change(row)
        hits = [f"{'+' if c['change'] == 'new' else '−'}{c['check']} ({c['severity']}: {c['object']})"
                for c in records if _finding_on(c["object"], tables)]
        texts.append("; ".join(hits))
    frame["findings"] = texts
    return frame


def _tables_of_change(row: dict) -> set[str]:
    tables = {f"{row['schema']}.{row['table']}"} if row.get("table") else set()
    if row["kind"] in ("constraint", "trigger", "function"):
        tables.update(f"{s}.{t}" for s, t in row.get("related") or ())
    return tables


def _finding_on(finding_object: str, tables: set[str]) -> bool:
    """True when a finding's object (``s.t``, ``s.t.column``, ``s.t.policy``, ``a~b`` pairs) is on one of
    ``tables``."""
    for part in str(finding_object or "").split("~"):
        for table in tables:
            if part == table or part.startswith(table + "."):
                return True
    return False


def open_drift(*, history_path: str = "", source_key: str = "", run_a: int = 0, run_b: int = 0,
               snapshot: str = "", migrations: str = "", dsn: str = "", dsn_env: str = "", demo: bool = False,
               schemas: list[str] | None = None, config_path: str = "", stubs: str = "auto",
               older: Source | None = None, newer: Source | None = None, findings: bool = True) -> Drift:
    """Compare two catalogs and return the ``Drift`` a notebook displays or the CLI prints.

    The older side: ``migrations`` (a folder, built in a scratch database) or ``snapshot`` (a catalog file), else
    a run of the history (``run_a``). The newer side: a live database (``dsn``, the variable named by ``dsn_env``,
    or the ``demo``) when one is given, else a run of the history (``run_b``). ``older`` and ``newer`` pass either
    side as a ``Source`` already resolved (the CLI's). Runs default to the last two of ``source_key`` — with a live
    database, the source it is; else the most recently audited one — and negative numbers count back from the
    latest run. With ``findings``, the findings of the two sides are compared by key (two runs: the recorded ones,
    data-level included; otherwise the schema checks run on each catalog) and the changes that create or remove
    findings are flagged.
    """
    from auditlib.config import load_config

    older = older or resolve_source(snapshot=snapshot, migrations=migrations, default=None)
    newer = newer or resolve_source(dsn, dsn_env=dsn_env, demo=demo, default=None)
    config = load_config(config_path or None)
    if schemas:
        config = config.with_overrides({"audit": {"schemas": list(schemas)}})
    live = _catalog_of(newer, config, stubs) if newer is not None else None
    old = _catalog_of(older, config, stubs) if older is not None else None
    finding_changes = None
    if old is not None and live is not None:
        new = live
    else:
        from auditlib.history import open_history

        with open_history(history_path or None, create=False) as history:
            key = source_key or (_live_source_key(live[0], config) if live is not None else None)
            if old is not None:  # a snapshot or folder against a recorded run (the latest by default)
                new = _stored(history, history.resolve(run_b or -1, key))
            elif live is not None:  # a recorded run (the latest by default) against the live database
                old, new = _stored(history, history.resolve(run_a or -1, key)), live
            else:
                a, b = history.pair(run_a or None, run_b or None, key)
                old, new = _stored(history, a), _stored(history, b)
                finding_changes = history.finding_changes(a, b)
    diff = diff_catalogs(old[0], new[0], schemas=list(schemas) if schemas else None, config=config)
    if finding_changes is None and findings:
        finding_changes = catalog_finding_changes(old[0], new[0], config, list(schemas) if schemas else None)
    return Drift(old=old[0], new=new[0], old_label=old[1], new_label=new[1], diff=diff, config=config,
                 finding_changes=finding_changes)


def _stored(history, run_id: int) -> tuple[Catalog, str]:
    from auditlib.history import HistoryError

    catalog = history.catalog(run_id)
    if catalog is None:
        raise HistoryError(f"Run {run_id} was recorded without a catalog, so it cannot be compared.")
    return catalog, f"run {run_id} ({history.meta(run_id)['generated_at']})"


def _catalog_of(source: Source, config: AuditConfig, stubs: str) -> tuple[Catalog, str]:
    """The catalog of one side and its label; a live database's catalog carries its source as an audit records it."""
    from auditlib.catalog import load_catalog

    if source.kind == "migrations":
        from auditlib.audit import audit_migrations

        return audit_migrations(source.path, config, stubs=stubs).catalog, source.label
    with open_source(source) as readable:
        catalog = load_catalog(readable) if source.is_database else readable
    if source.is_database:
        catalog.source = source.facts()
    return catalog, source.label


def _live_source_key(catalog: Catalog, config: AuditConfig) -> str:
    """The history's key for the live database: the runs an audit of it recorded."""
    from auditlib.history import source_key

    return source_key(catalog.source, config.audited_schemas(list(catalog.schemas["name"])))
