"""JSON references: ids kept inside JSON documents (``rateCardItemId`` in quote line items), and those that dangle.

The documents of each JSON column are sampled (``data.sample_rows`` rows, TABLESAMPLE) and walked in Python — the
sample only, never the table. Objects whose keys are data (section names, ids) collapse into ``*``, arrays into
``[*]``, so every column gets a structure of SQL/JSON paths such as ``$.*.subsections.*[*].rateCardItemId`` with
their value types and frequency (``json_structure``, the report's section 6). Leaves under id-like keys (``*Id``,
``*_id``, ``*Ids``, or ``id`` inside an object named after a table) are resolved to a table by name *and* by
checking the sampled ids against candidate tables' keys (one query per path for all candidates). ``json_orphans``
then counts in SQL the ids at each resolved path that name no row: over the whole table up to
``data.json_scan_rows`` rows, over a page sample of about that many rows beyond it (its counts are then estimates,
and say so).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from psycopg import sql

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.queries import (
    audited_schemas,
    distinct_samples,
    estimated_rows,
    in_values,
    key_text,
    plural,
    render,
    sample_parameters,
    sample_percent,
    scaled,
    table_sample,
    verb,
    without_header,
)
from auditlib.config import AuditConfig, split_table
from auditlib.data import SAMPLE_SIZE, DataContext, QuerySkipped
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.documents import json_columns
from auditlib.model.references import CatalogIndex, name_forms, type_family
from auditlib.quoting import ident, literal

STRUCTURE_COLUMNS = ["schema", "table", "column", "path", "depth", "types", "documents", "sampled", "frequency",
                     "occurrences", "example", "id_like"]
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_INTEGER = re.compile(r"^-?[0-9]{1,18}$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID_KEY = re.compile(r"^(?P<stem>.+?)_?(?:Id|ID|_id|_ID)$")
_IDS_KEY = re.compile(r"^(?P<stem>.+?)_?(?:Ids|IDs|_ids|_IDS)$")


# -- the structure of a column's documents -------------------------------------------------------------------------
@dataclass
class Shape:
    """What one place in a column's documents holds across the sample: value types, documents, keys, items."""

    types: Counter = field(default_factory=Counter)
    docs: set[int] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None
    values: dict[str, None] = field(default_factory=dict)   # distinct scalar strings/integers (ordered, capped)
    is_map: bool = False


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def observe(node: Shape, value: Any, doc: int, depth: int, max_depth: int, cap: int) -> None:
    """Record one value (and what it holds) at one place of the structure."""
    kind = _json_type(value)
    node.types[kind] += 1
    node.docs.add(doc)
    if depth >= max_depth:
        return
    if kind == "object":
        for key, child in value.items():
            place = node.keys.get(key)
            if place is None:  # a new Shape only for a key not seen before (most keys repeat in every document)
                place = node.keys[key] = Shape()
            observe(place, child, doc, depth + 1, max_depth, cap)
    elif kind == "array":
        if node.items is None:
            node.items = Shape()
        for child in value:
            observe(node.items, child, doc, depth + 1, max_depth, cap)
    elif kind in ("string", "number") and (kind == "string" or isinstance(value, int)) and len(node.values) < cap:
        node.values.setdefault(str(value), None)


def merge(a: Shape, b: Shape, cap: int) -> Shape:
    """One shape standing for two places (the values of a map)."""
    merged = Shape(types=a.types + b.types, docs=a.docs | b.docs)
    for key in [*a.keys, *(k for k in b.keys if k not in a.keys)]:
        if key in a.keys and key in b.keys:
            merged.keys[key] = merge(a.keys[key], b.keys[key], cap)
        else:
            merged.keys[key] = copied(a.keys.get(key) or b.keys[key])
    if a.items is not None and b.items is not None:
        merged.items = merge(a.items, b.items, cap)
    else:
        merged.items = copied(a.items or b.items)
    for value in [*a.values, *b.values]:
        if len(merged.values) >= cap:
            break
        merged.values.setdefault(value, None)
    return merged


def copied(node: Shape | None) -> Shape | None:
    """A copy of a structure that shares nothing with it (what copy.deepcopy makes, without its generic walk)."""
    if node is None:
        return None
    return Shape(types=Counter(node.types), docs=set(node.docs),
                 keys={key: copied(child) for key, child in node.keys.items()}, items=copied(node.items),
                 values=dict(node.values), is_map=node.is_map)


def _containers(node: Shape) -> set[str]:
    return {t for t in node.types if t != "null"}


def is_map(node: Shape, max_keys: int) -> bool:
    """True when an object's keys are data (section names, ids) rather than field names.

    That is: more distinct keys than ``max_keys``; or keys that are all ids; or at least two keys whose values are
    all objects of one shape (most keys shared), or all arrays of such objects.
    """
    keys = node.keys
    if len(keys) < 2:
        return False
    if len(keys) > max_keys or all(_UUID.match(k) or _INTEGER.match(k) for k in keys):
        return True
    children = list(keys.values())
    kinds = set().union(*(_containers(c) for c in children))
    if kinds == {"array"}:
        children = [c.items for c in children]
        if any(c is None for c in children):
            return False
        kinds = set().union(*(_containers(c) for c in children))
    if kinds != {"object"}:
        return False
    sets = [set(c.keys) for c in children]
    union = set().union(*sets)
    return bool(union) and all(len(s) >= 0.5 * len(union) for s in sets)


def generalise(node: Shape, max_keys: int, cap: int) -> Shape:
    """The structure with map-like objects collapsed into one ``*`` key, top down."""
    if node.keys and is_map(node, max_keys):
        children = list(node.keys.values())
        merged = children[0]
        for child in children[1:]:
            merged = merge(merged, child, cap)
        node.keys = {"*": merged}
        node.is_map = True
    for child in node.keys.values():
        generalise(child, max_keys, cap)
    if node.items is not None:
        generalise(node.items, max_keys, cap)
    return node


Step = tuple[str, str]  # ("key", name) | ("map", "*") | ("items", "[*]")


def path_text(steps: list[Step], quote_all: bool = False) -> str:
    """An SQL/JSON path: ``$.*.subsections.*[*].rateCardItemId``; keys quoted when needed (always with quote_all)."""
    parts = ["$"]
    for kind, name in steps:
        if kind == "map":
            parts.append(".*")
        elif kind == "items":
            parts.append("[*]")
        elif _PLAIN_KEY.match(name) and not quote_all:
            parts.append(f".{name}")
        else:
            escaped = name.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'."{escaped}"')
    return "".join(parts)


def walk(node: Shape, steps: list[Step] | None = None) -> Iterator[tuple[list[Step], Shape]]:
    """Every place of a (generalised) structure with its path, parents first."""
    steps = steps or []
    yield steps, node
    for key, child in node.keys.items():
        yield from walk(child, [*steps, ("map", "*") if node.is_map else ("key", key)])
    if node.items is not None:
        yield from walk(node.items, [*steps, ("items", "[*]")])


def _types_text(types: Counter) -> str:
    total = sum(types.values())
    return ", ".join(f"{t} {round(100 * n / total)}%" for t, n in types.most_common())


# -- id-like leaves and their tables -------------------------------------------------------------------------------
def snake_words(name: str) -> list[str]:
    """``rateCardItem`` → ["rate", "card", "item"]; ``client_id`` stays in words too."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    spaced = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", spaced)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def id_hint(steps: list[Step], column: str) -> tuple[str, str] | None:
    """Which name an id-like leaf points at and why: ("rateCardItem", "key"), ("client", "object"), or None."""
    named = [name for kind, name in steps if kind == "key"]
    if not steps:
        return None
    kind, last = steps[-1]
    if kind == "key":
        if last.lower() == "id":
            owner = named[-2] if len(named) >= 2 else column
            return owner, "object"
        match = _ID_KEY.match(last)
        if match and match.group("stem"):
            return match.group("stem"), "key"
        return None
    if kind == "items" and len(steps) >= 2 and steps[-2][0] == "key":
        match = _IDS_KEY.match(steps[-2][1])
        if match and match.group("stem"):
            return match.group("stem"), "key list"
    return None


def name_candidates(model: CatalogIndex, config: AuditConfig, words: list[str], schema: str) -> list[tuple[str, str]]:
    """Tables a name may stand for, best first: all its words, then shorter prefixes, then shorter suffixes
    (``rate_card_item`` → rate_card_items?, rate_cards …); a user word also points at ``relationships.user_tables``."""
    runs = [words[:n] for n in range(len(words), 0, -1)] + [words[i:] for i in range(1, len(words))]
    schemas = [schema] + [s for s in model.search_schemas if s != schema]
    found: list[tuple[str, str]] = []
    for run in runs:
        table = model.find_table(name_forms("_".join(run)), schemas)
        if table and table not in found:
            found.append(table)
    if words and words[-1] in ("user", "users"):
        for user_table in (split_table(t) for t in config.get("relationships", "user_tables")):
            if user_table in model.kinds and user_table not in found:
                found.append(user_table)
    return found


def castable(values: list[str], column: dict) -> list[str]:
    """The sampled ids a key column could hold (uuid-shaped for uuid keys, integers for integer keys)."""
    family = type_family(column["base_type"])
    if family == "uuid":
        return [v for v in values if _UUID.match(v)]
    if family == "integer":
        return [v for v in values if _INTEGER.match(v)]
    return list(values)


@dataclass
class JsonReference:
    """One id-like path of a JSON column resolved to the table whose key its ids hold."""

    schema: str
    table: str
    column: str
    steps: list[Step]
    target: tuple[str, str]
    key: str
    hint: str
    hint_kind: str
    rule: str                      # "name and keys" | "keys"
    by_name: str | None
    by_keys: str
    hit_rates: dict[str, dict]
    shape: Shape
    sampled: int

    @property
    def path(self) -> str:
        return path_text(self.steps)

    @property
    def object(self) -> str:
        return f"{qualified(self.schema, self.table, self.column)}:{self.path}"

    @property
    def count_path(self) -> str:
        """The path json_orphans counts over the whole table.

        An id-named key (``rateCardItemId``) means the same reference wherever it appears, and the sample may not
        have seen every section of every document, so it is looked for at any depth (``strict $.**."key"``);
        ``id`` in an object named after a table keeps what follows that object; ``id`` at the top of the document
        keeps the sampled path.
        """
        if self.hint_kind in ("key", "key list"):
            anchor = next(i for i in range(len(self.steps) - 1, -1, -1) if self.steps[i][0] == "key")
        else:
            owners = [i for i, (kind, name) in enumerate(self.steps[:-1]) if kind == "key" and name == self.hint]
            if not owners:
                return "lax " + path_text(self.steps, quote_all=True)
            anchor = owners[-1]
        rest = path_text(self.steps[anchor:], quote_all=True)[1:]
        return f"strict $.**{rest}"


@dataclass
class ColumnAnalysis:
    """The sampled structure of one JSON column and the references found in it."""

    schema: str
    table: str
    column: str
    sampled: int
    root: Shape
    references: list[JsonReference] = field(default_factory=list)

    def structure(self) -> list[dict]:
        rows = []
        for steps, node in walk(self.root):
            occurrences = sum(node.types.values())
            if not occurrences:
                continue
            example = next(iter(node.values), None)
            rows.append({"schema": self.schema, "table": self.table, "column": self.column,
                         "path": path_text(steps), "depth": len(steps), "types": _types_text(node.types),
                         "documents": len(node.docs), "sampled": self.sampled,
                         "frequency": round(len(node.docs) / self.sampled, 4) if self.sampled else 0.0,
                         "occurrences": occurrences, "example": example,
                         "id_like": id_hint(steps, self.column) is not None and bool(node.values)})
        return rows


def _sample(catalog: Catalog, config: AuditConfig, data: DataContext, column: dict) -> list[Any]:
    answer = _samples(catalog, config, data, [column])[0]
    if isinstance(answer, QuerySkipped):
        raise answer
    return answer


def _samples(catalog: Catalog, config: AuditConfig, data: DataContext,
             columns: list[dict]) -> list[list[Any] | QuerySkipped]:
    """The sampled documents of each column (or why they could not be read); the columns of small tables, read
    whole, are sampled several to a statement."""
    limit = int(config.get("data", "sample_rows"))
    # SYSTEM sampling reads whole pages: aim at three times the rows wanted, all of a small table.
    percents = [sample_percent(catalog, c["schema"], c["table"], 3 * limit) for c in columns]
    queries = [render("json_sample", table=(c["schema"], c["table"]), column=c["name"]) for c in columns]
    shared = {"limit": limit, "max_bytes": int(config.get("data", "json_max_document_bytes"))}
    answers = data.all_each(queries, [estimated_rows(catalog, (c["schema"], c["table"])) if percent >= 100.0 else None
                                      for c, percent in zip(columns, percents, strict=True)],
                            [{**shared, "percent": percent} for percent in percents])
    return [answer if isinstance(answer, QuerySkipped) else [row.document for row in answer] for answer in answers]


def hit_rates(data: DataContext, model: CatalogIndex, tables: list[tuple[str, str]],
              values: list[str]) -> dict[tuple[str, str], dict]:
    """For each candidate table with a single-column key: how many of the sampled ids it holds (one query)."""
    rates: dict[tuple[str, str], dict] = {}
    parts: list[str] = []
    parameters: dict[str, list[str]] = {}
    keys: dict[int, tuple[tuple[str, str], str]] = {}
    for number, table in enumerate(tables):
        key = model.key_column(*table)
        column = model.column_index.get((*table, key)) if key else None
        if column is None:
            continue
        rates[table] = {"key": key, "hits": 0, "sampled": len(values), "rate": 0.0}
        usable = castable(values, column)
        if usable:
            condition = in_values("p", column, f"values_{number}")
            query = render("json_key_hits", number=sql.Literal(number), table=table, key=key, condition=condition)
            parts.append(query if not parts else without_header(query))
            parameters[f"values_{number}"] = usable
            keys[number] = (table, key)
    if parts:
        for row in data.all("\nUNION ALL\n".join(parts), parameters):
            table, _ = keys[int(row.candidate)]
            hits = int(row.hits)
            rates[table].update(hits=hits, rate=round(hits / len(values), 4) if values else 0)
    return rates


def _resolve(data: DataContext, model: CatalogIndex, config: AuditConfig, analysis: ColumnAnalysis, steps: list[Step],
             node: Shape) -> JsonReference | None:
    hint = id_hint(steps, analysis.column)
    if hint is None or not node.values:
        return None
    name, hint_kind = hint
    words = snake_words(name)
    external = tuple(p.lower() for p in config.get("relationships", "external_prefixes"))
    if not words or words[0] in external:
        return None  # stripeCustomerId, googleEventId: another system's ids
    values = list(node.values)[: int(config.get("data", "json_probe_values"))]
    rates: dict[tuple[str, str], dict] = {}
    named = name_candidates(model, config, words, analysis.schema)
    rates.update(hit_rates(data, model, named, values))
    named_ok = [t for t in named if t in rates and rates[t]["rate"] >= config.get("data", "json_min_named_hit_rate")]
    if not named_ok and all(_UUID.match(v) for v in values):
        # The name points nowhere (or at a table that holds none of these ids): uuids are unique across tables,
        # so try every table keyed by a uuid.
        tried = [t for t in sorted(model.kinds) if t not in rates and model.kinds[t] != "foreign table"
                 and _uuid_keyed(model, t)]
        if len(tried) <= int(config.get("data", "json_max_probe_tables")):
            rates.update({table: rate for table, rate in hit_rates(data, model, tried, values).items()
                          if rate["hits"]})
    if not rates:
        return None
    best = max(rates, key=lambda t: (rates[t]["rate"], t in named, -named.index(t) if t in named else 0))
    rate = rates[best]["rate"]
    threshold = config.get("data", "json_min_named_hit_rate") if best in named else \
        config.get("data", "json_min_hit_rate")
    if rate < threshold or not rates[best]["hits"]:
        return None
    return JsonReference(
        schema=analysis.schema, table=analysis.table, column=analysis.column, steps=steps, target=best,
        key=rates[best]["key"], hint=name, hint_kind=hint_kind,
        rule="name and keys" if best in named else "keys", by_name=qualified(*named[0]) if named else None,
        by_keys=qualified(*max(rates, key=lambda t: rates[t]["rate"])),
        hit_rates={qualified(*t): r for t, r in rates.items() if r["hits"] or t in named},
        shape=node, sampled=analysis.sampled)


def _uuid_keyed(model: CatalogIndex, table: tuple[str, str]) -> bool:
    key = model.key_column(*table)
    column = model.column_index.get((*table, key)) if key else None
    return column is not None and type_family(column["base_type"]) == "uuid" and not column["is_array"]


def analyse_column(data: DataContext, model: CatalogIndex, config: AuditConfig, column: dict,
                   resolve: bool = True, documents: list[Any] | None = None) -> ColumnAnalysis:
    """Sample one JSON column (unless its sampled ``documents`` are given), infer its structure, and resolve its
    id-like paths (raises QuerySkipped)."""
    if documents is None:
        documents = _sample(model.catalog, config, data, column)
    cap = int(config.get("data", "json_probe_values"))
    root = Shape()
    for n, document in enumerate(documents):
        observe(root, document, n, 0, int(config.get("data", "json_max_depth")), cap)
    generalise(root, int(config.get("data", "json_max_object_keys")), cap)
    analysis = ColumnAnalysis(column["schema"], column["table"], column["name"], len(documents), root)
    if resolve:
        for steps, node in walk(root):
            reference = _resolve(data, model, config, analysis, steps, node)
            if reference is not None:
                analysis.references.append(reference)
    return analysis


def analyse_json(analysis: Analysis, data: DataContext, schemas: set[str],
                 check_name: str) -> list[ColumnAnalysis]:
    """Every JSON column of the audited schemas analysed once per run (json_reference and json_orphans share it).

    The result is kept on the run's ``analysis``; the two checks may run at once, and the second then waits for
    the first one's sampling. A column whose sample cannot be read becomes a skipped entry of ``check_name`` (of
    each check that asks).
    """
    def build() -> tuple[list[ColumnAnalysis], list[dict[str, str]]]:
        analyses, work = [], data.for_check()
        columns = json_columns(analysis.catalog, schemas)
        for column, documents in zip(columns, _samples(analysis.catalog, analysis.config, work, columns), strict=True):
            with work.guard(check_name, qualified(column["schema"], column["table"], column["name"])):
                if isinstance(documents, QuerySkipped):
                    raise documents
                analyses.append(analyse_column(work, analysis.index, analysis.config, column, documents=documents))
        data.queries += work.queries
        return analyses, work.skipped

    analyses, skipped = analysis.once(("json", frozenset(schemas)), build)
    data.skipped.extend({**entry, "check": check_name} for entry in skipped)
    return analyses


def json_structure(catalog: Catalog, data: DataContext, config: AuditConfig | None = None, *,
                   columns: list[str] | None = None) -> pd.DataFrame:
    """The inferred structure of JSON columns, one row per path: schema, table, column, path, depth, types,
    documents (sampled documents holding the path), sampled, frequency, occurrences, example, id_like.

    ``columns`` narrows it to ``"schema.table.column"`` names; by default every JSON column of the audited schemas.
    Reads a bounded sample of each column (``data.sample_rows``); nothing is resolved against other tables.
    """
    config = config or data.config
    schemas = audited_schemas(catalog, config, None)
    model = CatalogIndex(catalog, config)
    rows: list[dict] = []
    for column in json_columns(catalog, set(catalog.schemas["name"]) if columns else schemas):
        name = qualified(column["schema"], column["table"], column["name"])
        if columns is not None and name not in columns:
            continue
        with data.guard("json_structure", name):
            rows.extend(analyse_column(data, model, config, column, resolve=False).structure())
    return pd.DataFrame(rows, columns=STRUCTURE_COLUMNS)


# -- checks --------------------------------------------------------------------------------------------------------
@check(name="json_reference", category="json", severity="medium", kind="data",
       needs=("data", "audited", "analysis"), report_section="json.structure", long_running=True)
def json_reference(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                   analysis: Analysis) -> Iterator[Finding]:
    """A JSON column holds ids of another table's rows: a reference no foreign key can enforce.

    The ids are found under id-like keys (``rateCardItemId`` in quote line items, ``id`` in a ``client`` object).

    Why it matters: deleting or merging the referenced rows leaves the documents pointing at nothing, and nothing
    in the database says these ids depend on that table — cascades, renames and clean-ups pass them by, and the
    application has to cope with every dangling id it reads back.

    How to fix: where the ids matter, move them out of the document into a column or a join table with a foreign
    key; otherwise keep a snapshot of what the document needs (name, price) and check the ids on write (a trigger
    or the API). json_orphans counts the ids that already dangle.
    """
    schemas = audited_schemas(catalog, config, audited)
    for column_analysis in analyse_json(analysis, data, schemas, "json_reference"):
        structure = column_analysis.structure()
        paths = [{k: row[k] for k in ("path", "types", "documents", "frequency")} for row in structure]
        for ref in column_analysis.references:
            node = ref.shape
            target = qualified(*ref.target)
            rate = ref.hit_rates[target]
            yield Finding(
                schema=ref.schema, table=ref.table, column=ref.column, object=ref.object,
                title=f"{ref.schema}.{ref.table}.{ref.column} holds {ref.target[1]} ids at {ref.path}",
                detail=(f"The JSON documents of {ref.schema}.{ref.table}.{ref.column} hold ids of {target} at "
                        f"{ref.path} ({rate['hits']} of {rate['sampled']} sampled ids found there); no foreign key "
                        "can protect them."),
                evidence={"path": ref.path, "references": qualified(*ref.target, ref.key), "rule": ref.rule,
                          "name_hint": ref.hint, "hint_from": ref.hint_kind, "by_name": ref.by_name,
                          "by_keys": ref.by_keys, "hit_rates": ref.hit_rates,
                          "types": _types_text(node.types), "documents": len(node.docs), "sampled": ref.sampled,
                          "frequency": round(len(node.docs) / ref.sampled, 4) if ref.sampled else 0.0,
                          "occurrences": sum(node.types.values()),
                          "sample_ids": list(node.values)[:SAMPLE_SIZE], "paths": paths,
                          "sample_rows": config.get("data", "sample_rows"),
                          "json_min_named_hit_rate": config.get("data", "json_min_named_hit_rate"),
                          "json_min_hit_rate": config.get("data", "json_min_hit_rate")},
                remediation_sql=None)


def _orphans_query(catalog: Catalog, ref: JsonReference, percent: float) -> str:
    key_sql, _ = key_text(catalog, ref.schema, ref.table, "t")
    return render("json_orphans", table=(ref.schema, ref.table), column=ref.column, target=ref.target, key=ref.key,
                  key_text=key_sql, sample=table_sample(percent))


@check(name="json_orphans", category="json", severity="medium", kind="data",
       needs=("data", "audited", "analysis"), count_key="dangling_count", long_running=True)
def json_orphans(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                 analysis: Analysis) -> Iterator[Finding]:
    """Ids inside JSON documents that name rows which no longer exist (a deleted rate card still quoted).

    Tables beyond ``data.json_scan_rows`` rows are read through a page sample of about that many rows, so their
    counts are estimates (the finding says "about" and gives the share read); set it to 0 to read every row.

    Why it matters: the application reads these ids back and finds nothing: line items lose their rate card, a
    quote shows a client that was deleted, and totals or reports built from the documents disagree with the
    tables. Nothing in the database noticed when the rows went.

    How to fix: review the sample rows, then remove or replace the dangling ids (or restore the rows); keep new
    ones from appearing by moving the ids into a column with a foreign key, or by checking them on write.
    """
    schemas = audited_schemas(catalog, config, audited)
    for column_analysis in analyse_json(analysis, data, schemas, "json_orphans"):
        counted: set[str] = set()
        percent = sample_percent(catalog, column_analysis.schema, column_analysis.table,
                                 int(config.get("data", "json_scan_rows")))
        sampled = percent < 100.0
        for ref in column_analysis.references:
            if ref.count_path in counted:
                continue  # two sampled places of one id key: counted once, anywhere in the document
            counted.add(ref.count_path)
            query = _orphans_query(catalog, ref, percent)
            parameters = {"path": ref.count_path, **sample_parameters(percent)}
            with data.guard("json_orphans", ref.object):
                row = data.one(query, parameters)
                found, read = int(row.dangling), int(row.refs)
                if not found:
                    continue
                dangling, refs = scaled(found, percent), scaled(read, percent)
                target = qualified(*ref.target)
                _, key_name = key_text(catalog, ref.schema, ref.table, "t")
                column = f"{ref.schema}.{ref.table}.{ref.column}"
                about = "about " if sampled else ""
                how = (f" Estimated from a sample of {percent:g}% of the table's pages ({found:,} dangling of "
                       f"{read:,} ids read); set data.json_scan_rows to 0 to count every row." if sampled else "")
                yield Finding(
                    schema=ref.schema, table=ref.table, column=ref.column, object=ref.object,
                    title=(f"{about.capitalize()}{plural(dangling, 'id')} in {column} at {ref.path} "
                           f"{verb(dangling, 'names', 'name')} missing {ref.target[1]}"),
                    detail=(f"{about.capitalize()}{dangling:,} of {refs:,} ids at {ref.path} in {column} "
                            f"({int(row.dangling_rows):,} rows, {int(row.dangling_values):,} distinct ids"
                            f"{' in the sample' if sampled else ''}) name no row of {target}.{how}"),
                    evidence={"dangling_count": dangling, "count": dangling, "total": refs,
                              "rows": int(row.dangling_rows), "dangling_values": int(row.dangling_values),
                              "share": round(found / read, 4) if read else None, "path": ref.path,
                              "references": qualified(*ref.target, ref.key), "estimated": sampled,
                              "sample_percent": percent, "dangling_read": found, "ids_read": read,
                              "json_scan_rows": config.get("data", "json_scan_rows"),
                              "sample_values": distinct_samples(row.sample_values),
                              "sample_keys": distinct_samples(row.sample_keys), "sample_key_column": key_name,
                              "query": without_header(query), "parameters": parameters,
                              "sample_size": SAMPLE_SIZE, "statement_timeout_ms": data.statement_timeout_ms},
                    remediation_sql=_orphans_review(ref))


def _orphans_review(ref: JsonReference) -> str:
    path = literal(ref.count_path)
    return (f"-- review first: rows of {ref.schema}.{ref.table} whose {ref.column} holds ids of missing "
            f"{ref.target[1]} at {ref.path}\n"
            f"SELECT t.*\nFROM {ident(ref.schema, ref.table)} AS t\n"
            f"WHERE EXISTS (SELECT 1 FROM jsonb_path_query(t.{ident(ref.column)}::jsonb, {path}, '{{}}', true) AS v(value)\n"
            f"              WHERE jsonb_typeof(v.value) IN ('string', 'number')\n"
            f"                AND NOT EXISTS (SELECT 1 FROM {ident(*ref.target)} AS p\n"
            f"                                WHERE p.{ident(ref.key)}::text = v.value #>> '{{}}'));")
