"""Writing a plan to a folder: the migration files, README.md, decisions.md and plan.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlib.fixes.model import PlanFile, Step

if TYPE_CHECKING:
    from auditlib.fixes.plan import FixPlan


def write_plan(plan: FixPlan, folder: str | Path, layout: str = "plain") -> list[Path]:
    """Write the migration files, ``README.md`` (how to apply, what each step locks), ``decisions.md`` and
    ``plan.json`` (the manifest: files in order, each with whether it runs in a transaction)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = plan.files(layout)
    written = []
    for plan_file in files:
        path = folder / plan_file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan_file.text, encoding="utf-8")
        written.append(path)
    for name, text in (("README.md", readme(plan, files, layout)), ("decisions.md", decisions_markdown(plan)),
                       ("plan.json", json.dumps(manifest(plan, files, layout), indent=2, default=str) + "\n")):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def manifest(plan: FixPlan, files: list[PlanFile], layout: str) -> dict[str, Any]:
    return {
        "tool": "auditlib", "kind": "fix-plan", "layout": layout, "source": plan.source,
        "lock_timeout": plan.lock_timeout, "statement_timeout": plan.statement_timeout,
        "files": [{"path": f.path, "transactional": f.transactional, "phase": f.phase,
                   "steps": [s.to_dict() for s in f.steps]} for f in files],
        "fixed": sorted(plan.fixed_keys), "conditional": sorted(plan.conditional_keys),
        "held": sorted(plan.held_keys), "follow_up": sorted(plan.follow_up_keys),
        "side_effect_tables": sorted(plan.side_effect_tables),
        "notes": [n.to_dict() for n in plan.notes],
        "decisions": [d.to_dict() for d in plan.decisions],
        "without_fix": [{"key": r["key"], "severity": r["severity"], "title": r.get("title")}
                        for r in plan.without_fix],
    }


def readme(plan: FixPlan, files: list[PlanFile], layout: str) -> str:
    lines = ["# Fix plan", "",
             f"From the audit of {_describe(plan.source)}. It fixes {len(plan.fixed_keys)} findings outright, "
             f"{len(plan.conditional_keys)} more when the data allows (a step that warns and leaves the finding "
             f"otherwise), and holds back {len(plan.decisions)} decisions (decisions.md). "
             f"{len(plan.without_fix)} findings have no mechanical fix.", "",
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
    if plan.without_fix:
        lines += ["## Findings without a mechanical fix", ""]
        lines += [f"- `{r['key']}` ({r['severity']}): {r.get('title') or ''}" for r in plan.without_fix]
        lines.append("")
    return "\n".join(lines)


def decisions_markdown(plan: FixPlan) -> str:
    lines = ["# Decisions", "",
             "These fixes need your judgement; none of them is in the migration files. Answer the question, "
             "edit the SQL to say what you decided, and apply it as its own migration.", ""]
    if not plan.decisions:
        lines.append("None: every selected finding has a mechanical fix.")
    if plan.notes:
        lines += ["", "## Choices the plan made for you (confirm or change)", ""]
        for note in plan.notes:
            lines += [f"- {note.question}"]
            if note.sql:
                lines += ["", "  ```sql", *("  " + line for line in note.sql.splitlines()), "  ```"]
        lines += [""]
    if plan.side_effect_tables:
        lines += ["The data steps fire triggers that write to " + ", ".join(sorted(plan.side_effect_tables))
                  + ": expect new rows there (and what the audit reads from them).", ""]
    for number, decision in enumerate(plan.decisions, start=1):
        lines += [f"## {number}. {', '.join(decision.keys) or decision.table}", "", decision.question, ""]
        if decision.follow_up:
            lines += ["Until then these findings stay: " + ", ".join(f"`{k}`" for k in decision.follow_up), ""]
        if decision.sql.strip():
            lines += ["```sql", decision.sql.strip(), "```", ""]
    return "\n".join(lines)


def _longest_lock(steps: list[Step]) -> str:
    strong = [s for s in steps if s.lock.startswith("ACCESS EXCLUSIVE") and "milliseconds" not in s.lock]
    if strong:
        return strong[0].lock.split(":", 1)[0] + ":" + strong[0].lock.split(":", 1)[1].split("(")[0]
    return "milliseconds" if steps and all("milliseconds" in s.lock for s in steps) else \
        "no lock that stops reads or writes for long"


def _describe(source: dict[str, Any]) -> str:
    if not source:
        return "the given findings"
    return ", ".join(f"{k} {v}" for k, v in source.items() if v not in (None, "", []))
