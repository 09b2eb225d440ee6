"""docs/checks.md, generated from the check registry (the docstrings are the documentation)."""

from __future__ import annotations

from auditlib.checks import load_checks
from auditlib.findings import CATEGORIES


def checks_markdown() -> str:
    """The check catalogue as Markdown: one section per check, grouped by category."""
    registry = load_checks()
    lines = ["# Checks", "",
             "Generated from the check registry by `auditlib docs`; do not edit by hand. Each check's name is its "
             "stable public id (JSON, SARIF, baselines, history). Severities are defaults; override them in "
             "`auditlib.toml` under `[severity]`.", ""]
    lines += ["| check | category | severity | kind | summary |", "|---|---|---|---|---|"]
    ordered = sorted(registry.values(), key=lambda s: (CATEGORIES.index(s.category), s.name))
    lines += [f"| [`{s.name}`](#{s.name}) | {s.category} | {s.severity} | {s.kind} | {s.summary} |" for s in ordered]
    for spec in ordered:
        lines += ["", f"## `{spec.name}`", "",
                  f"*{spec.category} · default severity {spec.severity} · {spec.kind} check*", "",
                  spec.summary, "",
                  *([spec.details, ""] if spec.details else []),
                  f"**Why it matters:** {spec.section('Why it matters:')}", "",
                  f"**How to fix:** {spec.section('How to fix:')}"]
    return "\n".join(lines) + "\n"


def check_documentation_frame():
    """The catalogue as a DataFrame (check, category, severity, summary, why, how) for the report's appendix."""
    import pandas as pd

    registry = load_checks()
    return pd.DataFrame([{"check": s.name, "category": s.category, "severity": s.severity, "summary": s.summary,
                          "why it matters": s.section("Why it matters:"), "how to fix": s.section("How to fix:")}
                         for s in sorted(registry.values(), key=lambda s: (CATEGORIES.index(s.category), s.name))])
