"""What a fix plan is made of: phases, steps, decisions, files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


LONG_PHASES = {"indexes", "validate", "data", "types"}


# Why a statement outside a transaction is still safe to rerun (squawk's prefer-robust-stmts assumes otherwise).
OWN_TRANSACTION = ("runs outside a transaction on purpose, so each statement commits and releases its lock on its "
                   "own; validating a valid constraint or setting NOT NULL twice is a no-op, so a rerun is safe")
