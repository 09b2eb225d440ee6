"""Fix plans: an audit's remediation SQL as migration files a team can apply to production as they are.

The planner reads findings (never a check's internals) and the catalog. Each finding's ``remediation_sql`` is
parsed with pglast and every statement is sorted into a phase:

    schema       new columns (IF NOT EXISTS), policies (dropped IF EXISTS, then created), triggers    one transaction
    types        column type changes, each behind a guard that every value converts                 one transaction
    indexes      CREATE INDEX CONCURRENTLY IF NOT EXISTS                                             no transaction
    data         clean-up and backfills, with what they change counted in a comment                  one transaction
    constraints  constraints added NOT VALID (once: a rerun asks pg_constraint), row level security on  one transaction
    validate     VALIDATE CONSTRAINT, then SET NOT NULL, each in its own transaction                 no transaction
    keys         primary keys added USING INDEX (built in ``indexes``)                               one transaction

Every file opens with ``SET lock_timeout`` and ``SET statement_timeout``; every step says what it locks and for about
how long (from the table's size estimate). What needs a person's judgement (which orphans to delete, whether CASCADE
is wanted, what a comment should say) is never written as live SQL: it goes to ``decisions.md`` with the question.

    planning.py   findings to steps and decisions        guards.py    the SQL and checks that keep it never worse
    model.py      phases, steps, decisions, files         plan.py      FixPlan: what the plan claims
    layouts.py    plain, supabase, per-finding files      writing.py   the folder: files, README, decisions, plan.json
"""

from auditlib.fixes.model import LAYOUTS, PHASE_INDEX, PHASES, Decision, FixPlanError, Phase, PlanFile, Step
from auditlib.fixes.plan import FixPlan
from auditlib.fixes.planning import plan_fixes, read_findings, select_findings

__all__ = ["LAYOUTS", "PHASES", "PHASE_INDEX", "Decision", "FixPlan", "FixPlanError", "Phase", "PlanFile", "Step",
           "plan_fixes", "read_findings", "select_findings"]
