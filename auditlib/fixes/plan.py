"""The fix plan: its steps, decisions and what it claims to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditlib.fixes import layouts, writing
from auditlib.fixes.model import Decision, PlanFile, Step


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

    # -- files and writing (layouts.py, writing.py) -----------------------------------------------------------------
    def files(self, layout: str = "plain", *, timestamp: str | None = None) -> list[PlanFile]:
        """The plan's migration files for a layout: ``plain``, ``supabase`` or ``per-finding`` (see layouts.py)."""
        return layouts.plan_files(self, layout, timestamp=timestamp)

    def write(self, folder: str | Path, layout: str = "plain") -> list[Path]:
        """Write the migration files, ``README.md``, ``decisions.md`` and ``plan.json`` (see writing.py)."""
        return writing.write_plan(self, folder, layout)

    def manifest(self, files: list[PlanFile], layout: str) -> dict[str, Any]:
        """``plan.json``: the files in order, each with whether it runs in a transaction, and what the plan claims."""
        return writing.manifest(self, files, layout)

    def readme(self, files: list[PlanFile], layout: str) -> str:
        """``README.md``: how to apply the files and what each locks."""
        return writing.readme(self, files, layout)

    def decisions_markdown(self) -> str:
        """``decisions.md``: what needs a person, with the question and the SQL it would take."""
        return writing.decisions_markdown(self)
