"""JSON documents in the schema: the json and jsonb columns whose contents the JSON checks sample."""

from __future__ import annotations

from auditlib.catalog import Catalog

JSON_TYPES = ("json", "jsonb")


def json_columns(catalog: Catalog, schemas: set[str]) -> list[dict]:
    """The json and jsonb columns of the given schemas' tables (foreign tables left out), as column records."""
    # sampling another server's table is not ours to do
    keys = {(t["schema"], t["name"]) for t in catalog.records("user_tables") if t["kind"] != "foreign table"}
    return [c for c in catalog.records("columns") if c["base_type"] in JSON_TYPES and not c["is_array"]
            and c["schema"] in schemas and (c["schema"], c["table"]) in keys]
