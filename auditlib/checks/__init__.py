"""The check registry: every check is metadata plus a function, registered with ``@check``.

A schema check is a pure function of the catalog: ``fn(catalog, config) -> Iterable[Finding]``. It never does I/O,
so one catalog read serves every check, and the same checks run on a live database, on a snapshot and on a database
built from migration files. The check's docstring is its documentation: a summary line, then ``Why it matters:``
and ``How to fix:`` paragraphs (docs/checks.md and the report's appendix are generated from it).

What else a check is given is declared with ``needs``: each name is passed as a keyword argument of that name.
``analysis`` is the run's ``auditlib.model.Analysis`` (references, tenancy, cascade graph, comments), ``audited``
the set of audited schemas, ``data`` a ``DataContext`` (data checks), ``code_scan`` a ``CodeScan`` (code checks)
and ``migration_run`` a ``MigrationRun`` (migration checks). Without ``needs`` a check gets what its kind implies.

The rules of other tools a check corresponds to are metadata too (``peers``, e.g. ``splinter:0010``); docs/checks.md
lists them, and a test holds every security lint of Supabase's splinter to a counterpart.

Where the report shows a check's findings is metadata too, so the report, the charts and the tests select checks by
it and never by name: ``report_section`` (one of ``REPORT_SECTIONS``; by default the check's category) and
``count_key`` (the evidence key holding the number of rows a finding is about; checks that have one are charted).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditlib.findings import CATEGORIES, SEVERITIES, Finding

KINDS = ("schema", "data", "migrations", "code")
# Other tools whose rules a check may name as its peers: Supabase's advisor lints and the pgrls analyzer.
PEER_TOOLS = ("splinter", "pgrls")
INPUTS = ("analysis", "audited", "data", "code_scan", "migration_run")
# What a check of each kind is given when it declares nothing.
DEFAULT_NEEDS = {"schema": (), "data": ("data",), "migrations": ("migration_run",), "code": ("code_scan",)}
FAMILIES = ("structure", "relationships", "cascade", "tenancy", "rls", "duplicates", "functions", "migrations",
            "comments", "integrity", "json", "probe", "candidates", "code", "policies", "exposure")
# Where the report shows a check's findings. A key is an area (the report section) or ``area.part`` (a block of
# that section); every key here is shown somewhere, and a check that declares none is shown under its category
# (every category is a key: tests/test_check_metadata.py holds them to that).
REPORT_SECTIONS = {
    "structure": "Schema overview, other structure findings",
    "structure.primary_keys": "Schema overview, primary keys",
    "structure.timestamps": "Schema overview, timestamps",
    "relationships": "Foreign keys, other relationship findings",
    "relationships.missing": "Foreign keys, missing foreign keys (also the FK integrity rating)",
    "relationships.type_mismatch": "Foreign keys, type mismatches (also the FK integrity rating)",
    "relationships.indexes_and_types": "Foreign keys, unindexed foreign keys and inconsistent column types",
    "cascade": "Cascade deletes",
    "cascade.paths": "Cascade deletes, with a diagram of the delete path",
    "duplicates": "Duplicate and look-alike tables",
    "duplicates.defined_multiple": "Duplicate and look-alike tables; Tables defined more than once (migrations)",
    "tenancy": "Multi-tenancy, other tenancy and security findings",
    "tenancy.column": "Multi-tenancy, tables missing the tenant column (and the coverage table)",
    "tenancy.enforcement": "Multi-tenancy, tenant column not enforced",
    "security": "Multi-tenancy, other tenancy and security findings",
    "security.policies": "Multi-tenancy, row-level security",
    "security.null_bypass": "Multi-tenancy, policies that leak rows without a tenant (with the policy expression)",
    "security.probe": "Multi-tenancy, leak probe",
    "json": "JSONB structure and references",
    "json.structure": "JSONB structure and references, with the inferred document structure",
    "data": "Data integrity",
    "data.orphans": "Data integrity (also the FK integrity rating)",
    "functions": "Functions and triggers",
    "code": "Code and database",
    "code.unused": "Code and database, tables the scanned code does not use",
    "comments.coverage": "Comments, constraints and conversions: tables without comments",
    "comments.constraints": "Comments, constraints and conversions: CHECK constraints the data already obeys",
    "comments.conversions": "Comments, constraints and conversions: references with no way back",
    "migrations": "Statements that fail (migration folders)",
}


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    name: str
    category: str
    severity: str
    kind: str
    func: Callable[..., Iterable[Finding]]
    needs: tuple[str, ...] | None = None
    report_section: str = ""  # a key of REPORT_SECTIONS; empty means the category
    count_key: str | None = None  # the evidence key holding the number of affected rows, if the check counts rows
    peers: tuple[str, ...] = ()  # the rules of other tools it corresponds to: "splinter:0010", "pgrls:SEC042"
    long_running: bool = False  # a data check that asks the server a lot: started before the others (run_checks)

    def __post_init__(self) -> None:
        if not self.report_section:
            object.__setattr__(self, "report_section", self.category)

    def shown_in(self, *sections: str) -> bool:
        """Whether the report shows the check's findings under one of ``sections`` (a key or an area of keys)."""
        return any(self.report_section == s or self.report_section.startswith(f"{s}.") for s in sections)

    @property
    def inputs(self) -> tuple[str, ...]:
        """The keyword arguments the check is called with besides the catalog and the config."""
        return self.needs if self.needs is not None else DEFAULT_NEEDS[self.kind]

    # The docstring is parsed once per check and kept: the report reads a check's summary for every group of
    # findings (thousands of times on a large schema).
    @functools.cached_property
    def doc(self) -> str:
        """The check's docstring, dedented."""
        return inspect.cleandoc(self.func.__doc__ or "")

    @functools.cached_property
    def summary(self) -> str:
        """The docstring's first line (the check's name if it has no docstring)."""
        return self.doc.splitlines()[0] if self.doc else self.name

    @functools.cached_property
    def details(self) -> str:
        """The docstring's paragraphs between the summary line and "Why it matters:" (how the check decides)."""
        paragraphs = self.doc.split("\n\n")[1:]
        kept = []
        for paragraph in paragraphs:
            if paragraph.startswith(("Why it matters:", "How to fix:")):
                break
            kept.append(" ".join(paragraph.split()))
        return "\n\n".join(kept)

    @functools.cached_property
    def _paragraphs(self) -> tuple[str, ...]:
        return tuple(self.doc.split("\n\n"))

    def section(self, heading: str) -> str:
        """The text of a docstring paragraph that starts with ``heading`` (e.g. "Why it matters:")."""
        for paragraph in self._paragraphs:
            if paragraph.startswith(heading):
                return " ".join(paragraph[len(heading):].split())
        return ""

    def as_rule(self) -> dict[str, str]:
        """The check as a SARIF/doc rule: summary, description, severity, category."""
        return {"summary": self.summary, "description": self._description, "severity": self.severity,
                "category": self.category}

    @functools.cached_property
    def _description(self) -> str:
        return " ".join(self.doc.split())


REGISTRY: dict[str, CheckSpec] = {}


def check(name: str, category: str, severity: str, kind: str = "schema", needs: tuple[str, ...] | None = None,
          report_section: str = "", count_key: str | None = None, peers: tuple[str, ...] = (),
          long_running: bool = False):
    """Register a check function under a stable snake_case name; ``needs`` names its inputs, ``report_section`` and
    ``count_key`` where the report shows its findings (see the module doc), ``peers`` the rules of other tools it
    corresponds to, as ``tool:id`` (one of ``PEER_TOOLS``); ``long_running`` marks a data check that asks the server
    much more than the others (it is started first)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    unknown = sorted(set(needs or ()) - set(INPUTS))
    if unknown:
        raise ValueError(f"unknown input(s) {', '.join(unknown)}; a check can need {', '.join(INPUTS)}")
    if report_section and report_section not in REPORT_SECTIONS:
        raise ValueError(f"unknown report section {report_section!r}; one of {', '.join(REPORT_SECTIONS)}")
    for peer in peers:
        if peer.partition(":")[0] not in PEER_TOOLS or not peer.partition(":")[2]:
            raise ValueError(f"peer rule {peer!r} is not tool:id with a tool among {', '.join(PEER_TOOLS)}")

    def register(func: Callable[..., Iterable[Finding]]):
        if name in REGISTRY and REGISTRY[name].func.__qualname__ != func.__qualname__:
            raise ValueError(f"check {name!r} registered twice")
        REGISTRY[name] = CheckSpec(name=name, category=category, severity=severity, kind=kind, func=func,
                                   needs=tuple(needs) if needs is not None else None, report_section=report_section,
                                   count_key=count_key, peers=tuple(peers), long_running=long_running)
        return func

    return register


def load_checks() -> dict[str, CheckSpec]:
    """Import every check family and return the registry."""
    for family in FAMILIES:
        importlib.import_module(f"auditlib.checks.{family}")
    return REGISTRY


def checks_in_section(*sections: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """The checks the report shows under ``sections`` (keys or areas of ``REPORT_SECTIONS``), minus ``exclude``."""
    return [name for name, spec in load_checks().items() if spec.shown_in(*sections) and not spec.shown_in(*exclude)]


def checks_with_count() -> dict[str, str]:
    """The checks that count affected rows, with the evidence key of the count, in family order."""
    counted = [spec for spec in load_checks().values() if spec.count_key]
    counted.sort(key=lambda spec: (_family_rank(spec), spec.func.__code__.co_firstlineno))
    return {spec.name: spec.count_key for spec in counted}


def _family_rank(spec: CheckSpec) -> int:
    family = spec.func.__module__.rpartition(".")[2]
    return FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)


def complete(spec: CheckSpec, finding: Finding, severity_override: str | None) -> Finding:
    """Fill in a finding's check, category and severity from its check's registration and the config."""
    finding.check = spec.name
    finding.category = finding.category or spec.category
    finding.severity = severity_override or finding.severity or spec.severity
    return finding


def prepare_with_data(analysis, data) -> None:
    """Measure what the checks need from the rows before any of them reads the run's model: the value overlap of
    the inferred references (``auditlib.checks.relationships.measure_reference_overlap``)."""
    from auditlib.checks.relationships import measure_reference_overlap

    measure_reference_overlap(analysis, data)


def with_code_scan(findings: list[Finding], code_scan, catalog) -> list[Finding]:
    """Schema findings completed with what a code scan shows: where the code uses each table of a table_lookalike
    pair (``auditlib.checks.duplicates.with_code_locations``)."""
    from auditlib.checks.duplicates import with_code_locations

    return with_code_locations(findings, code_scan, catalog)
