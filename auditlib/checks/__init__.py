"""The check registry: every check is metadata plus a function, registered with ``@check``.

A schema check is a pure function of the catalog: ``fn(catalog, config) -> Iterable[Finding]``. It never does I/O,
so one catalog read serves every check, and the same checks run on a live database, on a snapshot and on a database
built from migration files. The check's docstring is its documentation: a summary line, then ``Why it matters:``
and ``How to fix:`` paragraphs (docs/checks.md and the report's appendix are generated from it).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditlib.findings import CATEGORIES, SEVERITIES, Finding

KINDS = ("schema", "data", "migrations", "code", "exposure")
FAMILIES = ("structure", "relationships", "cascade", "tenancy", "rls", "duplicates", "functions", "migrations",
            "comments", "integrity", "json", "probe", "candidates", "code", "exposure")


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    name: str
    category: str
    severity: str
    kind: str
    func: Callable[..., Iterable[Finding]]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.func.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name

    @property
    def details(self) -> str:
        """The docstring's paragraphs between the summary line and "Why it matters:" (how the check decides)."""
        paragraphs = self.doc.split("\n\n")[1:]
        kept = []
        for paragraph in paragraphs:
            if paragraph.startswith(("Why it matters:", "How to fix:")):
                break
            kept.append(" ".join(paragraph.split()))
        return "\n\n".join(kept)

    def section(self, heading: str) -> str:
        """The text of a docstring paragraph that starts with ``heading`` (e.g. "Why it matters:")."""
        for paragraph in self.doc.split("\n\n"):
            if paragraph.startswith(heading):
                return " ".join(paragraph[len(heading):].split())
        return ""

    def as_rule(self) -> dict[str, str]:
        """The check as a SARIF/doc rule: summary, description, severity, category."""
        return {"summary": self.summary, "description": " ".join(self.doc.split()), "severity": self.severity,
                "category": self.category}


REGISTRY: dict[str, CheckSpec] = {}


def check(name: str, category: str, severity: str, kind: str = "schema"):
    """Register a check function under a stable snake_case name."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")

    def register(func: Callable[..., Iterable[Finding]]):
        if name in REGISTRY and REGISTRY[name].func.__qualname__ != func.__qualname__:
            raise ValueError(f"check {name!r} registered twice")
        REGISTRY[name] = CheckSpec(name=name, category=category, severity=severity, kind=kind, func=func)
        return func

    return register


def load_checks() -> dict[str, CheckSpec]:
    """Import every check family and return the registry."""
    for family in FAMILIES:
        importlib.import_module(f"auditlib.checks.{family}")
    return REGISTRY


def complete(spec: CheckSpec, finding: Finding, severity_override: str | None) -> Finding:
    """Fill in a finding's check, category and severity from its check's registration and the config."""
    finding.check = spec.name
    finding.category = finding.category or spec.category
    finding.severity = severity_override or finding.severity or spec.severity
    return finding
