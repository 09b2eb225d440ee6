"""The catalog read through psycopg alone (a DSN) is the catalog read through SQLAlchemy (a URL or engine), and a
DSN read without SQLAlchemy names the same database, masked the same way."""

from __future__ import annotations

import socket

import psycopg
import pytest
import sqlalchemy as sa

from auditlib.catalog import load_catalog
from auditlib.connect import SourceError, address, describe_source, mask_dsn, read_only_engine, to_url
from auditlib.sources import resolve_source

SCHEMA = """
CREATE TABLE parents (id int PRIMARY KEY, label text);
CREATE TABLE children (
    id int PRIMARY KEY, parent_id int, amount int, note text,
    CONSTRAINT children_parent_fkey FOREIGN KEY (parent_id) REFERENCES parents (id) NOT ENFORCED,
    CONSTRAINT amount_positive CHECK (amount > 0) NOT ENFORCED,
    CONSTRAINT note_literal CHECK (note <> 'x NOT ENFORCED'),
    CONSTRAINT note_short CHECK (length(note) < 100) NOT VALID);
CREATE INDEX ON children (parent_id) WHERE amount > 0;
COMMENT ON COLUMN children.note IS 'free text';
"""


def dsn_of(url: sa.URL) -> str:
    """The URL as the string a user passes (--dsn): what the psycopg reader opens."""
    return url.render_as_string(hide_password=False)


def test_psycopg_and_sqlalchemy_read_the_same_catalog(make_db):
    url = make_db(SCHEMA)
    through_psycopg = load_catalog(dsn_of(url))
    through_sqlalchemy = load_catalog(url)
    assert through_psycopg.equals(through_sqlalchemy)
    assert load_catalog(dsn_of(url), schemas=["public"]).equals(load_catalog(url, schemas=["public"]))
    enforced = dict(zip(through_psycopg.constraints["name"], through_psycopg.constraints["enforced"], strict=True))
    assert enforced == {"children_parent_fkey": False, "amount_positive": False, "note_literal": True,
                        "note_short": True, "children_pkey": True, "parents_pkey": True}


def test_a_locked_tables_constraints_still_say_whether_they_are_enforced(make_db):
    # a locked relation's definitions are not deparsed, so NOT ENFORCED is read from pg_constraint itself
    url = make_db(SCHEMA)
    with psycopg.connect(dsn_of(url).replace("+psycopg", "")) as locker:
        locker.execute("LOCK TABLE children IN ACCESS EXCLUSIVE MODE")
        catalog = load_catalog(dsn_of(url))
    constraints = catalog.constraints[catalog.constraints["table"] == "children"]
    assert constraints["definition"].isna().all()
    assert dict(zip(constraints["name"], constraints["enforced"], strict=True)) == {
        "children_parent_fkey": False, "amount_positive": False, "note_literal": True, "note_short": True,
        "children_pkey": True}


DSNS = [
    "postgresql://app:S3cret@db.example.com:6543/prod?sslmode=require&application_name=x",
    "postgresql+psycopg://app@db.example.com/prod",
    "postgres://app:p%40ss%2Fword@[::1]:5432/my%20db",
    "postgresql://postgres@/bench?host=%2Fvar%2Frun%2Fpg&port=5432",
    "postgresql://h/db",
    "postgresql://",
    "host=db.example.com port=6543 dbname=prod user=app password=S3cret sslmode=require",
    "host=/var/run/pg dbname=prod",
    "host=h1,h2 port=5432,5433 dbname=prod user=app",
    "dbname='my db' user=app",
    "",
]


@pytest.mark.parametrize("dsn", DSNS)
def test_a_dsn_read_without_sqlalchemy_names_the_same_database(dsn, monkeypatch):
    for variable in ("PGHOST", "PGDATABASE", "PGUSER", "AUDITLIB_DSN", "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    plain = address(dsn)
    assert plain is not None
    assert describe_source(plain) == describe_source(to_url(dsn))
    assert plain.render() == mask_dsn(to_url(dsn))
    assert "S3cret" not in repr(plain) and "S3cret" not in plain.render()
    assert resolve_source(dsn or None).facts() == describe_source(to_url(dsn))


@pytest.mark.parametrize("dsn", [
    "postgresql://x@/db?host=127.0.0.1:5432&host=127.0.0.1:5433",  # SQLAlchemy's multi-host URL
    "postgresql://h/db?application_name=a+b",  # a + that SQLAlchemy reads as a space and libpq does not
    "mysql://u:p@localhost/db",
    "postgresql://h1:5432,h2:5433/db",  # libpq's multi-host URL, which SQLAlchemy refuses (its port is no number)
    "host='unterminated",
])
def test_a_dsn_only_sqlalchemy_reads_as_meant_is_left_to_it(dsn):
    assert address(dsn) is None


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def test_a_connection_failure_reads_the_same_through_psycopg():
    dsn = f"postgresql://someone:S3cret@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(SourceError) as through_psycopg:
        load_catalog(dsn)
    engine = read_only_engine(dsn)
    try:
        with pytest.raises(SourceError) as through_sqlalchemy:
            load_catalog(engine)
    finally:
        engine.dispose()
    assert str(through_psycopg.value) == str(through_sqlalchemy.value)
    assert str(through_psycopg.value).startswith("Could not reach a PostgreSQL server at postgresql://someone:***@")


def test_the_snapshot_holds_each_cell_as_plain_python(make_db):
    # to_dict converts a column at a time; what it writes is what the cell-by-cell conversion wrote
    from auditlib.catalog import _plain

    url = make_db(SCHEMA + "CREATE TABLE never_analysed (id int); CREATE VIEW v AS SELECT * FROM children;")
    catalog = load_catalog(dsn_of(url))
    assert catalog.relations["row_estimate"].isna().any()  # a nullable Int64 column with missing values
    stored = catalog.to_dict()["frames"]
    for name, frame in catalog.frames.items():
        assert stored[name]["rows"] == [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        assert all(type(v) in (str, int, bool, list, type(None)) for row in stored[name]["rows"] for v in row), name
