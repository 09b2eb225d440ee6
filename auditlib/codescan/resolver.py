"""The scan against a catalog: which relation a reference reaches, which columns a table has, the closest existing
names; and the table-by-file matrix of the report."""

from __future__ import annotations

import difflib

import pandas as pd

from auditlib.codescan.records import CodeScan, ColumnRef, TableRef


class CodeResolver:
    """Catalog lookups for code references: which relation an embedded select reaches, which columns a table has,
    the closest existing names. Built once per audit (dict indexes, no per-reference DataFrame filtering)."""

    def __init__(self, catalog):
        self.catalog = catalog
        self.relations: dict[tuple[str, str], str] = {
            (r["schema"], r["name"]): r["kind"]
            for r in catalog.relations[["schema", "name", "kind"]].to_dict("records")}
        self.names: dict[str, list[str]] = {}
        for schema, name in self.relations:
            self.names.setdefault(schema, []).append(name)
        self.columns: dict[tuple[str, str], list[str]] = {}
        for record in catalog.columns[["schema", "table", "name"]].to_dict("records"):
            self.columns.setdefault((record["schema"], record["table"]), []).append(record["name"])
        self.column_sets = {key: set(names) for key, names in self.columns.items()}
        self.functions: dict[str, set[str]] = {}
        # computed fields and relationships: a function taking a table's row type (PostgREST exposes it by name)
        self.computed: dict[tuple[str, str], dict[str, str]] = {}
        for record in catalog.functions[["schema", "name", "arguments", "returns"]].to_dict("records"):
            self.functions.setdefault(record["schema"], set()).add(record["name"])
            arguments = (record["arguments"] or "").strip()
            if arguments and "," not in arguments:
                type_name = arguments.split()[-1].split(".")[-1].strip('"')
                self.computed.setdefault((record["schema"], type_name), {})[record["name"]] = record["returns"] or ""
        self.fk_columns: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.fk_names: dict[tuple[str, str, str], tuple[str, str]] = {}
        for fk in catalog.foreign_keys[["schema", "table", "name", "columns", "ref_schema", "ref_table"]] \
                .to_dict("records"):
            if len(fk["columns"]) == 1:
                self.fk_columns[(fk["schema"], fk["table"], fk["columns"][0])] = (fk["ref_schema"], fk["ref_table"])
            self.fk_names[(fk["schema"], fk["table"], fk["name"])] = (fk["ref_schema"], fk["ref_table"])
            self.fk_names[(fk["ref_schema"], fk["ref_table"], fk["name"])] = (fk["schema"], fk["table"])

    def exists(self, schema: str, name: str) -> bool:
        return (schema, name) in self.relations

    def has_function(self, schema: str, name: str) -> bool:
        return name in self.functions.get(schema, ())

    def has_column(self, table: tuple[str, str], column: str) -> bool:
        """A column, or a computed field (a function of the table's row) PostgREST exposes under that name."""
        return column in self.column_sets.get(table, ()) or column in self.computed.get(table, {})

    def follow(self, table: tuple[str, str], name: str) -> tuple[str, str] | None:
        """The relation an embedded ``name(...)`` reaches from ``table``: a table or view of the same schema, the
        target of a foreign-key column or constraint of that name, or a computed relationship's result."""
        schema = table[0]
        if (schema, name) in self.relations:
            return schema, name
        target = self.fk_columns.get((*table, name)) or self.fk_names.get((*table, name))
        if target is not None:
            return target
        returns = self.computed.get(table, {}).get(name)
        if returns:
            result = returns.split()[-1].split(".")
            key = (result[0], result[1]) if len(result) == 2 else (schema, result[0])
            return key if key in self.relations else None
        return None

    def resolve(self, ref: TableRef | ColumnRef) -> tuple[str, str] | None:
        """The relation a reference reaches (through its embedded path), or None when some step does not exist."""
        current: tuple[str, str] | None = (ref.schema, ref.table)
        if current not in self.relations:
            return None
        for step in ref.path:
            current = self.follow(current, step)
            if current is None:
                return None
        return current

    def table_of(self, ref: TableRef) -> tuple[str, str] | None:
        """The table a reference names for the table-by-file matrix (unknown names as written)."""
        if ref.path:
            return self.resolve(ref)
        return ref.schema, ref.table

    def closest_relations(self, schema: str, name: str, extra: list[str] = ()) -> list[str]:
        return closest_names(name, [*self.names.get(schema, []), *extra])

    def closest_functions(self, schema: str, name: str) -> list[str]:
        return closest_names(name, sorted(self.functions.get(schema, ())))

    def closest_columns(self, table: tuple[str, str], name: str) -> list[str]:
        return closest_names(name, self.columns.get(table, []))


def closest_names(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    """Existing names a wrong one probably meant, best first: near-identical names (typos, plurals), names it
    extends at a word boundary (crew_contacts → crew), names it ends with (→ contacts), names sharing its first
    word (quote_line_items → quote_versions), then difflib's close matches."""
    candidates = [c for c in dict.fromkeys(candidates) if c != name]
    lowered = name.lower()
    first_word = lowered.split("_", 1)[0]

    def tier(candidate: str) -> int:
        other = candidate.lower()
        if ratio(candidate) >= 0.85:  # a typo or a plural: crew_member → crew_members
            return -1
        if lowered.startswith(other + "_") or other.startswith(lowered + "_"):
            return 0
        if lowered.endswith("_" + other) or other.endswith("_" + lowered):
            return 1
        if "_" in lowered and other.split("_", 1)[0] == first_word:
            return 2
        return 3

    def ratio(candidate: str) -> float:
        return difflib.SequenceMatcher(None, lowered, candidate.lower()).ratio()

    related = sorted((c for c in candidates if tier(c) < 3), key=lambda c: (tier(c), -ratio(c), c))
    similar = [c for c in difflib.get_close_matches(lowered, candidates, n=limit, cutoff=0.6) if c not in related]
    return [*related, *similar][:limit]


def reference_matrix(scan: CodeScan, catalog) -> pd.DataFrame:
    """References per table (rows) and file (columns) for the report's code section; embedded relations resolved."""
    return scan.matrix(CodeResolver(catalog).table_of)

