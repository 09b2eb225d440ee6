"""Fix plans: an audit's remediation SQL as migration files a team can apply to production as they are.

The planner reads findings (never a check's internals) and the catalog. Each finding's ``remediation_sql`` is
parsed with pglast and every statement is sorted into a phase:

    schema       new columns (IF NOT EXISTS), policies (dropped IF EXISTS, then created), triggers    one transaction
    types        column type changes, each behind a guard that every value converts                 one transaction
    indexes      CREATE INDEX CONCURRENTLY IF NOT EXISTS                                             no transaction
    data         clean-up and backfills, with what they change counted in a comment                  one transaction
    constraints  constraints added NOT VALID, row level security switched on                         one transaction
    validate     VALIDATE CONSTRAINT, then SET NOT NULL, each in its own transaction                 no transaction
    keys         primary keys added USING INDEX (built in ``indexes``)                               one transaction

Every file opens with ``SET lock_timeout`` and ``SET statement_timeout``; every step says what it locks and for about
how long (from the table's size estimate). What needs a person's judgement (which orphans to delete, whether CASCADE
is wanted, what a comment should say) is never written as live SQL: it goes to ``decisions.md`` with the question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream

from auditlib.catalog import Catalog
from auditlib.findings import SEVERITIES, evidence_dict, frame_records, severity_rank
from auditlib.quoting import ident, literal


class FixPlanError(ValueError):
    """Findings the planner cannot read (an unknown file, a document that is no audit)."""


@dataclass(frozen=True)
class Phase:
    name: str
    transactional: bool
    title: str


PHASES = (
    Phase("schema", True, "new columns, row level security policies and triggers"),
    Phase("types", True, "column type changes, each behind a check that every value converts"),
    Phase("indexes", False, "indexes built CONCURRENTLY: reads and writes go on during the build"),
    Phase("data", True, "data clean-up and backfills, with what they change counted"),
    Phase("constraints", True, "constraints added NOT VALID (new rows are checked at once, old rows are not read) "
                               "and row level security switched on"),
    Phase("validate", False, "VALIDATE CONSTRAINT and SET NOT NULL, each statement in its own transaction"),
    Phase("keys", True, "primary keys added on the unique indexes built earlier"),
)
PHASE_INDEX = {phase.name: i for i, phase in enumerate(PHASES)}
LAYOUTS = ("plain", "supabase", "per-finding")
# What the Supabase CLI cannot apply (CONCURRENTLY refuses the transaction it wraps each migration file in), and what
# depends on it: written to supabase/manual/ instead, to run with psql after `supabase db push`.
SUPABASE_MANUAL = ("indexes", "keys")
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
}


@dataclass
class Step:
    """One statement of the plan, in one phase, with the findings it fixes and what it locks."""

    phase: str
    sql: str
    keys: list[str]
    table: str | None = None
    lock: str = ""
    notes: list[str] = field(default_factory=list)
    rank: int = 50
    conditional: bool = False  # runs only when the data allows; otherwise it warns and leaves the finding
    squawk_ignore: dict[str, str] = field(default_factory=dict)
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    identity: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "sql": self.sql, "keys": list(self.keys), "table": self.table,
                "lock": self.lock, "notes": list(self.notes), "conditional": self.conditional}


@dataclass
class Decision:
    """A fix that needs a person: the question, and the SQL it would take (never emitted as a live statement)."""

    keys: list[str]
    question: str
    sql: str = ""
    table: str | None = None
    follow_up: list[str] = field(default_factory=list)  # finding keys the pending decision leaves (or brings)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "question": self.question, "sql": self.sql, "table": self.table,
                "follow_up": list(self.follow_up)}


@dataclass
class PlanFile:
    """One file of a written plan: its relative path, whether it runs in one transaction, and its text."""

    path: str
    transactional: bool
    text: str
    phase: str
    steps: list[Step]


@dataclass
class FixPlan:
    """The plan: steps by phase, the decisions held back, and what the findings had no mechanical fix for."""

    steps: list[Step]
    decisions: list[Decision]
    without_fix: list[dict[str, Any]]
    source: dict[str, Any] = field(default_factory=dict)
    notes: list[Decision] = field(default_factory=list)  # conservative choices made, and follow-ups, to confirm
    side_effect_tables: set[str] = field(default_factory=set)
    lock_timeout: str = "5s"
    statement_timeout: str = "1min"
    long_statement_timeout: str = "1h"

    # -- what the plan claims ---------------------------------------------------------------------------------------
    @property
    def planned_keys(self) -> set[str]:
        return {key for step in self.steps for key in step.keys}

    @property
    def held_keys(self) -> set[str]:
        return {key for decision in self.decisions for key in decision.keys}

    @property
    def conditional_keys(self) -> set[str]:
        return {key for step in self.steps if step.conditional for key in step.keys}

    @property
    def fixed_keys(self) -> set[str]:
        """Findings the plan fixes outright: every statement they need is in the runnable files."""
        return self.planned_keys - self.held_keys - self.conditional_keys

    @property
    def follow_up_keys(self) -> set[str]:
        """Findings that may remain or appear until the decisions are taken (e.g. a new tenant column's NULLs)."""
        return {key for decision in [*self.decisions, *self.notes] for key in decision.follow_up}

    def phase_steps(self, phase: str) -> list[Step]:
        return [step for step in self.steps if step.phase == phase]

    # -- files ------------------------------------------------------------------------------------------------------
    def files(self, layout: str = "plain", *, timestamp: str | None = None) -> list[PlanFile]:
        """The plan's migration files for a layout: ``plain`` (NNN_phase.sql), ``supabase``
        (supabase/migrations/<timestamp>_auditlib_fix_<phase>.sql, and supabase/manual/ for what Supabase cannot run)
        or ``per-finding`` (one file per finding)."""
        if layout not in LAYOUTS:
            raise FixPlanError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
        if layout == "per-finding":
            return self._per_finding_files()
        if layout == "supabase":
            return self._supabase_files(timestamp)
        phases = [phase for phase in PHASES if self.phase_steps(phase.name)]
        files = []
        for number, phase in enumerate(phases, start=1):
            path = f"{number:03d}_{phase.name}.sql"
            steps = self.phase_steps(phase.name)
            header = self._header(f"{number:03d} of {len(phases):03d}: {phase.name}", phase.title,
                                  phase.transactional, Path(path).name, long=phase.name in LONG_PHASES)
            files.append(PlanFile(path, phase.transactional, header + _render_all(steps, phase.transactional),
                                  phase.name, steps))
        return files

    def _supabase_files(self, timestamp: str | None) -> list[PlanFile]:
        """Supabase's CLI applies each migration file in its own transaction (supabase/cli#2898). So the migrations
        hold what runs in a transaction, VALIDATE split one table per migration (each table's locks end with its
        file), and supabase/manual/ the CONCURRENTLY index builds (refused in a transaction) and the keys added on
        those indexes, to run with psql after ``supabase db push``."""
        try:
            start = datetime.strptime(timestamp, "%Y%m%d%H%M%S") if timestamp else \
                datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        except ValueError:
            raise FixPlanError(f"The timestamp {timestamp!r} is not YYYYMMDDHHMMSS.") from None
        migrations: list[tuple[str, Phase, list[Step]]] = []
        for phase in PHASES:
            steps = self.phase_steps(phase.name)
            if not steps or phase.name in SUPABASE_MANUAL:
                continue
            if phase.name == "validate":
                by_table: dict[str, list[Step]] = {}
                for step in steps:
                    by_table.setdefault(step.table or "other", []).append(step)
                migrations += [(f"validate_{_slug(table)}", phase, group) for table, group in by_table.items()]
            else:
                migrations.append((phase.name, phase, steps))
        files = []
        for number, (what, phase, steps) in enumerate(migrations, start=1):
            version = (start + timedelta(seconds=number - 1)).strftime("%Y%m%d%H%M%S")
            title = ("VALIDATE CONSTRAINT and SET NOT NULL of one table: its locks end when this migration commits"
                     if phase.name == "validate" else phase.title)
            timeout = self.long_statement_timeout if phase.name in LONG_PHASES else self.statement_timeout
            header = (f"-- auditlib fix plan, Supabase migration {number:03d} of {len(migrations):03d}: {what}\n"
                      f"-- {title}\n-- Apply: supabase db push (the CLI runs each migration file in its own "
                      "transaction); then the files of supabase/manual/, see README.md\n"
                      "-- Read decisions.md first: what needs your judgement is not in these files.\n"
                      f"SET lock_timeout = {literal(self.lock_timeout)};\nSET statement_timeout = {literal(timeout)};\n")
            # reset at the end: the CLI applies the next migrations on the same session
            footer = "\nRESET lock_timeout;\nRESET statement_timeout;\n"
            files.append(PlanFile(f"supabase/migrations/{version}_auditlib_fix_{what}.sql", True,
                                  header + _render_all(steps, True) + footer, phase.name, steps))
        manual = [phase for phase in PHASES if phase.name in SUPABASE_MANUAL and self.phase_steps(phase.name)]
        for number, phase in enumerate(manual, start=1):
            name = f"{number}_auditlib_fix_{phase.name}.sql"
            steps = self.phase_steps(phase.name)
            header = self._header(f"supabase/manual {number} of {len(manual)}: {phase.name} (after supabase db push)",
                                  phase.title, phase.transactional, f"supabase/manual/{name}",
                                  long=phase.name in LONG_PHASES)
            files.append(PlanFile(f"supabase/manual/{name}", phase.transactional,
                                  header + _render_all(steps, phase.transactional), phase.name, steps))
        return files

    def _per_finding_files(self) -> list[PlanFile]:
        by_key: dict[str, list[Step]] = {}
        for step in self.steps:  # a shared step goes with the first finding that needs it
            by_key.setdefault(step.keys[0], []).append(step)
        ordered = sorted(by_key.items(), key=lambda item: min(PHASE_INDEX[s.phase] for s in item[1]))
        files = []
        for number, (key, steps) in enumerate(ordered, start=1):
            transactional = all(PHASES[PHASE_INDEX[s.phase]].transactional for s in steps)
            name = f"{number:03d}_{_slug(key)}.sql"
            header = self._header(f"{number:03d} of {len(ordered):03d}: {key}", "every statement one finding "
                                  "needs, in phase order", transactional, name,
                                  long=any(s.phase in LONG_PHASES for s in steps))
            files.append(PlanFile(name, transactional, header + _render_all(steps, transactional), steps[0].phase,
                                  steps))
        return files

    def _header(self, what: str, title: str, transactional: bool, name: str, *, long: bool) -> str:
        how = (f"psql -1 -v ON_ERROR_STOP=1 -f {name}   (one transaction: all of it or nothing)" if transactional
               else f"psql -v ON_ERROR_STOP=1 -f {name}   (NOT in a transaction: each statement commits on its own; "
                    "safe to rerun)")
        timeout = self.long_statement_timeout if long else self.statement_timeout
        return (f"-- auditlib fix plan, file {what}\n-- {title}\n-- Apply: {how}\n"
                "-- Read decisions.md first: what needs your judgement is not in these files.\n"
                f"SET lock_timeout = {literal(self.lock_timeout)};\n"
                f"SET statement_timeout = {literal(timeout)};\n")

    # -- writing ----------------------------------------------------------------------------------------------------
    def write(self, folder: str | Path, layout: str = "plain") -> list[Path]:
        """Write the migration files, ``README.md`` (how to apply, what each step locks), ``decisions.md`` and
        ``plan.json`` (the manifest: files in order, each with whether it runs in a transaction)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = self.files(layout)
        written = []
        for plan_file in files:
            path = folder / plan_file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(plan_file.text, encoding="utf-8")
            written.append(path)
        for name, text in (("README.md", self.readme(files, layout)), ("decisions.md", self.decisions_markdown()),
                           ("plan.json", json.dumps(self.manifest(files, layout), indent=2, default=str) + "\n")):
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
        return written

    def manifest(self, files: list[PlanFile], layout: str) -> dict[str, Any]:
        return {
            "tool": "auditlib", "kind": "fix-plan", "layout": layout, "source": self.source,
            "lock_timeout": self.lock_timeout, "statement_timeout": self.statement_timeout,
            "files": [{"path": f.path, "transactional": f.transactional, "phase": f.phase,
                       "steps": [s.to_dict() for s in f.steps]} for f in files],
            "fixed": sorted(self.fixed_keys), "conditional": sorted(self.conditional_keys),
            "held": sorted(self.held_keys), "follow_up": sorted(self.follow_up_keys),
            "side_effect_tables": sorted(self.side_effect_tables),
            "notes": [n.to_dict() for n in self.notes],
            "decisions": [d.to_dict() for d in self.decisions],
            "without_fix": [{"key": r["key"], "severity": r["severity"], "title": r.get("title")}
                            for r in self.without_fix],
        }

    def readme(self, files: list[PlanFile], layout: str) -> str:
        lines = ["# Fix plan", "",
                 f"From the audit of {_describe(self.source)}. It fixes {len(self.fixed_keys)} findings outright, "
                 f"{len(self.conditional_keys)} more when the data allows (a step that warns and leaves the finding "
                 f"otherwise), and holds back {len(self.decisions)} decisions (decisions.md). "
                 f"{len(self.without_fix)} findings have no mechanical fix.", "",
                 "## Apply", "",
                 "Apply the files in order on a copy of production first, then on production. Files marked "
                 "*transaction* run as one transaction (`psql -1`); the others must not (CONCURRENTLY refuses to "
                 "run in one; a VALIDATE in its own transaction holds only a lock that lets reads and writes go on).",
                 "A lock that is not granted within the lock_timeout aborts the statement instead of queueing the "
                 "application behind it: rerun the file later.", ""]
        if layout == "supabase":
            lines += ["Supabase's CLI applies each file of supabase/migrations in its own transaction. "
                      "`CREATE INDEX CONCURRENTLY` cannot run in a transaction, so the index builds (and the keys "
                      "added on them) are not migrations: they are in supabase/manual/, to run with psql once "
                      "`supabase db push` has applied the migrations (an index may be on a column they add). "
                      "VALIDATE CONSTRAINT and SET NOT NULL come one table per migration, so each table's locks end "
                      "with its migration. Each migration resets lock_timeout and statement_timeout at its end.", ""]
        lines += ["| file | runs | steps | longest lock |", "|---|---|---|---|"]
        for plan_file in files:
            lines.append(f"| {plan_file.path} | {'transaction' if plan_file.transactional else 'no transaction'} | "
                         f"{len(plan_file.steps)} | {_longest_lock(plan_file.steps)} |")
        lines += ["", "```sh"]
        if layout == "supabase":
            lines.append("supabase db push                 # the migrations, each in its own transaction")
        for plan_file in files:
            if layout != "supabase" or not plan_file.path.startswith("supabase/migrations/"):
                lines.append(f"psql {'-1 ' if plan_file.transactional else ''}-v ON_ERROR_STOP=1 "
                             f"-f {plan_file.path}")
        lines += ["```", "", "Then audit again: the fixed findings are gone (`auditlib audit` records them as "
                  "`fixed` in the history).", ""]
        if self.without_fix:
            lines += ["## Findings without a mechanical fix", ""]
            lines += [f"- `{r['key']}` ({r['severity']}): {r.get('title') or ''}" for r in self.without_fix]
            lines.append("")
        return "\n".join(lines)

    def decisions_markdown(self) -> str:
        lines = ["# Decisions", "",
                 "These fixes need your judgement; none of them is in the migration files. Answer the question, "
                 "edit the SQL to say what you decided, and apply it as its own migration.", ""]
        if not self.decisions:
            lines.append("None: every selected finding has a mechanical fix.")
        if self.notes:
            lines += ["", "## Choices the plan made for you (confirm or change)", ""]
            for note in self.notes:
                lines += [f"- {note.question}"]
                if note.sql:
                    lines += ["", "  ```sql", *("  " + line for line in note.sql.splitlines()), "  ```"]
            lines += [""]
        if self.side_effect_tables:
            lines += ["The data steps fire triggers that write to " + ", ".join(sorted(self.side_effect_tables))
                      + ": expect new rows there (and what the audit reads from them).", ""]
        for number, decision in enumerate(self.decisions, start=1):
            lines += [f"## {number}. {', '.join(decision.keys) or decision.table}", "", decision.question, ""]
            if decision.follow_up:
                lines += ["Until then these findings stay: " + ", ".join(f"`{k}`" for k in decision.follow_up), ""]
            if decision.sql.strip():
                lines += ["```sql", decision.sql.strip(), "```", ""]
        return "\n".join(lines)


LONG_PHASES = {"indexes", "validate", "data", "types"}
# Why a statement outside a transaction is still safe to rerun (squawk's prefer-robust-stmts assumes otherwise).
OWN_TRANSACTION = ("runs outside a transaction on purpose, so each statement commits and releases its lock on its "
                   "own; validating a valid constraint or setting NOT NULL twice is a no-op, so a rerun is safe")


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
    for record in selected:
        planner.plan(record)
    planner.finish()
    side_effects = planner.trigger_side_effects()
    without_fix = [r for r in selected if not (r.get("remediation_sql") or "").strip()]
    return FixPlan(steps=planner.ordered_steps(), decisions=planner.decisions, without_fix=without_fix,
                   source=described, lock_timeout=lock_timeout, statement_timeout=statement_timeout,
                   notes=planner.notes, side_effect_tables=side_effects)


def _deparse(node: Any) -> str:
    return RawStream()(node)


def _rangevar_name(rangevar: ast.RangeVar) -> str:
    return f"{rangevar.schemaname or 'public'}.{rangevar.relname}"


def _names(nodes: Iterable[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if isinstance(n, ast.String)]


class _Planner:
    """Turns findings into steps and decisions; ``finish`` applies the checks that need the whole plan."""

    def __init__(self, records: list[dict[str, Any]], catalog: Catalog | None):
        self.catalog = catalog
        self.steps: list[Step] = []
        self.by_identity: dict[tuple[str, str], Step] = {}
        self.decisions: list[Decision] = []
        self.orphans = {(r["schema"], r["table"], r["column"]): r for r in records if r["check"] == "orphan_rows"}
        self.tenant_nulls = {(r["schema"], r["table"], r["column"]): r for r in records
                             if r["check"] == "tenant_null_rows"}
        self.order = 0
        self.validated: dict[tuple[str, str], Step | None] = {}
        self.notes: list[Decision] = []  # choices the plan made conservatively, for a person to confirm

    # -- adding ---------------------------------------------------------------------------------------------------
    def add(self, step: Step) -> Step:
        """Add a step, merged with an identical one already planned (same phase, same normalised statement)."""
        try:
            identity = _deparse(pglast.parse_sql(step.sql)[0].stmt)
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
        self.steps.append(step)
        return step

    def hold(self, record: dict[str, Any], question: str, sql: str = "", follow_up: Iterable[str] = (),
             key: str | None = None) -> None:
        """Keep a fix out of the runnable files: a decision with its question (one per question and table, listing
        every finding it answers and every statement it holds)."""
        key = key or record["key"]
        table = f"{record['schema']}.{record['table']}" if record.get("table") else None
        for decision in self.decisions:
            if decision.question == question and decision.table == table:
                break
        else:
            decision = Decision([], question, "", table, [])
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
        for column in fk_columns or []:
            orphans = self.orphans.get((schema, relname, column))
            if orphans is not None and self.orphan_decision(orphans):
                self.hold(orphans, self.orphan_question(orphans), sql + ";", follow_up=[key], key=key)
                self.validated[(table, name)] = None
                return
        state = self.null_state(table, not_null_column)
        if state == "held":
            nulls = self.tenant_nulls[(schema, relname, not_null_column)]
            self.hold(nulls, self.tenant_question(nulls), sql + ";", follow_up=[key], key=key)
            self.validated[(table, name)] = None
            return
        if state == "conditional":
            sql = _guarded(target, table, not_null_column, sql, f"{name} stays NOT VALID (new rows are checked)")
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
        added = {(s.table, c) for s in self.steps if s.phase == "schema" for c in _added_columns(s.sql)}
        for step in list(self.steps):
            if step.phase == "schema" and step.notes and step.notes[0].startswith("trigger function: "):
                self.check_trigger(step, added)
            if step.phase == "constraints" and "ENABLE ROW LEVEL SECURITY" in step.sql:
                self.check_rls(step)

    def trigger_side_effects(self) -> set[str]:
        """Tables that the UPDATE triggers of the data steps' tables write to (an audit log, a counter table): the
        backfills add rows there, and what the audit finds in them can change."""
        if self.catalog is None:
            return set()
        triggers, functions = self.catalog.triggers, self.catalog.functions
        written: set[str] = set()
        for step in self.steps:
            if step.phase != "data" or not step.table:
                continue
            schema, _, name = step.table.partition(".")
            fired = triggers[(triggers["schema"] == schema) & (triggers["table"] == name)
                             & triggers["events"].map(lambda events: "UPDATE" in [e.upper() for e in events])]
            for trigger in fired.to_dict("records"):
                source = functions[(functions["schema"] == trigger["function_schema"])
                                   & (functions["name"] == trigger["function_name"])]["source"]
                targets = {_qualify(t.replace('"', "")) for s in source for t in _WRITES.findall(s or "")}
                if targets:
                    step.notes.append(f"fires trigger {trigger['name']}, which writes to {', '.join(sorted(targets))}")
                written |= targets
        return written

    def drop(self, step: Step) -> None:
        self.steps.remove(step)
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
        functions = self.catalog.functions
        rows = functions[(functions["schema"] == (schema or "public")) & (functions["name"] == name)]
        table_schema, _, table_name = (step.table or "").partition(".")
        existing = {c["name"] for c in self.catalog.table_columns(table_schema, table_name)}
        existing |= {c for (t, c) in added if t == step.table}
        written = set().union(*(_new_columns_written(s or "") for s in rows["source"])) if len(rows) else None
        missing = sorted(written - existing) if written is not None else None
        if missing is None or missing:
            self.drop(step)
            why = (f"{function} does not exist" if missing is None else
                   f"{function} writes NEW.{', NEW.'.join(missing)}, which {step.table} does not have")
            for key in step.keys:
                self.hold({**record, "key": key}, f"The trigger on {step.table} would fail on every UPDATE: {why}. "
                          "Which function should keep its timestamp (or which column should it write)?", step.sql)

    def check_rls(self, step: Step) -> None:
        schema, _, name = (step.table or "").partition(".")
        has_policy = any(s.phase == "schema" and s.table == step.table and s.sql.startswith("CREATE POLICY")
                         for s in self.steps)
        if self.catalog is not None:
            policies = self.catalog.policies
            has_policy = has_policy or bool(((policies["schema"] == schema) & (policies["table"] == name)).any())
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
        policies = catalog.policies[(catalog.policies["schema"] == schema) & (catalog.policies["table"] != name)]
        shapes: dict[tuple[tuple[str, str, str, tuple[str, ...]], ...], int] = {}
        for _table, rows in policies.groupby("table", sort=True):
            shape = _policy_shape(rows.to_dict("records"), columns)
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

    def ordered_steps(self) -> list[Step]:
        """Steps in phase order; inside a phase by rank, and data steps after the steps that fill what they read."""
        ordered: list[Step] = []
        for phase in PHASES:
            steps = sorted((s for s in self.steps if s.phase == phase.name), key=lambda s: s.rank)
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


def _skip_null_sources(statement: ast.UpdateStmt) -> None:
    """A backfill copies values from other rows: it skips rows whose source is NULL too, so a rerun (after a NOT
    VALID ``CHECK (col IS NOT NULL)`` exists) does not rewrite a NULL with a NULL and trip the constraint."""
    if not statement.fromClause:
        return
    tests = [ast.NullTest(arg=target.val, nulltesttype=1, argisrow=False) for target in statement.targetList
             if isinstance(target.val, ast.ColumnRef)]
    if tests:
        conditions = [statement.whereClause, *tests] if statement.whereClause is not None else tests
        statement.whereClause = ast.BoolExpr(boolop=0, args=tuple(conditions)) if len(conditions) > 1 \
            else conditions[0]


def _not_null_column(constraint: ast.Constraint) -> str | None:
    """The column of a ``CHECK (col IS NOT NULL)``, else None."""
    expression = constraint.raw_expr
    if constraint.contype == ConstrType.CONSTR_CHECK and isinstance(expression, ast.NullTest) \
            and expression.nulltesttype == 1 and isinstance(expression.arg, ast.ColumnRef):
        names = _names(expression.arg.fields)
        return names[-1] if names else None
    return None


def _guarded(target: str, table: str, column: str, sql: str, otherwise: str) -> str:
    """``sql`` run only when no row of the table has NULL in the column; otherwise a WARNING (the file goes on)."""
    message = f"{table}.{column} still has rows without a value: {otherwise}; see decisions.md"
    return (f"DO $$\nBEGIN\n  IF EXISTS (SELECT FROM {target} WHERE {ident(column)} IS NULL) THEN\n"
            f"    RAISE WARNING {literal(message)};\n  ELSE\n    {sql};\n  END IF;\nEND\n$$")


def _unless_constraint_exists(target: str, name: str, sql: str) -> str:
    """``sql`` run only when the table has no constraint called ``name`` (ADD CONSTRAINT has no IF NOT EXISTS)."""
    exists = (f"SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {literal(target)}::regclass AND "
              f"conname = {literal(name)}")
    return f"DO $$\nBEGIN\n  IF NOT EXISTS ({exists}) THEN\n    {sql};\n  END IF;\nEND\n$$"


def _rangevar_sql(rangevar: ast.RangeVar) -> str:
    return ident(rangevar.schemaname, rangevar.relname) if rangevar.schemaname else ident(rangevar.relname)


def _qualify(name: str | None) -> str | None:
    if name and "." not in name:
        return f"public.{name}"
    return name


def _added_columns(sql: str) -> list[str]:
    try:
        statement = pglast.parse_sql(sql)[0].stmt
    except pglast.parser.ParseError:
        return []
    if not isinstance(statement, ast.AlterTableStmt):
        return []
    return [c.def_.colname for c in statement.cmds if c.subtype == AlterTableType.AT_AddColumn]


_WRITES = re.compile(r'\b(?:INSERT\s+INTO|UPDATE)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)', re.IGNORECASE)
_NEW_ASSIGNMENT = re.compile(r'(?:^|;|\b(?:THEN|ELSE|BEGIN|LOOP)\b)\s*NEW\s*\.\s*("(?:[^"]|"")+"|\w+)\s*:?=(?!=)',
                             re.IGNORECASE | re.MULTILINE)


def _new_columns_written(source: str) -> set[str]:
    """The columns a trigger function assigns (``NEW.col := …``), from its PL/pgSQL source."""
    names = set()
    for match in _NEW_ASSIGNMENT.finditer(source):
        name = match.group(1)
        names.add(name[1:-1].replace('""', '"') if name.startswith('"') else name.lower())
    return names


POLICY_COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


def _policy_shape(rows: list[dict[str, Any]], columns: set[str]) -> tuple[tuple[str, str, str, tuple[str, ...]], ...] | None:
    """A table's policies as a set that can be copied to a table with ``columns``: permissive, each command once,
    either FOR ALL alone or one per command, every expression on the same single column (the tenant column), which
    the other table has. None otherwise (a table whose policies say more than "rows of my tenant")."""
    if not rows or any(not row["permissive"] for row in rows):
        return None
    commands = [str(row["command"]).upper() for row in rows]
    if len(set(commands)) != len(commands) or not set(commands) <= set(POLICY_COMMANDS) or \
            ("ALL" in commands and len(commands) > 1):
        return None
    referenced: set[str] = set()
    shape = []
    for row, command in zip(rows, commands, strict=True):
        using, check = row["using_expression"] or "", row["with_check"] or ""
        if not (using or check):
            return None
        for expression in (using, check):
            if expression:
                referenced |= _column_refs(expression)
        shape.append((command, using, check, tuple(row["roles"] or ["public"])))
    if len(referenced) != 1 or not referenced <= columns:
        return None
    return tuple(sorted(shape, key=lambda item: POLICY_COMMANDS.index(item[0])))


def _column_refs(expression: str) -> set[str]:
    try:
        node = pglast.parse_sql(f"SELECT {expression}")[0].stmt
    except pglast.parser.ParseError:
        return {"?", "??"}
    refs: set[str] = set()

    def visit(item: Any) -> None:
        if isinstance(item, ast.ColumnRef):
            refs.add(".".join(_names(item.fields)))
        elif isinstance(item, ast.Node):
            for name in item:
                visit(getattr(item, name))
        elif isinstance(item, (list, tuple)):
            for element in item:
                visit(element)

    visit(node)
    return refs


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


def _longest_lock(steps: list[Step]) -> str:
    strong = [s for s in steps if s.lock.startswith("ACCESS EXCLUSIVE") and "milliseconds" not in s.lock]
    if strong:
        return strong[0].lock.split(":", 1)[0] + ":" + strong[0].lock.split(":", 1)[1].split("(")[0]
    return "milliseconds" if steps and all("milliseconds" in s.lock for s in steps) else \
        "no lock that stops reads or writes for long"


def _render_all(steps: list[Step], transactional: bool) -> str:
    return "".join(_render(step, transactional) for step in steps)


def _render(step: Step, transactional: bool = False) -> str:
    lines = ["", f"-- fixes: {', '.join(step.keys)}"]
    lines += [f"-- {note}" for note in step.notes]
    if step.lock:
        lines.append(f"-- locks: {step.lock}")
    if step.conditional and step.phase == "data":
        lines.append("-- may leave rows (a parent without the value): then the finding stays; see decisions.md")
    elif step.conditional:
        lines.append("-- conditional: runs only when no row is left without a value; warns otherwise")
    # squawk reads an ignore comment as applying to the next line only: the reasons go above it
    # in a transaction, "outside a transaction on purpose" is not true and squawk has nothing to say about it
    acknowledged = {rule: reason for rule, reason in step.squawk_ignore.items()
                    if not (transactional and rule == "prefer-robust-stmts")}
    lines += [f"-- acknowledged {rule}: {reason}" for rule, reason in acknowledged.items()]
    if acknowledged:
        lines.append(f"-- squawk-ignore {', '.join(acknowledged)}")
    return "\n".join(lines) + "\n" + step.sql.strip().rstrip(";") + ";\n"


def _first_comment(text: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith("--"):
            return line.strip().lstrip("-").strip()
    return ""


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")[:80]


def _describe(source: dict[str, Any]) -> str:
    if not source:
        return "the given findings"
    return ", ".join(f"{k} {v}" for k, v in source.items() if v not in (None, "", []))
