"""How often the audit is right: precision and recall of the checks on a corpus of fixture schemas with answer keys.

Each fixture is a folder ``tests/corpus/<name>/`` holding ``schema.sql`` (a schema written after the conventions of
a kind of real project) and ``answer.toml`` (the truth about it, decided from the schema's semantics):

```toml
description = "what conventions the fixture carries"
stub = "supabase"            # optional platform stub loaded first ("none" by default)
data = true                  # optional: the fixture holds rows and is audited with the data checks (value
                             # overlap, orphan_rows, check_violation_rows); schema checks only by default
scored_checks = ["fk_missing", "pk_missing"]   # checks whose every finding is judged against the key

[[references]]               # true references no foreign key declares: inferred-reference recall, and the
child = "public.posts.author"  # true findings of fk_missing (object = child, target = parent's table)
parent = "public.users.id"

[[findings]]                 # the complete list of true findings of the other scored checks
check = "pk_missing"
object = "public.audit_log"
severity = "medium"          # optional: the worst severity the finding deserves (a worse one is a severity error)

[[negatives]]                # traps worth naming (documentation: anything not in the key is a false positive)
check = "fk_missing"
object = "public.payouts.stripe_disbursement_id"
why = "an id in the payment provider"
```

For a scored check, a reported finding whose ``(check, object)`` is in the key is a true positive, any other is a
false positive, and a key entry nobody reported is a false negative. ``fk_missing`` is judged on the object and on
the referenced table (``evidence.references``), so a column matched to the wrong table is both a false positive and
a false negative; ``tenant_fk_missing`` findings (the same problem for the tenant column) are scored as
``fk_missing``. The inferred references are those findings (the public output of the relationships inference); their
recall is measured against ``[[references]]``. A finding reported at a worse severity than its key entry allows is
counted apart as a severity error (it still counts as a true positive).

The sort check: findings come worst first, so the rank of the first true critical/high finding (1 = top) is
reported per fixture, with the false positives ranked above it.

Run ``python -m auditlib.accuracy [--fixtures a,b] [--output reports/accuracy.json]`` (``make accuracy``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from auditlib.findings import SEVERITIES, severity_rank

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
REFERENCE_CHECKS = ("fk_missing", "tenant_fk_missing")
SEVERE = ("critical", "high")


class CorpusError(ValueError):
    """An answer key or fixture folder that cannot be read."""


@dataclass
class AnswerKey:
    """The truth about one fixture schema."""

    name: str
    description: str
    stub: str
    scored_checks: list[str]
    references: list[tuple[str, str]]           # (child schema.table.column, parent schema.table.column)
    findings: list[tuple[str, str]]             # (check, object), fk_missing excluded (it comes from references)
    negatives: list[dict[str, str]] = field(default_factory=list)
    severities: dict[tuple[str, str], str] = field(default_factory=dict)  # (check, object) -> worst allowed
    data: bool = False                          # audited with the data checks (the fixture holds rows)

    def expected(self) -> set[tuple[str, str]]:
        """Every true finding of the scored checks as (check, identity)."""
        truth = {(check, obj) for check, obj in self.findings if check in self.scored_checks}
        if "fk_missing" in self.scored_checks:
            truth |= {("fk_missing", reference_identity(child, parent)) for child, parent in self.references}
        return truth


def reference_identity(child: str, parent: str) -> str:
    """A reference as the scorer compares it: the child column and the referenced table (not its column)."""
    return f"{child}->{parent.rsplit('.', 1)[0]}"


NAMING_CONVENTIONS = ("table_id", "table_name", "camel_case", "user_role", "role", "positional")
USER_TABLES = ("users", "user", "auth_user", "profiles", "accounts")


def naming_convention(child: str, parent: str) -> str:
    """How a reference's column is named after its parent table, for recall per naming convention.

    ``table_id`` (``film_id`` -> film, ``category_id`` -> shop_category), ``table_name`` (``artist`` -> artist,
    ``customer`` -> customer, ``type`` -> artist_type), ``camel_case`` (``authorId``, ``"GenreId"``, ``"ReportsTo"``),
    ``positional`` (``entity0``/``entity1`` of a link table, Prisma's ``A``/``B``), ``user_role`` (a user named by
    role: ``author_id``, ``assignee_id``, ``closed_by_id`` -> users), ``role`` (anything else: ``ship_via`` ->
    shippers, ``source_pipeline_id`` -> ci_pipelines).
    """
    column = child.rsplit(".", 1)[1]
    table = parent.rsplit(".", 2)[1].lower()
    if re.fullmatch(r"entity\d|[A-Z]", column):
        return "positional"
    if column != column.lower():
        return "camel_case"
    stem = column[:-3] if column.endswith("_id") else column
    forms = {table, table[:-1] if table.endswith("s") else table, table[:-3] + "y" if table.endswith("ies") else table}
    named = stem in forms or any(form.endswith("_" + stem) for form in forms)
    if named:
        return "table_id" if column.endswith("_id") else "table_name"
    return "user_role" if table in USER_TABLES else "role"


def load_key(folder: Path) -> AnswerKey:
    """Read and validate ``answer.toml`` of a fixture folder (a ``CorpusError`` says what is wrong)."""
    path = folder / "answer.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"The fixture {folder.name} has no answer.toml; add one next to schema.sql.") from None
    except tomllib.TOMLDecodeError as error:
        raise CorpusError(f"{path} is not valid TOML ({error}); fix the syntax.") from None
    try:
        references = [(r["child"], r["parent"]) for r in data.get("references", [])]
        findings = [(f["check"], f["object"]) for f in data.get("findings", [])]
        scored = list(data["scored_checks"])
    except KeyError as error:
        raise CorpusError(f"{path} lacks the field {error}; see auditlib/accuracy.py for the format.") from None
    if any(check in REFERENCE_CHECKS for check, _ in findings):
        raise CorpusError(f"{path} lists a reference under [[findings]]; list it under [[references]].")
    severities = {(f["check"], f["object"]): f["severity"] for f in data.get("findings", []) if "severity" in f}
    unknown = sorted(set(severities.values()) - set(SEVERITIES))
    if unknown:
        raise CorpusError(f"{path} uses the unknown severity {', '.join(unknown)}; use one of {', '.join(SEVERITIES)}.")
    return AnswerKey(name=folder.name, description=data.get("description", ""), stub=data.get("stub", "none"),
                     scored_checks=scored, references=references, findings=findings,
                     negatives=list(data.get("negatives", [])), severities=severities,
                     data=bool(data.get("data", False)))


def key_tables(key: AnswerKey) -> set[str]:
    """Every table (schema.table) the key names: reference ends and the tables of table/column/policy objects."""
    tables = {column.rsplit(".", 1)[0] for pair in key.references for column in pair}
    for _, obj in key.findings + [(n["check"], n["object"]) for n in key.negatives]:
        for part in obj.split("~"):
            schema, _, rest = part.partition(".")
            tables.add(f"{schema}.{rest.split('.', 1)[0]}")
    return tables


def fixture_folders(root: Path = CORPUS, names: Iterable[str] | None = None) -> list[Path]:
    """The fixture folders of the corpus, by name order (only ``names`` when given; an unknown name is an error)."""
    folders = sorted(p for p in root.iterdir() if (p / "schema.sql").is_file())
    if names:
        wanted = list(names)
        unknown = sorted(set(wanted) - {p.name for p in folders})
        if unknown:
            raise CorpusError(f"Unknown fixture(s): {', '.join(unknown)}; the corpus has "
                              f"{', '.join(p.name for p in folders)}.")
        folders = [p for p in folders if p.name in wanted]
    return folders


# -- arithmetic -----------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """True positives, false positives and false negatives of one check, fixture or the whole corpus."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Tally) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp); None when nothing was reported."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn); None when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision, "recall": self.recall}


def compare(reported: set[tuple[str, str]], expected: set[tuple[str, str]],
            scored: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """Per scored check: the identities that are true positives, false positives and false negatives."""
    outcome = {}
    for check in scored:
        got = {obj for c, obj in reported if c == check}
        want = {obj for c, obj in expected if c == check}
        outcome[check] = {"tp": sorted(got & want), "fp": sorted(got - want), "fn": sorted(want - got)}
    return outcome


def tallies(outcome: dict[str, dict[str, list[str]]]) -> dict[str, Tally]:
    return {check: Tally(len(v["tp"]), len(v["fp"]), len(v["fn"])) for check, v in outcome.items()}


# -- running ----------------------------------------------------------------------------------------------------------
def scored_check(check: str) -> str:
    """The check a reported finding is scored under (tenant_fk_missing is fk_missing on the tenant column)."""
    return "fk_missing" if check in REFERENCE_CHECKS else check


def finding_identity(record: dict[str, Any]) -> str:
    """How a reported finding is compared with the key: its object, plus the referenced table for references."""
    if record["check"] in REFERENCE_CHECKS:
        target = (record.get("evidence") or {}).get("references")
        if target:
            return reference_identity(record["object"], target)
    return record["object"]


def load_fixture(srv, folder: Path, key: AnswerKey):
    """A fresh database on the embedded server holding the fixture (after its stub); returns its URL."""
    import psycopg

    url = srv.create_database(f"corpus_{folder.name}", replace=True)
    script = (folder / "schema.sql").read_text(encoding="utf-8")
    stub = ""
    if key.stub == "supabase":
        stub = (resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8")
    elif key.stub != "none":
        raise CorpusError(f"The fixture {folder.name} asks for the stub {key.stub!r}; use 'supabase' or 'none'.")
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if stub:
            conn.execute(stub)
        conn.execute(script)
    return url


def score_fixture(srv, folder: Path) -> dict[str, Any]:
    """Load one fixture, audit it (schema-level, with the data checks when its key says ``data = true``) and
    compare the findings with its answer key."""
    from auditlib.audit import run_audit
    from auditlib.findings import frame_records

    key = load_key(folder)
    url = load_fixture(srv, folder, key)
    result = run_audit(url, data=key.data)
    records = frame_records(result.findings)
    reported = {(scored_check(r["check"]), finding_identity(r)) for r in records}
    expected = key.expected()
    outcome = compare(reported, expected, key.scored_checks)
    inferred = {obj for check, obj in reported if check in REFERENCE_CHECKS}
    wanted = {reference_identity(c, p) for c, p in key.references}
    reference_tally = Tally(len(inferred & wanted), len(inferred - wanted), len(wanted - inferred))
    by_convention: dict[str, dict[str, int]] = {}
    for child, parent in key.references:
        entry = by_convention.setdefault(naming_convention(child, parent), {"tp": 0, "fn": 0})
        entry["tp" if reference_identity(child, parent) in inferred else "fn"] += 1
    rank, false_above = None, 0
    severity_errors = sorted(f"{r['check']}:{r['object']} is {r['severity']}, at most {key.severities[k]}"
                             for r in records if (k := (r["check"], r["object"])) in key.severities
                             and severity_rank(r["severity"]) < severity_rank(key.severities[k]))
    for position, record in enumerate(records, start=1):
        identity = (scored_check(record["check"]), finding_identity(record))
        if record["severity"] not in SEVERE:
            break
        if identity in expected:
            rank = position
            break
        if scored_check(record["check"]) in key.scored_checks:
            false_above += 1
    unscored: dict[str, int] = {}
    for r in records:
        if scored_check(r["check"]) not in key.scored_checks:
            unscored[r["check"]] = unscored.get(r["check"], 0) + 1
    srv.drop_database(f"corpus_{folder.name}")
    return {"fixture": folder.name, "description": key.description, "checks": outcome,
            "references": {**reference_tally.to_dict(), "missed": sorted(wanted - inferred),
                           "by_convention": by_convention},
            "first_true_severe_rank": rank, "false_severe_above": false_above, "severity_errors": severity_errors,
            "severe_expected": sum(1 for c, o in expected if _severity(c) in SEVERE),
            "unscored": dict(sorted(unscored.items())), "skipped": result.skipped}


def _severity(check: str) -> str:
    from auditlib.checks import load_checks

    spec = load_checks().get(check)
    return spec.severity if spec else "info"


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals per check, per fixture and over the corpus, from the per-fixture outcomes."""
    per_check: dict[str, Tally] = {}
    per_fixture: dict[str, Tally] = {}
    total, references = Tally(), Tally()
    conventions: dict[str, Tally] = {}
    for run in runs:
        fixture = per_fixture.setdefault(run["fixture"], Tally())
        for check, tally in tallies(run["checks"]).items():
            per_check.setdefault(check, Tally()).add(tally)
            fixture.add(tally)
            total.add(tally)
        ref = run["references"]
        references.add(Tally(ref["tp"], ref["fp"], ref["fn"]))
        for convention, counts in ref.get("by_convention", {}).items():
            conventions.setdefault(convention, Tally()).add(Tally(tp=counts["tp"], fn=counts["fn"]))
    return {"total": total.to_dict(), "references": references.to_dict(),
            "references_by_convention": {c: conventions[c].to_dict() for c in NAMING_CONVENTIONS if c in conventions},
            "per_check": {c: t.to_dict() for c, t in sorted(per_check.items())},
            "per_fixture": {f: t.to_dict() for f, t in per_fixture.items()}}


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def format_table(summary: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    """The plain-text tables ``make accuracy`` prints."""
    lines = [f"{'check':<26} {'TP':>4} {'FP':>4} {'FN':>4}  precision  recall"]
    for check, t in summary["per_check"].items():
        lines.append(f"{check:<26} {t['tp']:>4} {t['fp']:>4} {t['fn']:>4}   {_pct(t['precision'])}  "
                     f"{_pct(t['recall'])}")
    lines += ["", f"{'fixture':<26} {'TP':>4} {'FP':>4} {'FN':>4}  precision  recall  ref.recall  first severe"
                  "  sev.errors"]
    for run in runs:
        t = summary["per_fixture"][run["fixture"]]
        rank = run["first_true_severe_rank"]
        place = "-" if run["severe_expected"] == 0 else ("missed" if rank is None else f"#{rank}")
        lines.append(f"{run['fixture']:<26} {t['tp']:>4} {t['fp']:>4} {t['fn']:>4}   {_pct(t['precision'])}  "
                     f"{_pct(t['recall'])}   {_pct(run['references']['recall'])}    {place:<12}  "
                     f"{len(run['severity_errors'])}")
    lines += ["", f"{'references named by':<26} {'found':>5} {'missed':>6}  recall"]
    for convention, t in summary.get("references_by_convention", {}).items():
        lines.append(f"{convention:<26} {t['tp']:>5} {t['fn']:>6}  {_pct(t['recall'])}")
    total, refs = summary["total"], summary["references"]
    lines += ["", f"corpus: precision {_pct(total['precision'])}, recall {_pct(total['recall'])} "
                  f"(TP {total['tp']}, FP {total['fp']}, FN {total['fn']}); inferred-reference recall "
                  f"{_pct(refs['recall'])} ({refs['tp']} of {refs['tp'] + refs['fn']})"]
    return "\n".join(lines)


def run_corpus(names: Iterable[str] | None = None, root: Path = CORPUS, home: str | None = None) -> dict[str, Any]:
    """Score every fixture (or ``names``) on the embedded server; returns the runs and their summary."""
    from auditlib import embedded

    folders = fixture_folders(root, names)
    with embedded.owned_server(home) as srv:
        runs = [score_fixture(srv, folder) for folder in folders]
    return {"runs": runs, "summary": summarize_runs(runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auditlib.accuracy", description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", help="comma-separated fixture names (default: the whole corpus)")
    parser.add_argument("--output", default="reports/accuracy.json", help="where to write the JSON results")
    parser.add_argument("--corpus", default=str(CORPUS), help="the corpus folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.fixtures.split(",") if n.strip()] if args.fixtures else None
    try:
        document = run_corpus(names, Path(args.corpus))
    except CorpusError as error:
        print(error, file=sys.stderr)
        return 2
    print(format_table(document["summary"], document["runs"]))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
