"""From findings to a plan: each finding's remediation SQL parsed, split into phases, made safe or held back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from auditlib.catalog import Catalog
from auditlib.findings import SEVERITIES, evidence_dict, frame_records, severity_rank
from auditlib.fixes.guards import (
    _WRITES,
    _added_columns,
    _deparse,
    _guarded,
    _names,
    _new_columns_written,
    _not_null_column,
    _policy_shape,
    _skip_null_sources,
    _unless_constraint_exists,
)
from auditlib.fixes.model import OWN_TRANSACTION, PHASES, Decision, FixPlanError, Step
from auditlib.fixes.plan import FixPlan
from auditlib.quoting import ident, literal

# A conservative scan rate for a busy production server; the estimate is an order of magnitude, not a promise.
SCAN_BYTES_PER_SECOND = 50_000_000


SCAN_ROWS_PER_SECOND = 500_000


# Checks whose fix is a choice between meanings: kept out of the runnable files, with the question to answer.
QUESTIONS: dict[str, str] = {
    "fk_set_null_not_null": "Deleting a {references} row tries to set {object} to NULL, which the column refuses. "
                            "Should the delete remove these rows too (ON DELETE CASCADE), keep them without a parent "
                            "(drop NOT NULL on a column that may be part of a key), or be refused (ON DELETE NO "
                            "ACTION)?",
    "cascade_reach": "Deleting a {source} row deletes {protected_table} rows through ON DELETE CASCADE. Is that "
                     "wanted, or should the delete be refused while they exist (NO ACTION)?",
    "comment_missing": "What does {object} hold? The generated comments are TODO placeholders, not documentation: "
                       "write the text, then apply them.",
    "reverse_ref_missing": "Do you want the extra column this adds (a second copy of the relation that the "
                           "application must keep in step)? It is a design change, not a repair.",
    "json_orphans": "Which JSON entries of {object} that name missing rows should be removed, and which re-pointed?",
    "unique_not_tenant_scoped": "Is {object} unique across every organisation on purpose (a value global by nature: "
                                "a public URL, an external id), or should each organisation have its own values "
                                "(the key with {tenant_column} first)?",
    "default_privileges_exposed": "Should every new {object_type} that {role} creates stay open to the API roles "
                                  "at once (Supabase's default), or be granted one by one once its policies exist?",
}


# -- reading findings -------------------------------------------------------------------------------------------------
def read_findings(source: Any) -> tuple[list[dict[str, Any]], Catalog | None, dict[str, Any]]:
    """Finding records, the catalog when there is one, and the source description, from an ``AuditResult``, a
    findings DataFrame, a list of records, an audit JSON document (dict) or the path of one."""
    from auditlib.audit import AuditResult

    if isinstance(source, AuditResult):
        return frame_records(source.findings), source.catalog, dict(source.source)
    if isinstance(source, pd.DataFrame):
        return frame_records(source), None, {}
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            source = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FixPlanError(f"The findings file {path} does not exist; write one with "
                               "`auditlib audit --format json --output FILE`.") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise FixPlanError(f"The findings file {path} is not JSON; pass the output of "
                               "`auditlib audit --format json`.") from None
    if isinstance(source, dict):
        if not isinstance(source.get("findings"), list):
            raise FixPlanError("The findings document has no findings list; pass the output of "
                               "`auditlib audit --format json`.")
        return [dict(r) for r in source["findings"]], None, dict(source.get("source") or {})
    if isinstance(source, list):
        return [dict(r) for r in source], None, {}
    raise FixPlanError(f"Cannot read findings from a {type(source).__name__}; pass an audit result, a findings "
                       "DataFrame or an audit JSON document.")


def select_findings(records: list[dict[str, Any]], *, min_severity: str | None = None,
                    checks: Iterable[str] | None = None, keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The findings to fix: at or above ``min_severity``, of the named checks, with the named keys (each filter
    optional)."""
    checks, keys = set(checks or ()), set(keys or ())
    if min_severity is not None and min_severity not in SEVERITIES:
        raise FixPlanError(f"Unknown severity {min_severity!r}; choose one of {', '.join(SEVERITIES)}.")
    chosen = []
    for record in records:
        if min_severity and severity_rank(record["severity"]) > severity_rank(min_severity):
            continue
        if checks and record["check"] not in checks:
            continue
        if keys and record["key"] not in keys:
            continue
        chosen.append(record)
    return chosen


# -- planning ---------------------------------------------------------------------------------------------------------
def plan_fixes(source: Any, catalog: Catalog | None = None, *, min_severity: str | None = None,
               checks: Iterable[str] | None = None, keys: Iterable[str] | None = None,
               lock_timeout: str = "5s", statement_timeout: str = "1min") -> FixPlan:
    """A fix plan for an audit's findings (see ``read_findings`` for what ``source`` may be).

    Every finding of the audit informs the plan (an orphan finding holds back its foreign key's VALIDATE even when
    only fk_missing was selected); only the selected ones are fixed. Without a catalog, steps whose safety depends
    on it (a trigger's function, row level security without policies) are held back as decisions.
    """
    records, own_catalog, described = read_findings(source)
    catalog = catalog if catalog is not None else own_catalog
    selected = select_findings(records, min_severity=min_severity, checks=checks, keys=keys)
    planner = _Planner(records, catalog)
    for record in sorted(selected, key=_planning_order):
        planner.plan(record)
    planner.finish()
    side_effects = planner.trigger_side_effects()
    without_fix = [r for r in selected if not (r.get("remediation_sql") or "").strip()]
    return FixPlan(steps=planner.ordered_steps(), decisions=planner.decisions, without_fix=without_fix,
                   source=described, lock_timeout=lock_timeout, statement_timeout=statement_timeout,
                   notes=planner.notes, side_effect_tables=side_effects)


def _planning_order(record: dict[str, Any]) -> tuple:
    """The order findings are planned in: by severity, category, check and object. It is the plan's own, not the
    order findings are shown in (which puts data-proven ones first and changes with their counts), so the same
    findings always give the same files with their steps in the same order."""
    return (severity_rank(record["severity"]), str(record.get("category") or ""), str(record["check"]),
            str(record.get("object") or ""))


def _rangevar_name(rangevar: ast.RangeVar) -> str:
    return f"{rangevar.schemaname or 'public'}.{rangevar.relname}"


class _Planner:
    """Turns findings into steps and decisions; ``finish`` applies the checks that need the whole plan."""

    def __init__(self, records: list[dict[str, Any]], catalog: Catalog | None):
        self.catalog = catalog
        self.steps: dict[int, Step] = {}  # by id(step), in the order planned (a step is dropped in O(1))
        self.by_identity: dict[tuple[str, str], Step] = {}
        self.decisions: list[Decision] = []
        self.decision_of: dict[tuple[str, str | None], Decision] = {}  # (question, table) → its decision
        self.policies_of: dict[str, dict[str, list[dict[str, Any]]]] | None = None  # schema → table → policy rows
        self.orphans = {(r["schema"], r["table"], r["column"]): r for r in records if r["check"] == "orphan_rows"}
        self.tenant_nulls = {(r["schema"], r["table"], r["column"]): r for r in records
                             if r["check"] == "tenant_null_rows"}
        self.order = 0
        self.validated: dict[tuple[str, str], Step | None] = {}
        self.notes: list[Decision] = []  # choices the plan made conservatively, for a person to confirm
        self._function_sources: dict[tuple[str, str], list[str | None]] | None = None

    # -- adding ---------------------------------------------------------------------------------------------------
    def add(self, step: Step) -> Step:
        """Add a step, merged with an identical one already planned (same phase, same normalised statement)."""
        try:
            identity = _statement_identity(step.sql)
        except pglast.parser.ParseError:
            identity = " ".join(step.sql.split())
        step.identity = identity
        existing = self.by_identity.get((step.phase, identity))
        if existing is not None:
            existing.keys.extend(k for k in step.keys if k not in existing.keys)
            existing.conditional = existing.conditional or step.conditional
            return existing
        self.order += 1
        self.by_identity[(step.phase, identity)] = step
        self.steps[id(step)] = step
        return step

    def hold(self, record: dict[str, Any], question: str, sql: str = "", follow_up: Iterable[str] = (),
             key: str | None = None) -> None:
        """Keep a fix out of the runnable files: a decision with its question (one per question and table, listing
        every finding it answers and every statement it holds)."""
        key = key or record["key"]
        table = f"{record['schema']}.{record['table']}" if record.get("table") else None
        decision = self.decision_of.get((question, table))
        if decision is None:
            decision = self.decision_of[(question, table)] = Decision([], question, "", table, [])
            self.decisions.append(decision)
        if key not in decision.keys:
            decision.keys.append(key)
        decision.follow_up.extend(k for k in follow_up if k not in decision.follow_up)
        if sql.strip() and sql.strip() not in decision.sql:
            decision.sql = (decision.sql + "\n" + sql.strip()).strip()

    # -- one finding ----------------------------------------------------------------------------------------------
    def plan(self, record: dict[str, Any]) -> None:
        text = (record.get("remediation_sql") or "").strip()
        if not text:
            return
        check = record["check"]
        evidence = evidence_dict(record.get("evidence"))
        if check == "comment_missing":  # one decision for every table: write the comments
            self.hold({**record, "table": None}, QUESTIONS[check].format(object="each table and column listed"),
                      text)
            return
        if check in QUESTIONS:
            fields = {**{k: v for k, v in record.items() if isinstance(v, str)}, **{
                k: v for k, v in evidence.items() if isinstance(v, str)}}
            self.hold(record, QUESTIONS[check].format_map(_Default(fields)), text)
            return
        try:
            statements = [raw.stmt for raw in pglast.parse_sql(text)]
        except pglast.parser.ParseError as error:
            self.hold(record, f"The suggested SQL does not parse ({error}); review it by hand.", text)
            return
        if check == "orphan_rows":
            self.plan_orphans(record, evidence, text)
            return
        if check == "tenant_null_rows" and not evidence.get("backfill_from_parent"):
            self.hold(record, self.tenant_question(record), text)
            return
        if not statements:  # only comments: the check itself says a person must look
            self.hold(record, _first_comment(text) or "Review this finding by hand.", text)
            return
        for statement in statements:
            self.plan_statement(statement, record, evidence)

    def plan_orphans(self, record: dict[str, Any], evidence: dict[str, Any], text: str) -> None:
        column = self.catalog.column(record["schema"], record["table"], record["column"]) if self.catalog else None
        count = evidence.get("orphan_count", evidence.get("count", "some"))
        parent = str(evidence.get("references") or "")
        parts = parent.split(".")
        nullable = column["nullable"] if column else "Keep the rows and clear the reference" in text
        if not nullable or len(parts) != 3 or record.get("column") is None:
            self.hold(record, self.orphan_question(record), text)
            return
        child = ident(record["schema"], record["table"])
        col = ident(record["column"])
        sql = (f"UPDATE {child} AS c SET {col} = NULL\nWHERE c.{col} IS NOT NULL\n"
               f"  AND NOT EXISTS (SELECT FROM {ident(parts[0], parts[1])} AS p WHERE p.{ident(parts[2])} = c.{col})")
        self.add(Step("data", sql, [record["key"]], f"{record['schema']}.{record['table']}",
                      self.lock_rows(record, count), [
                          f"clears {count} references to missing {parent} rows (counted by the audit); the rows "
                          "stay, as ON DELETE SET NULL would have left them"],
                      reads={".".join(parts[:2])}, writes={f"{record['schema']}.{record['table']}"}))

    def plan_statement(self, statement: Any, record: dict[str, Any], evidence: dict[str, Any]) -> None:
        key = record["key"]
        if isinstance(statement, ast.AlterTableStmt):
            for command in statement.cmds:
                single = ast.AlterTableStmt(relation=statement.relation, cmds=(command,), objtype=statement.objtype,
                                            missing_ok=statement.missing_ok)
                self.plan_alter(single, command, record, evidence)
        elif isinstance(statement, ast.IndexStmt):
            statement.concurrent = True
            statement.if_not_exists = True
            table = _rangevar_name(statement.relation)
            self.add(Step("indexes", _deparse(statement), [key], table, self.lock_scan(
                table, "SHARE UPDATE EXCLUSIVE (reads and writes go on) for the build"), rank=10,
                squawk_ignore={}))
        elif isinstance(statement, ast.DropStmt) and statement.removeType == ObjectType.OBJECT_POLICY:
            statement.missing_ok = True
            table = ".".join(_names(statement.objects[0][:-1])) if statement.objects else None
            self.add(Step("schema", _deparse(statement), [key], _qualify(table), self.lock_instant(_qualify(table)),
                          rank=20))
        elif isinstance(statement, ast.CreatePolicyStmt):
            table = _rangevar_name(statement.table)
            drop = f"DROP POLICY IF EXISTS {ident(statement.policy_name)} ON {_rangevar_sql(statement.table)}"
            self.add(Step("schema", drop, [key], table, self.lock_instant(table), rank=20))
            self.add(Step("schema", _deparse(statement), [key], table, self.lock_instant(table), rank=21))
        elif isinstance(statement, ast.CreateTrigStmt):
            table = _rangevar_name(statement.relation)
            if self.catalog is None or self.catalog.server_version_num >= 140000:
                statement.replace = True
                sql = _deparse(statement)
            else:
                sql = f"DROP TRIGGER IF EXISTS {ident(statement.trigname)} ON {_rangevar_sql(statement.relation)};\n" \
                      + _deparse(statement)
            function = _names(statement.funcname)
            self.add(Step("schema", sql, [key], table, self.lock_instant(table, "SHARE ROW EXCLUSIVE"), rank=30,
                          notes=[f"trigger function: {'.'.join(function)}"]))
        elif isinstance(statement, ast.UpdateStmt):
            table = _rangevar_name(statement.relation)
            reads = {_rangevar_name(r) for r in statement.fromClause or () if isinstance(r, ast.RangeVar)}
            _skip_null_sources(statement)
            count = evidence.get("null_count", evidence.get("count"))
            what = (f"fills {record['column']} of up to {count} rows (counted by the audit) from their parent row"
                    if count is not None else f"updates rows of {table}")
            self.add(Step("data", _deparse(statement), [key], table, self.lock_rows(record, count),
                          [what, "fires the table's UPDATE triggers"], reads=reads, writes={table},
                          conditional=record["check"] in ("tenant_null_rows",)))
        elif isinstance(statement, ast.CommentStmt):
            self.add(Step("schema", _deparse(statement), [key], None, "SHARE UPDATE EXCLUSIVE: milliseconds",
                          rank=40))
        else:
            self.hold(record, f"The fix holds a {type(statement).__name__} statement that the planner does not "
                              "classify; review it by hand.", _deparse(statement))

    def plan_alter(self, statement: ast.AlterTableStmt, command: ast.AlterTableCmd, record: dict[str, Any],
                   evidence: dict[str, Any]) -> None:
        key = record["key"]
        table = _rangevar_name(statement.relation)
        target = _rangevar_sql(statement.relation)
        subtype = command.subtype
        if subtype == AlterTableType.AT_AddColumn:
            definition: ast.ColumnDef = command.def_
            inline = [c for c in definition.constraints or () if c.contype == ConstrType.CONSTR_FOREIGN]
            definition.constraints = tuple(c for c in definition.constraints or ()
                                           if c.contype != ConstrType.CONSTR_FOREIGN) or None
            command.missing_ok = True
            self.add(Step("schema", _deparse(statement), [key], table, self.lock_instant(table) + _rewrite_note(
                definition), rank=10))
            for constraint in inline:  # REFERENCES inline validates at once under the lock: split it
                constraint.conname = constraint.conname or f"{statement.relation.relname}_{definition.colname}_fkey"
                constraint.fk_attrs = (ast.String(sval=definition.colname),)
                self.add_constraint(statement, constraint, record)
            if tenant := self.tenant_follow_up(record, table, definition.colname):
                self.notes.append(Decision([], tenant[0], tenant[1], table, tenant[2]))
        elif subtype == AlterTableType.AT_AddConstraint:
            constraint: ast.Constraint = command.def_
            if constraint.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE) and not constraint.indexname:
                self.plan_key(statement, constraint, record)
            else:
                self.add_constraint(statement, constraint, record)
        elif subtype == AlterTableType.AT_ValidateConstraint:
            self.add_validate(table, target, command.name, record, not_null_column=record.get("column")
                              if record["check"] == "tenant_column_nullable" else None)
        elif subtype == AlterTableType.AT_EnableRowSecurity:
            self.add(Step("constraints", _deparse(statement), [key], table, self.lock_instant(table), rank=90,
                          notes=["row level security: the policies are in place before this runs"]))
        elif subtype == AlterTableType.AT_SetNotNull:
            self.not_null_step(table, target, command.name, _deparse(statement), record, 20, self.lock_instant(
                table, note=" (a validated CHECK constraint proves it: no scan)"))
        elif subtype == AlterTableType.AT_DropConstraint:
            command.missing_ok = True
            self.not_null_step(table, target, record.get("column"), _deparse(statement), record, 30,
                               self.lock_instant(table), drops_check=True)
        elif subtype == AlterTableType.AT_AlterColumnType:
            self.plan_type_change(statement, command, record)
        else:
            self.hold(record, f"The fix holds an ALTER TABLE command ({AlterTableType(subtype).name}) that the "
                              "planner does not classify; review it by hand.", _deparse(statement))

    def add_constraint(self, statement: ast.AlterTableStmt, constraint: ast.Constraint,
                       record: dict[str, Any]) -> None:
        table = _rangevar_name(statement.relation)
        target = _rangevar_sql(statement.relation)
        constraint.skip_validation = True
        constraint.initially_valid = False
        if constraint.contype == ConstrType.CONSTR_FOREIGN and constraint.fk_del_action == "c":
            # A new ON DELETE CASCADE makes deleting a parent delete rows that survive it today: a choice for a
            # person. The key is added with NO ACTION (the delete is refused while rows exist) and the choice noted.
            constraint.fk_del_action = "a"
            self.notes.append(Decision([], f"The foreign key {constraint.conname} on {table} is added with ON DELETE "
                                           f"NO ACTION: deleting a {_rangevar_name(constraint.pktable)} row is "
                                           f"refused while {table} rows point at it. The suggested fix had ON DELETE "
                                           "CASCADE (deleting it would delete them): change it if that is wanted.",
                                       "", table))
        name = constraint.conname
        add = _deparse(ast.AlterTableStmt(relation=statement.relation, cmds=(ast.AlterTableCmd(
            subtype=AlterTableType.AT_AddConstraint, def_=constraint, behavior=0),), objtype=ObjectType.OBJECT_TABLE))
        # Idempotent without dropping anything: a rerun finds the constraint and leaves it (and its validation) alone.
        sql = _unless_constraint_exists(target, name, add) if name else add
        if constraint.contype == ConstrType.CONSTR_FOREIGN:
            parent = _rangevar_name(constraint.pktable)
            lock = (f"SHARE ROW EXCLUSIVE on {table} and {parent}: milliseconds (NOT VALID: existing rows are not "
                    "read)")
        else:
            lock = f"ACCESS EXCLUSIVE on {table}: milliseconds (NOT VALID: existing rows are not read)"
        self.add(Step("constraints", sql, [record["key"]], table, lock, rank=10))
        if name:
            foreign = constraint.contype == ConstrType.CONSTR_FOREIGN
            self.add_validate(table, target, name, record, parent=_rangevar_name(constraint.pktable) if foreign
                              else None, fk_columns=_names(constraint.fk_attrs) if foreign else [],
                              not_null_column=_not_null_column(constraint))

    def add_validate(self, table: str, target: str, name: str, record: dict[str, Any], *, parent: str | None = None,
                     fk_columns: list[str] | None = None, not_null_column: str | None = None) -> None:
        key = record["key"]
        if (table, name) in self.validated:  # planned (or held) with the constraint it validates
            planned = self.validated[(table, name)]
            if planned is not None and key not in planned.keys:
                planned.keys.append(key)
            return
        sql = f"ALTER TABLE {target} VALIDATE CONSTRAINT {ident(name)}"
        schema, _, relname = table.partition(".")
        # a held validation leaves the constraint NOT VALID over the rows the decision is about: say so
        left_not_valid = [f"constraint_not_valid:{table}.{name}"]
        for column in fk_columns or []:
            orphans = self.orphans.get((schema, relname, column))
            if orphans is not None and self.orphan_decision(orphans):
                self.hold(orphans, self.orphan_question(orphans), sql + ";", follow_up=[key, *left_not_valid],
                          key=key)
                self.validated[(table, name)] = None
                return
        state = self.null_state(table, not_null_column)
        if state == "held":
            nulls = self.tenant_nulls[(schema, relname, not_null_column)]
            self.hold(nulls, self.tenant_question(nulls), sql + ";",
                      follow_up=[key, *left_not_valid, f"check_violation_rows:{table}.{name}"], key=key)
            self.validated[(table, name)] = None
            return
        if state == "conditional":
            sql = _guarded(target, table, not_null_column, sql, f"{name} stays NOT VALID (new rows are checked)")
            self.notes.append(Decision([], f"{name} is validated only when the backfill leaves no row of {table} "
                                           f"without {not_null_column}; rows it cannot fill keep the constraint NOT "
                                           "VALID (new rows are checked) until they are assigned.", "", table,
                                       [*left_not_valid, f"check_violation_rows:{table}.{name}"]))
        step = self.add(Step("validate", sql, [key], table, self.lock_scan(
            table, "SHARE UPDATE EXCLUSIVE (reads and writes go on) for a scan",
            also=f"; ROW SHARE on {parent}" if parent else ""), rank=10, conditional=state == "conditional",
            squawk_ignore={"prefer-robust-stmts": OWN_TRANSACTION}))
        self.validated[(table, name)] = step

    def not_null_step(self, table: str, target: str, column: str, sql: str, record: dict[str, Any], rank: int,
                      lock: str, *, drops_check: bool = False) -> None:
        """SET NOT NULL, or dropping the CHECK that proved it: plain, guarded by the NULLs a backfill may leave, or
        held with the decision on the rows without a tenant."""
        schema, _, relname = table.partition(".")
        state = self.null_state(table, column)
        if state == "held":
            nulls = self.tenant_nulls[(schema, relname, column)]
            self.hold(nulls, self.tenant_question(nulls), sql + ";", follow_up=[record["key"]], key=record["key"])
            return
        if state == "conditional":
            sql = _guarded(target, table, column, sql, "left as it is")
        acknowledged = {"prefer-robust-stmts": OWN_TRANSACTION}
        if drops_check:
            acknowledged["ban-drop-constraint"] = ("the CHECK only proved the column NOT NULL for SET NOT NULL; the "
                                                   "column's NOT NULL keeps the guarantee")
        self.add(Step("validate", sql, [record["key"]], table, lock, rank=rank, conditional=state == "conditional",
                      squawk_ignore=acknowledged))

    def plan_key(self, statement: ast.AlterTableStmt, constraint: ast.Constraint, record: dict[str, Any]) -> None:
        """ADD PRIMARY KEY/UNIQUE (cols): a unique index built CONCURRENTLY, NOT NULL proven by a CHECK, then the
        constraint added on the index (milliseconds instead of a build under an ACCESS EXCLUSIVE lock)."""
        table = _rangevar_name(statement.relation)
        target = _rangevar_sql(statement.relation)
        columns = _names(constraint.keys)
        primary = constraint.contype == ConstrType.CONSTR_PRIMARY
        name = constraint.conname or f"{statement.relation.relname}_{'pkey' if primary else '_'.join(columns) + '_key'}"
        self.add(Step("indexes", f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {target} "
                                 f"({', '.join(ident(c) for c in columns)})", [record["key"]], table,
                      self.lock_scan(table, "SHARE UPDATE EXCLUSIVE (reads and writes go on) for the build"),
                      rank=10))
        schema, _, relname = table.partition(".")
        for column in columns if primary else []:
            info = self.catalog.column(schema, relname, column) if self.catalog else None
            if info is None or info["nullable"]:
                check = f"{relname}_{column}_not_null"
                self.add_constraint(statement, ast.Constraint(
                    contype=ConstrType.CONSTR_CHECK, conname=check,
                    raw_expr=pglast.parse_sql(f"SELECT {ident(column)} IS NOT NULL")[0].stmt.targetList[0].val),
                    record)
                self.not_null_step(table, target, column, f"ALTER TABLE {target} ALTER COLUMN {ident(column)} SET NOT "
                                   "NULL", record, 20, self.lock_instant(table, note=" (the validated CHECK proves "
                                                                                      "it: no scan)"))
                self.not_null_step(table, target, column, f"ALTER TABLE {target} DROP CONSTRAINT IF EXISTS "
                                   f"{ident(check)}", record, 30, self.lock_instant(table), drops_check=True)
        kind = "PRIMARY KEY" if primary else "UNIQUE"
        sql = _unless_constraint_exists(target, name, f"ALTER TABLE {target} ADD CONSTRAINT {ident(name)} {kind} "
                                                      f"USING INDEX {ident(name)}")
        self.add(Step("keys", sql,
                      [record["key"]], table, self.lock_instant(table, note=" (the index is already built)"),
                      rank=10))

    def plan_type_change(self, statement: ast.AlterTableStmt, command: ast.AlterTableCmd,
                         record: dict[str, Any]) -> None:
        table = _rangevar_name(statement.relation)
        target = _rangevar_sql(statement.relation)
        definition: ast.ColumnDef = command.def_
        column = command.name
        new_type = _deparse(definition.typeName)
        using = _deparse(definition.raw_default) if definition.raw_default is not None else \
            f"CAST({ident(column)} AS {new_type})"
        message = f"{table}.{column}: a value does not convert to {new_type} (%); fix the data first"
        guard = (f"DO $$\nBEGIN\n  PERFORM count(converted) FROM (SELECT {using} AS converted FROM {target}) AS c;\n"
                 f"EXCEPTION WHEN others THEN\n  RAISE EXCEPTION {literal(message)}, SQLERRM;\nEND\n$$")
        self.add(Step("types", guard, [record["key"]], table, self.lock_scan(table, "ACCESS SHARE for a read"),
                      notes=["guard: every value converts, or the file stops here"], rank=10))
        self.add(Step("types", _deparse(statement), [record["key"]], table, self.lock_scan(
            table, "ACCESS EXCLUSIVE (reads and writes wait) for the rewrite"), rank=11,
            squawk_ignore={"changing-column-type": "the guard above proves every value converts; the lock time is "
                                                   "estimated in the comment"}))

    # -- context --------------------------------------------------------------------------------------------------
    def orphan_decision(self, orphans: dict[str, Any]) -> bool:
        """True when the orphans of a reference need a person (the column is NOT NULL)."""
        column = self.catalog.column(orphans["schema"], orphans["table"], orphans["column"]) if self.catalog else None
        if column is not None:
            return not column["nullable"]
        return "Keep the rows and clear the reference" not in (orphans.get("remediation_sql") or "")

    def null_state(self, table: str, column: str | None) -> str | None:
        """None when the audit found no NULLs in the column; ``conditional`` when a planned backfill may fill them
        all; ``held`` when a person must assign them."""
        schema, _, relname = table.partition(".")
        nulls = self.tenant_nulls.get((schema, relname, column)) if column else None
        if nulls is None:
            return None
        return "conditional" if evidence_dict(nulls.get("evidence")).get("backfill_from_parent") else "held"

    def tenant_question(self, nulls: dict[str, Any]) -> str:
        count = evidence_dict(nulls.get("evidence")).get("null_count", "some")
        return (f"No parent row carries the tenant of the {count} rows of {nulls['schema']}.{nulls['table']} without "
                f"{nulls['column']}: which organisation does each belong to (or should they be deleted)? Until "
                "then the NOT NULL constraint stays NOT VALID (it checks new rows).")

    def orphan_question(self, orphans: dict[str, Any]) -> str:
        evidence = evidence_dict(orphans.get("evidence"))
        count = evidence.get("orphan_count", evidence.get("count", "some"))
        return (f"{count} rows of {orphans['schema']}.{orphans['table']} name {evidence.get('references') or 'parent'} "
                f"rows that do not exist, and {orphans['column']} is NOT NULL: which rows should be deleted, and "
                "which re-pointed at an existing parent? The foreign key stays NOT VALID (it checks new rows) until "
                "they are dealt with.")

    def tenant_follow_up(self, record: dict[str, Any], table: str,
                         column: str) -> tuple[str, str, list[str]] | None:
        if record["check"] != "tenant_column_missing":
            return None
        target = ident(*table.split(".", 1))
        name = f"{table.split('.', 1)[1]}_{column}_not_null"
        sql = (f"ALTER TABLE {target} ADD CONSTRAINT {ident(name)} CHECK ({ident(column)} IS NOT NULL) NOT VALID;\n"
               f"ALTER TABLE {target} VALIDATE CONSTRAINT {ident(name)};\n"
               f"ALTER TABLE {target} ALTER COLUMN {ident(column)} SET NOT NULL;\n"
               f"ALTER TABLE {target} DROP CONSTRAINT {ident(name)};")
        return (f"The new {table}.{column} is filled from the parent rows; rows whose parent has no tenant (or no "
                "parent) stay NULL: assign them. Once none is left, make the column NOT NULL; and make the table's "
                "row level security policies use the new column.", sql,
                [f"tenant_column_nullable:{table}.{column}", f"tenant_null_rows:{table}.{column}",
                 f"rls_tenant_not_enforced:{table}"])

    # -- locks ----------------------------------------------------------------------------------------------------
    def size(self, table: str | None) -> tuple[int | None, int | None]:
        if self.catalog is None or not table:
            return None, None
        schema, _, name = table.partition(".")
        row = self.catalog.relation(schema, name) or {}
        size = row.get("size_bytes")
        return self.catalog.row_estimate(schema, name), None if size is None or pd.isna(size) else int(size)

    def lock_scan(self, table: str, what: str, also: str = "") -> str:
        rows, size = self.size(table)
        return f"{what} of {table}{also}: {_duration(rows, size)}"

    def lock_instant(self, table: str | None, mode: str = "ACCESS EXCLUSIVE", note: str = "") -> str:
        return f"{mode} on {table or 'the object'}: milliseconds{note}"

    def lock_rows(self, record: dict[str, Any], count: Any) -> str:
        return (f"ROW EXCLUSIVE on {record['schema']}.{record['table']}; row locks on the {count} rows changed, "
                "held until the file commits")

    # -- the whole plan -------------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Checks that need every step: a trigger's function writes columns that exist (or are added); row level
        security is switched on only where a policy keeps today's access."""
        added = {(s.table, c) for s in self.steps.values() if s.phase == "schema" for c in _added_columns(s.sql)}
        for step in list(self.steps.values()):
            if step.phase == "schema" and step.notes and step.notes[0].startswith("trigger function: "):
                self.check_trigger(step, added)
            if step.phase == "constraints" and "ENABLE ROW LEVEL SECURITY" in step.sql:
                self.check_rls(step)

    def trigger_side_effects(self) -> set[str]:
        """Tables that the UPDATE triggers of the data steps' tables write to (an audit log, a counter table): the
        backfills add rows there, and what the audit finds in them can change."""
        if self.catalog is None:
            return set()
        update_triggers: dict[tuple[str, str], list[dict[str, Any]]] = {}  # by table, in the catalog's order
        for trigger in self.catalog.triggers.to_dict("records"):
            if "UPDATE" in [e.upper() for e in trigger["events"]]:
                update_triggers.setdefault((trigger["schema"], trigger["table"]), []).append(trigger)
        written: set[str] = set()
        for step in self.steps.values():
            if step.phase != "data" or not step.table:
                continue
            schema, _, name = step.table.partition(".")
            for trigger in update_triggers.get((schema, name), []):
                source = self.function_sources().get((trigger["function_schema"], trigger["function_name"]), [])
                targets = {_qualify(t.replace('"', "")) for s in source for t in _WRITES.findall(s or "")}
                if targets:
                    step.notes.append(f"fires trigger {trigger['name']}, which writes to {', '.join(sorted(targets))}")
                written |= targets
        return written

    def drop(self, step: Step) -> None:
        # By identity: list.remove compared with Step's dataclass __eq__, every field of every step before it, which
        # made a plan of 1,000 tables take minutes (and a search by id still made it quadratic).
        del self.steps[id(step)]
        self.by_identity.pop((step.phase, step.identity), None)

    def check_trigger(self, step: Step, added: set[tuple[str | None, str]]) -> None:
        function = step.notes[0].removeprefix("trigger function: ")
        schema, _, name = function.rpartition(".")
        record = {"key": step.keys[0], "schema": (step.table or ".").split(".")[0],
                  "table": (step.table or ".").split(".", 1)[1]}
        if self.catalog is None:
            self.drop(step)
            for key in step.keys:
                self.hold({**record, "key": key}, f"The trigger on {step.table} runs {function}: without the "
                          "catalog the planner cannot check which columns it writes. Check, then apply.", step.sql)
            return
        sources = self.function_sources().get((schema or "public", name))
        table_schema, _, table_name = (step.table or "").partition(".")
        existing = {c["name"] for c in self.catalog.table_columns(table_schema, table_name)}
        existing |= {c for (t, c) in added if t == step.table}
        written = set().union(*(_new_columns_written(s or "") for s in sources)) if sources else None
        missing = sorted(written - existing) if written is not None else None
        if missing is None or missing:
            self.drop(step)
            why = (f"{function} does not exist" if missing is None else
                   f"{function} writes NEW.{', NEW.'.join(missing)}, which {step.table} does not have")
            for key in step.keys:
                self.hold({**record, "key": key}, f"The trigger on {step.table} would fail on every UPDATE: {why}. "
                          "Which function should keep its timestamp (or which column should it write)?", step.sql)

    def function_sources(self) -> dict[tuple[str, str], list[str | None]]:
        """The source of every overload of each function, by (schema, name) (indexed once, not filtered per
        trigger)."""
        if self._function_sources is None:
            functions = self.catalog.functions
            self._function_sources = {}
            for schema, name, source in zip(functions["schema"], functions["name"], functions["source"], strict=True):
                self._function_sources.setdefault((schema, name), []).append(source)
        return self._function_sources

    def check_rls(self, step: Step) -> None:
        schema, _, name = (step.table or "").partition(".")
        has_policy = any(s.phase == "schema" and s.table == step.table and s.sql.startswith("CREATE POLICY")
                         for s in self.steps.values())
        if self.catalog is not None:
            has_policy = has_policy or name in self.schema_policies(schema)
        if has_policy:
            return
        policy = self.tenant_policy(schema, name) if self.catalog is not None else None
        if policy is not None:
            for sql in policy:
                self.add(Step("schema", sql, list(step.keys), step.table, self.lock_instant(step.table), rank=21,
                              notes=["the tenant policy the other tables of the schema use, so the application "
                                     "keeps seeing its own organisation's rows"]))
            return
        self.drop(step)
        for key in step.keys:
            self.hold({"key": key, "schema": schema, "table": name},
                      f"{step.table} has no policy: with row level security on, the application would see no rows. "
                      "Who should see and change which rows? Write the policies, then enable it.", step.sql + ";")

    def tenant_policy(self, schema: str, name: str) -> list[str] | None:
        """Policies for a table with none, copied from the set of tenant policies most of the schema's other tables
        share: one FOR ALL policy, or one policy per command (SELECT, INSERT, UPDATE, DELETE), each on the tenant
        column alone. None when no set is shared by two tables or more, or when two sets are equally common."""
        catalog = self.catalog
        columns = {c["name"] for c in catalog.table_columns(schema, name)}
        shapes: dict[tuple[tuple[str, str, str, tuple[str, ...]], ...], int] = {}
        for table, rows in self.schema_policies(schema).items():
            if table == name:
                continue
            shape = _policy_shape(rows, columns)
            if shape is not None:
                shapes[shape] = shapes.get(shape, 0) + 1
        ranked = sorted(shapes.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return None
        target = ident(schema, name)
        statements = []
        for command, using, check, roles in ranked[0][0]:
            policy = "auditlib tenant isolation" + ("" if command == "ALL" else f" ({command.lower()})")
            to = ", ".join("PUBLIC" if r == "public" else ident(r) for r in roles)
            clauses = "".join(f"\n    {word} ({expression})" for word, expression in (("USING", using),
                                                                                      ("WITH CHECK", check))
                              if expression)
            statements += [f"DROP POLICY IF EXISTS {ident(policy)} ON {target}",
                           f"CREATE POLICY {ident(policy)} ON {target} AS PERMISSIVE FOR {command} TO {to}{clauses}"]
        return statements

    def schema_policies(self, schema: str) -> dict[str, list[dict[str, Any]]]:
        """The policies of a schema's tables, by table name in order (read once per schema, not once per table)."""
        if self.policies_of is None:  # every schema's at once: one pass over the policies, not a groupby each
            by_schema: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for row in self.catalog.policies.to_dict("records"):
                by_schema.setdefault(row["schema"], {}).setdefault(row["table"], []).append(row)
            self.policies_of = {name: dict(sorted(tables.items())) for name, tables in by_schema.items()}
        return self.policies_of.get(schema, {})

    def ordered_steps(self) -> list[Step]:
        """Steps in phase order; inside a phase by rank, and data steps after the steps that fill what they read."""
        ordered: list[Step] = []
        for phase in PHASES:
            steps = sorted((s for s in self.steps.values() if s.phase == phase.name), key=lambda s: s.rank)
            ordered.extend(_dependency_order(steps) if phase.name == "data" else steps)
        return ordered


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return f"the {key.replace('_', ' ')}"


def _dependency_order(steps: list[Step]) -> list[Step]:
    """Steps that write a table before the steps that read it (a parent's backfill before its children's)."""
    remaining, ordered = list(steps), []
    while remaining:
        ready = next((s for s in remaining if not any(o is not s and o.writes & s.reads for o in remaining)),
                     remaining[0])
        ordered.append(ready)
        remaining.remove(ready)
    return ordered


_POSITION = re.compile(r',?"(?:location|stmt_location|stmt_len)":-?\d+')


def _statement_identity(sql: str) -> str:
    """What makes two steps the same statement: the parse tree of the first statement without its positions in the
    text, so spacing, case and quoting do not count. Read from libpg_query's JSON: building pglast's Python tree
    and printing it back took most of a large plan's time."""
    tree = pglast.parser.parse_sql_json(sql)
    if tree.count('{"stmt":') > 1:  # keys are never escaped: this counts the statements
        tree = pglast.parser.parse_sql_json(next(iter(pglast.parser.split(sql))))
    return _POSITION.sub("", tree)


def _rangevar_sql(rangevar: ast.RangeVar) -> str:
    return ident(rangevar.schemaname, rangevar.relname) if rangevar.schemaname else ident(rangevar.relname)


def _qualify(name: str | None) -> str | None:
    if name and "." not in name:
        return f"public.{name}"
    return name


def _rewrite_note(definition: ast.ColumnDef) -> str:
    default = next((c for c in definition.constraints or () if c.contype == ConstrType.CONSTR_DEFAULT), None)
    if default is None:
        return " (a catalog change: no rewrite)"
    text = _deparse(default.raw_expr)
    if re.fullmatch(r"(now\(\)|CURRENT_TIMESTAMP|current_timestamp|'[^']*'(::\w+)?|-?\d+(\.\d+)?|true|false)", text):
        return " (the default is not volatile: no rewrite)"
    return f" (the default {text} may be volatile: then the table is rewritten under the lock)"


def _duration(rows: int | None, size: int | None) -> str:
    if rows is None and size is None:
        return "size unknown (no catalog): measure on a copy first"
    seconds = max((size or 0) / SCAN_BYTES_PER_SECOND, (rows or 0) / SCAN_ROWS_PER_SECOND)
    about = ("under a second" if seconds < 1 else f"about {seconds:.0f} s" if seconds < 120
             else f"about {seconds / 60:.0f} min")
    size_text = f", {size / 1e6:.1f} MB" if size else ""
    return f"{about} ({rows if rows is not None else '?'} rows estimated{size_text})"


def _first_comment(text: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith("--"):
            return line.strip().lstrip("-").strip()
    return ""
