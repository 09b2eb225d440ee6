"""How a plan's steps become files: plain numbered files, a Supabase migrations folder, or one file per finding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from auditlib.fixes.model import (
    LAYOUTS,
    LONG_PHASES,
    PHASE_INDEX,
    PHASES,
    SUPABASE_MANUAL,
    FixPlanError,
    Phase,
    PlanFile,
    Step,
)
from auditlib.quoting import literal

if TYPE_CHECKING:
    from auditlib.fixes.plan import FixPlan


def plan_files(plan: FixPlan, layout: str = "plain", *, timestamp: str | None = None) -> list[PlanFile]:
    """The plan's migration files for a layout: ``plain`` (NNN_phase.sql), ``supabase``
    (supabase/migrations/<timestamp>_auditlib_fix_<phase>.sql, and supabase/manual/ for what Supabase cannot run)
    or ``per-finding`` (one file per finding)."""
    if layout not in LAYOUTS:
        raise FixPlanError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
    if layout == "per-finding":
        return _per_finding_files(plan)
    if layout == "supabase":
        return _supabase_files(plan, timestamp)
    phases = [phase for phase in PHASES if plan.phase_steps(phase.name)]
    files = []
    for number, phase in enumerate(phases, start=1):
        path = f"{number:03d}_{phase.name}.sql"
        steps = plan.phase_steps(phase.name)
        header = _header(plan, f"{number:03d} of {len(phases):03d}: {phase.name}", phase.title,
                              phase.transactional, Path(path).name, long=phase.name in LONG_PHASES)
        files.append(PlanFile(path, phase.transactional, header + _render_all(steps, phase.transactional),
                              phase.name, steps))
    return files


def _supabase_files(plan: FixPlan, timestamp: str | None) -> list[PlanFile]:
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
        steps = plan.phase_steps(phase.name)
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
        timeout = plan.long_statement_timeout if phase.name in LONG_PHASES else plan.statement_timeout
        header = (f"-- auditlib fix plan, Supabase migration {number:03d} of {len(migrations):03d}: {what}\n"
                  f"-- {title}\n-- Apply: supabase db push (the CLI runs each migration file in its own "
                  "transaction); then the files of supabase/manual/, see README.md\n"
                  "-- Read decisions.md first: what needs your judgement is not in these files.\n"
                  f"SET lock_timeout = {literal(plan.lock_timeout)};\nSET statement_timeout = {literal(timeout)};\n")
        # reset at the end: the CLI applies the next migrations on the same session
        footer = "\nRESET lock_timeout;\nRESET statement_timeout;\n"
        files.append(PlanFile(f"supabase/migrations/{version}_auditlib_fix_{what}.sql", True,
                              header + _render_all(steps, True) + footer, phase.name, steps))
    manual = [phase for phase in PHASES if phase.name in SUPABASE_MANUAL and plan.phase_steps(phase.name)]
    for number, phase in enumerate(manual, start=1):
        name = f"{number}_auditlib_fix_{phase.name}.sql"
        steps = plan.phase_steps(phase.name)
        header = _header(plan, f"supabase/manual {number} of {len(manual)}: {phase.name} (after supabase db push)",
                              phase.title, phase.transactional, f"supabase/manual/{name}",
                              long=phase.name in LONG_PHASES)
        files.append(PlanFile(f"supabase/manual/{name}", phase.transactional,
                              header + _render_all(steps, phase.transactional), phase.name, steps))
    return files


def _per_finding_files(plan: FixPlan) -> list[PlanFile]:
    by_key: dict[str, list[Step]] = {}
    for step in plan.steps:  # a shared step goes with the first finding that needs it
        by_key.setdefault(step.keys[0], []).append(step)
    ordered = sorted(by_key.items(), key=lambda item: min(PHASE_INDEX[s.phase] for s in item[1]))
    files = []
    for number, (key, steps) in enumerate(ordered, start=1):
        transactional = all(PHASES[PHASE_INDEX[s.phase]].transactional for s in steps)
        name = f"{number:03d}_{_slug(key)}.sql"
        header = _header(plan, f"{number:03d} of {len(ordered):03d}: {key}", "every statement one finding "
                              "needs, in phase order", transactional, name,
                              long=any(s.phase in LONG_PHASES for s in steps))
        files.append(PlanFile(name, transactional, header + _render_all(steps, transactional), steps[0].phase,
                              steps))
    return files


def _header(plan: FixPlan, what: str, title: str, transactional: bool, name: str, *, long: bool) -> str:
    how = (f"psql -1 -v ON_ERROR_STOP=1 -f {name}   (one transaction: all of it or nothing)" if transactional
           else f"psql -v ON_ERROR_STOP=1 -f {name}   (NOT in a transaction: each statement commits on its own; "
                "safe to rerun)")
    timeout = plan.long_statement_timeout if long else plan.statement_timeout
    return (f"-- auditlib fix plan, file {what}\n-- {title}\n-- Apply: {how}\n"
            "-- Read decisions.md first: what needs your judgement is not in these files.\n"
            f"SET lock_timeout = {literal(plan.lock_timeout)};\n"
            f"SET statement_timeout = {literal(timeout)};\n")


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


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")[:80]
