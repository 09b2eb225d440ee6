"""docs/checks.md, generated from the check registry (the docstrings are the documentation)."""

from __future__ import annotations

from auditlib.checks import PEER_TOOLS, CheckSpec, load_checks
from auditlib.findings import CATEGORIES

# Supabase's advisor lints (supabase/splinter, lints/NNNN_name.sql): the security lints and the policy
# performance lint auditlib answers. Only the names live here; which check answers which lint is each check's own
# ``peers`` metadata.
SPLINTER_LINTS = {
    "0002": "auth_users_exposed",
    "0003": "auth_rls_initplan",
    "0007": "policy_exists_rls_disabled",
    "0008": "rls_enabled_no_policy",
    "0010": "security_definer_view",
    "0011": "function_search_path_mutable",
    "0013": "rls_disabled_in_public",
    "0015": "rls_references_user_metadata",
    "0016": "materialized_view_in_api",
    "0017": "foreign_table_in_api",
    "0023": "sensitive_columns_exposed",
    "0024": "rls_policy_always_true",
    "0025": "public_bucket_allows_listing",
    "0026": "pg_graphql_anon_table_exposed",
    "0027": "pg_graphql_authenticated_table_exposed",
    "0028": "anon_security_definer_function_executable",
    "0029": "authenticated_security_definer_function_executable",
}
# The security lints every one of which must have a counterpart check (tests/test_check_metadata.py).
SPLINTER_SECURITY_LINTS = tuple(lint for lint in SPLINTER_LINTS if lint != "0003")


def peer_ids(spec: CheckSpec, tool: str) -> list[str]:
    """The ids of ``tool``'s rules a check corresponds to (``peers`` metadata), in declaration order."""
    return [peer.partition(":")[2] for peer in spec.peers if peer.partition(":")[0] == tool]


def splinter_counterparts() -> dict[str, list[str]]:
    """Splinter lint id -> the checks that declare it as a peer (sorted), for every lint in SPLINTER_LINTS."""
    registry = load_checks()
    return {lint: sorted(name for name, spec in registry.items() if lint in peer_ids(spec, "splinter"))
            for lint in SPLINTER_LINTS}


def peers_markdown() -> list[str]:
    """The table of Supabase splinter lints with the auditlib checks (and their pgrls rules) that answer them."""
    registry = load_checks()
    lines = ["## Peer rules", "",
             "Each check names the rules of other tools it corresponds to (`peers` in its registration): Supabase's "
             "advisor lints (splinter) and pgrls's rules. Splinter's lints and the checks that answer them:", "",
             "| splinter lint | auditlib checks | pgrls rules of those checks |", "|---|---|---|"]
    for lint, checks in splinter_counterparts().items():
        pgrls = sorted({rule for name in checks for rule in peer_ids(registry[name], "pgrls")})
        lines.append(f"| {lint} `{SPLINTER_LINTS[lint]}` | {', '.join(f'[`{c}`](#{c})' for c in checks) or 'none'} "
                     f"| {', '.join(pgrls) or '-'} |")
    others = sorted((name, spec) for name, spec in registry.items()
                    if spec.peers and not peer_ids(spec, "splinter"))
    if others:
        lines += ["", "Checks with peers in pgrls only:", "", "| check | pgrls rules |", "|---|---|"]
        lines += [f"| [`{name}`](#{name}) | {', '.join(peer_ids(spec, 'pgrls'))} |" for name, spec in others]
    return lines


def checks_markdown() -> str:
    """The check catalogue as Markdown: one section per check, grouped by category, then the peer-rule table."""
    registry = load_checks()
    lines = ["# Checks", "",
             "Generated from the check registry by `auditlib docs`; do not edit by hand. Each check's name is its "
             "stable public id (JSON, SARIF, baselines, history). Severities are defaults; override them in "
             "`auditlib.toml` under `[severity]`.", ""]
    lines += ["| check | category | severity | kind | summary |", "|---|---|---|---|---|"]
    ordered = sorted(registry.values(), key=lambda s: (CATEGORIES.index(s.category), s.name))
    lines += [f"| [`{s.name}`](#{s.name}) | {s.category} | {s.severity} | {s.kind} | {s.summary} |" for s in ordered]
    for spec in ordered:
        peers = [f"{tool} {', '.join(peer_ids(spec, tool))}" for tool in PEER_TOOLS if peer_ids(spec, tool)]
        lines += ["", f"## `{spec.name}`", "",
                  f"*{spec.category} · default severity {spec.severity} · {spec.kind} check*", "",
                  spec.summary, "",
                  *([spec.details, ""] if spec.details else []),
                  f"**Why it matters:** {spec.section('Why it matters:')}", "",
                  f"**How to fix:** {spec.section('How to fix:')}",
                  *(["", f"**Peer rules:** {'; '.join(peers)}"] if peers else [])]
    lines += ["", *peers_markdown()]
    return "\n".join(lines) + "\n"


def check_documentation_frame():
    """The catalogue as a DataFrame (check, category, severity, summary, why, how) for the report's appendix."""
    import pandas as pd

    registry = load_checks()
    return pd.DataFrame([{"check": s.name, "category": s.category, "severity": s.severity, "summary": s.summary,
                          "why it matters": s.section("Why it matters:"), "how to fix": s.section("How to fix:")}
                         for s in sorted(registry.values(), key=lambda s: (CATEGORIES.index(s.category), s.name))])
