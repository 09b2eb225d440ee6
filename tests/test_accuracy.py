"""The accuracy corpus: every fixture loads and its answer key is about its own tables; the scorer counts right.

The measured precision and recall are not asserted (they change as the checks improve): ``make accuracy`` prints them.
"""

import json

import pytest
import sqlalchemy as sa

from auditlib import accuracy
from auditlib.accuracy import AnswerKey, CorpusError, Tally, compare, load_key, reference_identity, summarize_runs
from auditlib.checks import load_checks

FIXTURES = accuracy.fixture_folders()
SMALL = ["chinook_like", "diesel_payouts", "supabase_single_org"]


def test_the_corpus_has_ten_fixtures_of_different_conventions():
    assert len(FIXTURES) >= 10
    descriptions = [load_key(folder).description for folder in FIXTURES]
    assert all(descriptions) and len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize("folder", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_loads_and_its_key_names_only_its_tables(embedded_server, folder):
    key = load_key(folder)
    assert set(key.scored_checks) <= set(load_checks()), "scored_checks names a check that does not exist"
    assert {c for c, _ in key.findings} <= set(key.scored_checks), "a true finding of a check that is not scored"
    url = accuracy.load_fixture(embedded_server, folder, key)
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            tables = {f"{schema}.{name}" for schema, name in conn.execute(sa.text(
                "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"))}
            columns = {f"{schema}.{table}.{column}" for schema, table, column in conn.execute(sa.text(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns"))}
        engine.dispose()
    finally:
        embedded_server.drop_database(f"corpus_{folder.name}")
    assert accuracy.key_tables(key) - tables == set()
    assert {column for pair in key.references for column in pair} - columns == set()


def test_tally_arithmetic():
    tally = Tally(tp=3, fp=1, fn=2)
    assert tally.precision == 0.75
    assert tally.recall == 0.6
    assert Tally().precision is None and Tally().recall is None
    tally.add(Tally(tp=1, fp=1, fn=0))
    assert (tally.tp, tally.fp, tally.fn) == (4, 2, 2)


def test_compare_and_summarize_on_a_synthetic_run():
    key = AnswerKey(name="toy", description="toy", stub="none", scored_checks=["fk_missing", "pk_missing"],
                    references=[("public.posts.author", "public.users.id"), ("public.posts.topic", "public.topics.id")],
                    findings=[("pk_missing", "public.log"), ("comment_missing", "public.log")])
    expected = key.expected()
    assert expected == {("fk_missing", "public.posts.author->public.users"),
                        ("fk_missing", "public.posts.topic->public.topics"), ("pk_missing", "public.log")}
    reported = {("fk_missing", "public.posts.author->public.users"),      # right
                ("fk_missing", "public.posts.topic->public.topic_tags"),  # right column, wrong table: FP and FN
                ("pk_missing", "public.log"), ("pk_missing", "public.other"),
                ("comment_missing", "public.anything")}                   # not scored: ignored
    outcome = compare(reported, expected, key.scored_checks)
    assert outcome["fk_missing"] == {"tp": ["public.posts.author->public.users"],
                                     "fp": ["public.posts.topic->public.topic_tags"],
                                     "fn": ["public.posts.topic->public.topics"]}
    assert outcome["pk_missing"] == {"tp": ["public.log"], "fp": ["public.other"], "fn": []}
    run = {"fixture": "toy", "checks": outcome, "references": {"tp": 1, "fp": 1, "fn": 1}}
    summary = summarize_runs([run, {**run, "fixture": "toy2"}])
    assert summary["total"] == {"tp": 4, "fp": 4, "fn": 2, "precision": 0.5, "recall": 4 / 6}
    assert summary["per_check"]["pk_missing"]["precision"] == 0.5
    assert summary["per_fixture"]["toy"]["recall"] == 2 / 3
    assert summary["references"]["recall"] == 0.5
    assert reference_identity("public.a.b_id", "public.b.id") == "public.a.b_id->public.b"


def test_a_key_that_lists_a_reference_as_a_finding_is_refused(tmp_path):
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);")
    (tmp_path / "answer.toml").write_text('scored_checks = ["fk_missing"]\n[[findings]]\ncheck = "fk_missing"\n'
                                          'object = "public.t.x"\n')
    with pytest.raises(CorpusError, match=r"\[\[references\]\]"):
        load_key(tmp_path)


def test_unknown_fixture_names_are_an_error():
    with pytest.raises(CorpusError, match="Unknown fixture"):
        accuracy.fixture_folders(names=["no_such_fixture"])
    assert accuracy.main(["--fixtures", "no_such_fixture", "--output", "/dev/null"]) == 2


def test_scoring_small_fixtures(embedded_server, tmp_path):
    runs = [accuracy.score_fixture(embedded_server, accuracy.CORPUS / name) for name in SMALL]
    for run in runs:
        key = load_key(accuracy.CORPUS / run["fixture"])
        found = sum(len(v["tp"]) + len(v["fn"]) for v in run["checks"].values())
        assert found == len(key.expected())  # every true finding is either found or missed
        assert run["skipped"] == []
    summary = summarize_runs(runs)
    for value in (summary["total"]["precision"], summary["total"]["recall"], summary["references"]["recall"]):
        assert 0 <= value <= 1
    table = accuracy.format_table(summary, runs)
    assert all(name in table for name in SMALL) and "corpus: precision" in table
    json.dumps({"runs": runs, "summary": summary})


@pytest.mark.parametrize(("child", "parent", "convention"), [
    ("public.film.language_id", "public.language.language_id", "table_id"),
    ("public.shop_product.category_id", "public.shop_category.id", "table_id"),
    ("public.orders.customer", "public.customer.id", "table_name"),
    ("public.artist.type", "public.artist_type.id", "table_name"),
    ("public.Post.authorId", "public.User.id", "camel_case"),
    ("public.issues.author_id", "public.users.id", "user_role"),
    ("public.orders.ship_via", "public.shippers.shipper_id", "role"),
    ("public.l_artist_recording.entity1", "public.recording.id", "positional"),
    ("public._CategoryToPost.A", "public.Category.id", "positional"),
])
def test_naming_convention_of_a_reference(child, parent, convention):
    assert accuracy.naming_convention(child, parent) == convention
