"""The ProductionOS demo database: the Supabase SaaS of the seed audit, as it stood when it was audited.

``load_demo(url)`` builds it in an empty database: the Supabase platform stub (``auditlib/stubs/supabase.sql``),
the schema files of ``auditlib/demo/sql`` in name order, then the rows of ``generate.build_plan(seed)``; with
``scale`` > 0 it then grows quotes, invoices and crew_bookings to ``scale`` rows each on the server.
``planted_counts()`` gives the numbers the demo plants, from the same plan; ``planted.PLANTED_FLAWS`` lists the
schema flaws, check by check.
"""

from __future__ import annotations

import hashlib
import inspect
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from auditlib.demo import generate

if TYPE_CHECKING:
    import sqlalchemy as sa

DEFAULT_SEED = 20241231

__all__ = ["DEFAULT_SEED", "demo_fingerprint", "load_demo", "planted_counts", "schema_files", "stub_sql"]


def stub_sql() -> str:
    """The Supabase platform stub (roles, auth, storage, extensions); idempotent."""
    return (resources.files("auditlib") / "stubs" / "supabase.sql").read_text(encoding="utf-8")


def schema_files() -> list[tuple[str, str]]:
    """The demo's schema files as (name, SQL text), in the order they are applied."""
    folder = resources.files("auditlib") / "demo" / "sql"
    files = sorted((item for item in folder.iterdir() if item.name.endswith(".sql")), key=lambda item: item.name)
    return [(item.name, item.read_text(encoding="utf-8")) for item in files]


def demo_fingerprint(scale: int = 0) -> str:
    """A short digest of everything the demo is built from (stub, schema files, generator, loader, scale)."""
    digest = hashlib.sha256()
    digest.update(stub_sql().encode())
    for name, text in schema_files():
        digest.update(name.encode())
        digest.update(text.encode())
    digest.update(inspect.getsource(generate).encode())
    digest.update(inspect.getsource(load_demo).encode())
    digest.update(f"scale={int(scale)}".encode())
    return digest.hexdigest()[:16]


def load_demo(url: sa.URL | str, scale: int = 0, seed: int = DEFAULT_SEED) -> None:
    """Build the ProductionOS demo in the EMPTY database at ``url``.

    The stub, the schema files and the small demo's rows go in one transaction: the scripts run through the
    driver as they are (they hold no parameter placeholders) and the rows arrive by COPY. With ``scale`` > 0,
    quotes, invoices and crew_bookings are then grown to ``scale`` rows each by ``INSERT ... SELECT`` on the
    server, in parallel transactions (see ``generate.bulk_fill``).
    """
    import sqlalchemy as sa  # here, not at the top: checking that the demo is current must not import it

    plan = _plan(seed)
    engine = sa.create_engine(url, pool_size=3)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(stub_sql())
            for name, text in schema_files():
                try:
                    conn.exec_driver_sql(text)
                except sa.exc.DBAPIError as error:
                    raise RuntimeError(f"demo schema file {name} failed: {error.orig}") from error
            generate.load_plan(conn.connection.driver_connection, plan)
        if scale and scale > 0:
            base = {table: len(plan.rows[table]) for table in generate.BULK_TABLES}
            generate.bulk_fill(engine, int(scale), seed, base)
    finally:
        engine.dispose()


def planted_counts(scale: int = 0, seed: int = DEFAULT_SEED) -> dict:
    """The numbers the demo plants, counted from the generator's plan (not from a database).

    Keys: ``orphan_rows`` (column -> rows whose id matches no parent), ``tenant_null_rows`` (table -> rows with
    organization_id NULL), ``json_orphans`` / ``json_orphan_rows`` / ``json_orphan_values`` ("table.column:key" ->
    dangling ids inside JSON: occurrences, rows, distinct values), ``json_refs`` (all non-null ids at that path),
    ``rls_leak`` (table -> user e-mail -> rows of another organisation (``foreign``) and rows without one
    (``null_tenant``) that the user sees as role authenticated), ``untenanted_visible`` (tables without
    organization_id -> user -> rows visible), ``row_counts``, ``users`` and ``organizations``.
    """
    return _plan(seed).counts(int(scale))


@lru_cache(maxsize=4)
def _plan(seed: int) -> generate.Plan:
    return generate.build_plan(seed)


def migrations_folder() -> Path:
    """The demo's migration history (34 files), for ``auditlib audit --migrations``."""
    return Path(str(resources.files("auditlib") / "demo" / "migrations"))


def app_folder() -> Path:
    """The demo's application source (JavaScript stores), for ``auditlib audit --code``."""
    return Path(str(resources.files("auditlib") / "demo" / "app"))
