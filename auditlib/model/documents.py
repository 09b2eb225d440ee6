"""JSON documents in the schema: the json and jsonb columns whose contents the JSON checks sample."""

from __future__ import annotations

from auditlib.catalog import Catalog

JSON_TYPES = ("json", "jsonb")


def json_columns(catalog: Catalog, schemas: set[str]) -> list[dict]:
    """The json and jsonb columns of the given schemas' tables (foreign tables left out), as column records."""
    columns = catalog.columns
    tables = catalog.user_tables()
    tables = tables[tables["kind"] != "foreign table"]  # sampling another server's table is not ours to do
    keys = set(zip(tables["schema"], tables["name"], strict=True))
    chosen = columns[columns["base_type"].isin(JSON_TYPES) & ~columns["is_array"] & columns["schema"].isin(schemas)]
    return [c for c in chosen.to_dict("records") if (c["schema"], c["table"]) in keys]
