"""``make bench`` on small sizes: every figure is produced, measured side by side, and written to the JSON file.

The figures themselves are speed measurements and are not asserted here (that is what ``make bench`` is for); this
checks that the script runs end to end on the embedded server and that what it reports is consistent.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from auditlib import bench, embedded
from auditlib.catalog import FRAMES
from tests.conftest import TEST_HOME


def test_generated_schema_has_the_announced_shape(embedded_server):
    url = embedded_server.create_database("bench_shape", replace=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(bench.generated_schema_sql(40))
    with engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar()
        fks = conn.exec_driver_sql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'").scalar()
        policies = conn.exec_driver_sql("SELECT count(*) FROM pg_policies").scalar()
    engine.dispose()
    embedded_server.drop_database("bench_shape")
    assert tables == 40 and policies == 39
    assert fks == 39 + (1 + 2 * 37)  # every table but organizations: its tenant FK, and two parents from the third on


def test_bench_writes_every_figure(embedded_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITLIB_HOME", str(TEST_HOME))  # the test server: reused, left running
    output = tmp_path / "bench.json"
    assert bench.main(["--sizes", "30", "--scale", "0", "--figures", "demo,catalog,startup", "--repeat", "1",
                       "--output", str(output)]) == 0
    figures = json.loads(output.read_text())
    # one sample each (--repeat 1): their order is noise on a busy machine, so only that each was measured
    assert all(figures[key] > 0 for key in ("python_startup_s", "startup_version_s", "startup_audit_help_s",
                                            "import_audit_s"))
    assert figures["catalog_queries_30"] == len(FRAMES) + 2  # one query per frame, the server facts, the search path
    assert figures["catalog_30_s"] > 0 and figures["reflect_30_s"] > 0
    ratio = figures["reflect_30_s"] / figures["catalog_30_s"]  # both rounded to the millisecond in the file
    assert figures["catalog_vs_reflect_ratio_30"] == pytest.approx(ratio, rel=0.1)
    assert figures["findings_30"] > 30 and figures["demo_tables"] > 90
    assert embedded_server.is_running()

    data = bench.bench_data(embedded.server(TEST_HOME), scale=3_000, small=1_000)
    assert data["orphan_vs_count_ratio_3000"] > 0 and data["json_vs_count_ratio_3000"] > 0
    assert data["json_skipped_3000"] == 0 and data["data_checks_skipped_3000"] == 0
    assert data["data_checks_vs_count_ratio_3000"] > 0 and data["report_3000_s"] > 0  # the report ran to the end
    assert data["peak_mem_ratio_1e3_vs_1e3"] == pytest.approx(data["peak_mem_mb_3000"] / data["peak_mem_mb_1000"],
                                                              rel=0.01)


def test_supabase_like_schema_has_the_announced_shape(embedded_server):
    import psycopg

    url = embedded_server.create_database("bench_supabase_shape", replace=True)
    with psycopg.connect(bench._libpq_url(url), autocommit=True) as conn:
        conn.execute(bench.supabase_like_sql(tables=20, policies=50))
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        policies = conn.execute("SELECT count(*) FROM pg_policies").fetchone()[0]
        unprotected = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                   "AND NOT rowsecurity").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM public.crm_items").fetchone()[0]
    embedded_server.drop_database("bench_supabase_shape")
    assert (tables, policies, unprotected) == (20, 50, 0)
    assert rows == 40  # two rows per organisation
    with pytest.raises(ValueError, match="do not fit"):
        bench.supabase_like_sql(tables=20, policies=500)


def test_every_figure_is_a_registered_function_and_figures_can_be_picked_by_name(tmp_path):
    names = [bench.figure_name(f) for f in bench.FIGURES]
    assert len(names) == len(set(names)) and {"vs_pgrls", "security_corpus", "startup"} <= set(names)
    with pytest.raises(SystemExit):
        bench.main(["--figures", "no_such_figure", "--output", str(tmp_path / "b.json")])


@pytest.mark.slow
def test_auditlib_and_pgrls_are_timed_side_by_side_on_the_same_databases(embedded_server):
    run = bench.BenchRun(srv=embedded_server, repeat=1)
    if run.peer("pgrls") is None:
        pytest.skip("pgrls is not installed (make bench installs it into .venv/peers)")
    figures = bench.figure_vs_pgrls(run)
    for db in ("generated", "demo"):
        assert figures[f"schema_audit_vs_pgrls_{db}"] == pytest.approx(
            figures[f"schema_audit_{db}_s"] / figures[f"pgrls_{db}_s"], abs=0.01)
        assert figures[f"full_audit_{db}_s"] > 0


def test_figures_table_says_which_targets_are_met():
    table = bench.figures_table({"audit_1000_s": 12.5, "catalog_vs_reflect_ratio_1000": 4.5, "findings_1000": 7})
    lines = dict(line.split(None, 1) for line in table.splitlines())
    assert lines["audit_1000_s"].endswith("target at most 10: MISSED")
    assert lines["catalog_vs_reflect_ratio_1000"].endswith("target at least 4: met")
    assert lines["findings_1000"].strip() == "7"
    beside = bench.figures_table({"schema_audit_demo_s": 2.0, "pgrls_demo_s": 2.5, "schema_audit_vs_pgrls_demo": 0.8})
    assert "schema_audit_vs_pgrls_demo         0.8  (auditlib 2.0 s, pgrls 2.5 s)  target at most 1: met" in beside


def test_the_checks_leave_the_shared_policy_trees_as_parsed(demo_url):
    """Policy expressions are parsed once and the tree is shared by every check (the schema audit's speed beside
    pgrls depends on it): a check that rewrote a shared tree in place would change what the checks after it read,
    and the fix SQL of a second run."""
    from auditlib.audit import audit_catalog
    from auditlib.catalog import load_catalog
    from auditlib.findings import frame_records
    from auditlib.sqlparse import deparse, parse_expression

    catalog = load_catalog(demo_url)
    texts = sorted({t for column in ("using_expression", "with_check") for t in catalog.policies[column] if t})
    first = frame_records(audit_catalog(catalog).findings)
    assert {"rls_null_bypass", "policy_uid_per_row"} <= {r["check"] for r in first}  # the checks that rewrite trees
    for text in texts:
        assert deparse(parse_expression(text)) == deparse(parse_expression(text, shared=False)), text
    assert parse_expression(texts[0]) is parse_expression(texts[0])
    assert frame_records(audit_catalog(catalog).findings) == first


def test_bench_times_auditlib_from_bytecode_as_an_installed_wheel_would():
    """The timed processes load auditlib as a user's install does, from bytecode, even where no run may write it
    (PYTHONDONTWRITEBYTECODE): else every process pays for compiling the package and pgrls, installed from a wheel,
    does not."""
    import importlib.util
    from pathlib import Path

    import auditlib

    module = Path(auditlib.__file__).parent / "model" / "analysis.py"
    cached = Path(importlib.util.cache_from_source(str(module)))
    cached.unlink(missing_ok=True)
    bench.compile_bytecode()
    assert cached.is_file()
