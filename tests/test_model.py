"""The derived model: one Reference type, and one Analysis per audit that checks, diagrams and the report share."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import auditlib.model.analysis as analysis_module
from auditlib.audit import run_audit, run_checks
from auditlib.catalog import load_catalog
from auditlib.checks import REGISTRY, CheckSpec, check
from auditlib.config import AuditConfig
from auditlib.model import Analysis, Reference
from auditlib.report import Report
from tests.conftest import write_files

TINY = """
    CREATE TABLE projects (id uuid PRIMARY KEY, name text);
    CREATE TABLE tasks (id uuid PRIMARY KEY, project_id uuid REFERENCES projects ON DELETE CASCADE, title text);
    CREATE TABLE invoices (id int PRIMARY KEY, project_id uuid, client_id uuid);
    CREATE TABLE clients (id uuid PRIMARY KEY);
    ALTER TABLE invoices ADD CONSTRAINT invoices_client_fkey FOREIGN KEY (client_id) REFERENCES clients NOT VALID;
"""


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """Counts of Analysis constructions and of runs of the reference inference."""
    counts = {"analyses": 0, "inferences": 0}
    original_init, original_infer = Analysis.__init__, analysis_module.inferred_reference_rows

    def init(self, *args, **kwargs):
        counts["analyses"] += 1
        original_init(self, *args, **kwargs)

    def infer(*args, **kwargs):
        counts["inferences"] += 1
        return original_infer(*args, **kwargs)

    monkeypatch.setattr(Analysis, "__init__", init)
    monkeypatch.setattr(analysis_module, "inferred_reference_rows", infer)
    return counts


# -- built once ---------------------------------------------------------------------------------------------------
def test_one_analysis_serves_the_schema_and_data_checks_of_an_audit_and_its_report(demo_url, counted):
    result = run_audit(demo_url, AuditConfig().with_overrides({"data": {"workers": 4}}))
    assert {"fk_missing", "tenant_column_missing", "orphan_rows", "json_reference"} <= set(result.findings["check"])
    assert counted == {"analyses": 1, "inferences": 1}
    sections = Report(result).sections()  # ER diagrams, ON DELETE rules, tenancy scope, comment coverage …
    assert sum(not section.empty for section in sections) >= 10
    assert counted == {"analyses": 1, "inferences": 1}


def test_a_migration_audit_builds_one_analysis(tmp_path, embedded_server, counted):
    folder = write_files(tmp_path / "migrations", {"001.sql": TINY})
    result = run_audit(migrations=folder)
    assert "fk_missing" in set(result.findings["check"])
    assert counted == {"analyses": 1, "inferences": 1}


# -- the Reference type -------------------------------------------------------------------------------------------
def test_declared_not_valid_and_inferred_references_carry_their_kind_rule_and_on_delete(make_db):
    analysis = Analysis(load_catalog(make_db(TINY)), AuditConfig())
    by_column = {(r.table, r.columns): r for r in analysis.references}
    declared = by_column[("tasks", ("project_id",))]
    assert (declared.kind, declared.rule, declared.confidence, declared.on_delete) == \
        ("declared", "foreign key", "certain", "CASCADE")
    assert declared.declared and declared.enforced and declared.constraint == "tasks_project_id_fkey"
    not_valid = by_column[("invoices", ("client_id",))]
    assert not_valid.kind == "not_valid" and not_valid.declared and not not_valid.enforced
    assert not_valid.provenance == "NOT VALID foreign key invoices_client_fkey"
    inferred = by_column[("invoices", ("project_id",))]
    assert (inferred.kind, inferred.rule, inferred.confidence, inferred.on_delete, inferred.constraint) == \
        ("inferred", "name", "high", None, None)
    assert inferred.target == ("public", "projects") and inferred.ref_columns == ("id",)
    assert not inferred.declared and inferred.provenance == "inferred (name)"
    assert inferred.describe() == "public.invoices.project_id -> public.projects.id (inferred: name)"
    assert declared.label() == "public.tasks(project_id) → public.projects(id): ON DELETE CASCADE"
    assert analysis.unenforced == [not_valid, inferred]  # what orphan_rows counts
    assert analysis.inferred == [inferred] and analysis.column_of(inferred)["data_type"] == "uuid"


def test_a_name_that_fits_two_tables_is_one_ambiguous_low_finding_and_no_reference(make_db):
    url = make_db("""
        CREATE TABLE kit_items (id uuid PRIMARY KEY);
        CREATE TABLE rate_card_items (id uuid PRIMARY KEY);
        CREATE TABLE quote_lines (id uuid PRIMARY KEY, item_id uuid);
    """)
    catalog = load_catalog(url)
    analysis = Analysis(catalog, AuditConfig())
    assert analysis.inferred == [] and analysis.references == []  # nothing builds on a guess
    (ambiguous,) = analysis.ambiguous
    assert (ambiguous.column, ambiguous.rule, ambiguous.confidence) == ("item_id", "suffix", "low")
    assert ambiguous.candidates == ("public.kit_items", "public.rate_card_items")
    (finding,) = run_checks(catalog, AuditConfig(), only=["fk_missing"])
    assert finding.severity == "low" and "ambiguous" in finding.title
    assert finding.evidence["candidates"] == ["public.kit_items", "public.rate_card_items"]
    assert "references" not in finding.evidence


def test_type_and_id_pairs_and_columns_commented_polymorphic_are_polymorphic_references(make_db):
    url = make_db("""
        CREATE TABLE users (id bigint PRIMARY KEY);
        CREATE TABLE notes (id bigint PRIMARY KEY, noteable_type text, noteable_id bigint, source_id bigint,
                            user_id bigint);
        COMMENT ON COLUMN notes.source_id IS 'Polymorphic: the row of the model named by the action';
    """)
    analysis = Analysis(load_catalog(url), AuditConfig())
    assert [(r.column, r.kind, r.rule) for r in analysis.polymorphic] == [
        ("noteable_id", "polymorphic", "type column noteable_type"), ("source_id", "polymorphic", "comment")]
    assert [r.column for r in analysis.inferred] == ["user_id"]


def test_a_reference_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown reference kind"):
        Reference("public", "a", ("b_id",), "public", "b", ("id",), kind="guessed")


def test_the_parts_of_an_analysis_are_built_once_and_shared(make_db, counted):
    analysis = Analysis(load_catalog(make_db(TINY)), AuditConfig())
    assert analysis.tenancy is analysis.tenancy and analysis.cascade is analysis.cascade
    assert analysis.references is analysis.references and analysis.comments is analysis.comments
    assert counted["inferences"] == 1
    assert ("public", "projects") in analysis.cascade.children


# -- declared inputs ----------------------------------------------------------------------------------------------
def test_a_check_gets_exactly_the_inputs_it_declares(make_db, monkeypatch):
    seen: dict[str, object] = {}

    def needy(catalog, config, analysis, audited):
        seen.update(analysis=analysis, audited=audited)
        return []

    def plain(catalog, config):
        return []

    monkeypatch.setitem(REGISTRY, "zz_needy", CheckSpec("zz_needy", "structure", "low", "schema", needy,
                                                        needs=("analysis", "audited")))
    monkeypatch.setitem(REGISTRY, "zz_plain", CheckSpec("zz_plain", "structure", "low", "schema", plain))
    catalog = load_catalog(make_db(TINY))
    shared = Analysis(catalog, AuditConfig())
    skipped: list[dict] = []
    run_checks(catalog, AuditConfig(), only=["zz_needy", "zz_plain"], skipped=skipped, analysis=shared)
    assert not skipped and seen == {"analysis": shared, "audited": {"public"}}


def test_an_unknown_input_is_refused_at_registration():
    with pytest.raises(ValueError, match="unknown input"):
        check(name="zz_bad", category="structure", severity="low", needs=("catalogue",))


# -- nothing outside the checks imports a check module --------------------------------------------------------------
def test_no_module_outside_the_checks_imports_a_check_module():
    package = Path(__file__).resolve().parents[1] / "auditlib"
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.parts[0] == "checks":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"(from|import)\s+auditlib\.checks\.\w+", line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders
