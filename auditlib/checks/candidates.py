"""Constraints the data already obeys: CHECK candidates inferred from aggregates, and conversions with no way back.

Both checks read rows, so they are data checks (``kind="data"``): the catalog says where to look, one bounded
aggregate query per table (``sql/data/candidate_profile.sql``, ``sql/data/reverse_ref_cardinality.sql``) says
what the data shows. Tables the statistics put at or under ``candidates.full_scan_rows`` rows are read whole;
bigger ones through ``TABLESAMPLE SYSTEM ... REPEATABLE`` cut at ``candidates.sample_rows`` rows. A query that
times out or is denied becomes a ``skipped`` entry and the check goes on with the next table.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.fixes import add_foreign_key_sql, object_name
from auditlib.checks.queries import estimated_rows
from auditlib.config import AuditConfig, glob_matcher, split_table
from auditlib.data import DataContext, QuerySkipped, compose
from auditlib.findings import Finding
from auditlib.model import Analysis, Reference
from auditlib.model.references import types_differ
from auditlib.quoting import ident, literal

NUMERIC_TYPES = ("int2", "int4", "int8", "numeric", "float4", "float8")
DATE_TYPES = ("date", "timestamp", "timestamptz")
TEXT_TYPES = ("text", "varchar", "bpchar", "citext")
# What format_type() prints for the built-in types: anything else with that base type is a domain (which may
# carry its own CHECK), and is left alone.
_BUILTIN_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "numeric": "numeric", "float4": "real",
                  "float8": "double precision", "date": "date", "timestamp": "timestamp", "timestamptz": "timestamp",
                  "text": "text", "varchar": "character varying", "bpchar": "character"}


# -- sampling -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sampling:
    """How much of a table one query reads: ``percent`` of its pages (100 = all), at most ``limit`` rows."""

    percent: float
    limit: int
    row_estimate: int | None

    def params(self) -> dict[str, Any]:
        return {"percent": self.percent, "limit": self.limit}

    def sampled(self, rows_read: int) -> bool:
        """True when the rows read are not the whole table (a page sample, or the row limit was reached)."""
        return self.percent < 100 or rows_read >= self.limit


def sampling(row_estimate: int | None, config: AuditConfig) -> Sampling:
    """Whole table up to ``candidates.full_scan_rows`` estimated rows, else a page sample of about ``sample_rows``.

    A table without statistics (never analysed) is read from the start, up to ``full_scan_rows`` rows.
    """
    full = int(config.get("candidates", "full_scan_rows"))
    wanted = int(config.get("candidates", "sample_rows"))
    if row_estimate is None or row_estimate <= full:
        return Sampling(100.0, full, row_estimate)
    # twice the wanted share of pages, so that the LIMIT, not a thin sample, decides the rows read
    return Sampling(min(100.0, round(200.0 * wanted / row_estimate, 4)), wanted, row_estimate)


def _plain(value: Any) -> Any:
    """A JSON-ready number from a query result (Decimal → int when integral, else float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 3)
    return value


def _matched(patterns: list[str], name: str) -> str | None:
    """The first glob pattern that matches the name (recorded in the evidence), or None."""
    return next((p for p in patterns if glob_matcher([p])(name)), None)


_LITERAL_DEFAULT = re.compile(r"^'((?:[^']|'')*)'(?:::[\w .\"]+)?$")


def literal_default(column: dict) -> str | None:
    """The text of a column default that is a plain string literal (``'draft'::text`` → draft), else None."""
    match = _LITERAL_DEFAULT.match((column.get("default") or "").strip())
    return match.group(1).replace("''", "'") if match else None


# -- which columns to look at -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One thing to measure in a table: a numeric or text column, or a (start, end) pair of date columns."""

    kind: str              # numeric | text | pair
    column: str            # the column; the start column of a pair
    end: str | None = None  # the end column of a pair


def _checked_columns(catalog: Catalog) -> dict[tuple[str, str], list[set[str]]]:
    """Per table, the column sets of its CHECK constraints."""
    checks: dict[tuple[str, str], list[set[str]]] = defaultdict(list)
    constraints = catalog.constraints
    for con in constraints[constraints["type"] == "check"].to_dict("records"):
        checks[(con["schema"], con["table"])].append(set(con["columns"]))
    return checks


def _key_columns(catalog: Catalog, analysis: Analysis) -> set[tuple[str, str, str]]:
    """Columns that are keys or point at keys: PK and single-column unique columns, FK and inferred references."""
    keys: set[tuple[str, str, str]] = set()
    for con in catalog.records("constraints"):
        if con["type"] in ("primary key", "foreign key") or (con["type"] == "unique" and len(con["columns"]) == 1):
            keys.update((con["schema"], con["table"], c) for c in con["columns"])
    keys.update((ref.schema, ref.table, ref.column) for ref in analysis.inferred)
    return keys


def _is_domain(column: dict) -> bool:
    expected = _BUILTIN_NAMES.get(column["base_type"])
    return expected is not None and not column["data_type"].startswith(expected)


def _pair_ends(name: str, pairs: list[tuple[str, str]], names: set[str]) -> list[str]:
    """The end columns that pair with a start column named ``name`` (start_date → end_date, valid_from → valid_to)."""
    ends = []
    for start, end in pairs:
        for match in re.finditer(rf"(?:^|_)({re.escape(start)})(?=_|$)", name):
            other = name[:match.start(1)] + end + name[match.end(1):]
            if other in names and other != name:
                ends.append(other)
    return ends


def table_candidates(catalog: Catalog, config: AuditConfig, analysis: Analysis, schemas: set[str] | None = None
                     ) -> dict[tuple[str, str], list[Candidate]]:
    """Per table, what ``check_candidate`` measures: columns named like the configured patterns, of the right type,
    not keys, references, the tenant column, ids, domains, arrays or generated, and not already in a CHECK."""
    nonnegative = glob_matcher(config.get("candidates", "nonnegative_columns"))
    categorical = glob_matcher(config.get("candidates", "closed_set_columns"))
    pairs = [(str(a).lower(), str(b).lower()) for a, b in config.get("candidates", "date_pairs")]
    tenant = config.tenant_column
    checks = _checked_columns(catalog)
    keys = _key_columns(catalog, analysis)
    plans: dict[tuple[str, str], list[Candidate]] = {}
    for record in catalog.user_tables(sorted(schemas) if schemas is not None else None).to_dict("records"):
        schema, table = record["schema"], record["name"]
        if record["kind"] == "foreign table":
            continue  # a foreign table's CHECK is not enforced
        covered = checks.get((schema, table), [])
        usable = {}
        for column in catalog.table_columns(schema, table):
            name = column["name"]
            lowered = name.lower()
            if column["is_array"] or column["generated"] or column["identity"] or _is_domain(column) \
                    or (schema, table, name) in keys or name == tenant or lowered == "id" or lowered.endswith("_id"):
                continue
            usable[name] = column
        dates = {n for n, c in usable.items() if c["base_type"] in DATE_TYPES}
        candidates = []
        for name, column in usable.items():
            in_check = any(name in columns for columns in covered)
            if column["base_type"] in NUMERIC_TYPES and nonnegative(name) and not in_check:
                candidates.append(Candidate("numeric", name))
            elif column["base_type"] in TEXT_TYPES and categorical(name) and not in_check:
                candidates.append(Candidate("text", name))
            elif column["base_type"] in DATE_TYPES:
                for end in _pair_ends(name.lower(), pairs, {n.lower() for n in dates}):
                    end_name = next(n for n in dates if n.lower() == end)
                    if not any({name, end_name} <= columns for columns in covered):
                        candidates.append(Candidate("pair", name, end_name))
        if candidates:
            plans[(schema, table)] = list(dict.fromkeys(candidates))
    return plans


# -- what the data says ---------------------------------------------------------------------------------------------
def _constraint_name(catalog: Catalog, schema: str, table: str, *parts: str, suffix: str) -> str:
    """A constraint name that fits 63 bytes and is not taken on the table."""
    taken = set(catalog.constraints.loc[(catalog.constraints["schema"] == schema)
                                        & (catalog.constraints["table"] == table), "name"])
    name = object_name(table, *parts, suffix=suffix)
    number = 2
    while name in taken:
        name = object_name(table, *parts, suffix=f"{suffix}{number}")
        number += 1
    return name


def _add_check_sql(schema: str, table: str, name: str, expression: str) -> str:
    """ADD CONSTRAINT ... CHECK ... NOT VALID, then VALIDATE (one short lock, then a scan that blocks no writes).

    Unlike foreign keys, CHECK constraints take NOT VALID on partitioned tables too (PostgreSQL 15 and 18 tested).
    """
    target = ident(schema, table)
    return (f"ALTER TABLE {target} ADD CONSTRAINT {ident(name)} CHECK ({expression}) NOT VALID;\n"
            f"ALTER TABLE {target} VALIDATE CONSTRAINT {ident(name)};")


def _measured(config: AuditConfig, schema: str, table: str, row: Any, how: Sampling) -> tuple[dict, str] | None:
    """The evidence every candidate carries and the "all/a sample of N rows of T" phrase; None under min_rows."""
    min_rows = int(config.get("data", "min_rows"))
    checked = int(row.rows_checked)
    if checked < min_rows:
        return None
    sampled = how.sampled(int(row.rows_read))
    evidence: dict[str, Any] = {"rows_checked": checked, "rows_read": int(row.rows_read), "sampled": sampled,
                                "row_estimate": how.row_estimate, "min_rows": min_rows}
    if sampled:
        evidence["sample_rows"] = how.limit
        evidence["note"] = "only a sample was read: VALIDATE CONSTRAINT checks the other rows"
    phrase = (f"a sample of {checked:,} rows" if sampled else f"all {checked:,} rows") + f" of {qualified(schema, table)}"
    return evidence, phrase


def _sign_finding(catalog: Catalog, config: AuditConfig, schema: str, table: str, column: str, row: Any,
                  evidence: dict, rows_text: str) -> Finding | None:
    """``col >= 0`` when no value is negative; ``col > 0`` when none is zero either and zero makes no sense."""
    if row.negatives or row.min_value is None:
        return None
    strict_pattern = _matched(config.get("candidates", "positive_columns"), column)
    positive = not row.zeros and row.min_value > 0 and strict_pattern is not None
    expression = f"{ident(column)} {'>' if positive else '>='} 0"
    name = _constraint_name(catalog, schema, table, column, suffix="positive" if positive else "nonnegative")
    evidence.update({"kind": "positive" if positive else "non-negative", "min": _plain(row.min_value),
                     "max": _plain(row.max_value), "negatives": 0, "zeros": int(row.zeros), "check": expression,
                     "name_pattern": _matched(config.get("candidates", "nonnegative_columns"), column)})
    if positive:
        evidence["positive_pattern"] = strict_pattern
    return Finding(
        schema=schema, table=table, column=column,
        title=f"{table}.{column} is never {'zero or ' if positive else ''}negative, but no CHECK says so",
        detail=(f"In {rows_text}, {column} is between {_plain(row.min_value)} and {_plain(row.max_value)}, but no "
                f"CHECK constraint keeps it {'positive' if positive else 'non-negative'}: a bug or a manual edit "
                "can store a value the application never meant to."),
        evidence=evidence, remediation_sql=_add_check_sql(schema, table, name, expression))


def _order_finding(catalog: Catalog, schema: str, table: str, start: str, end: str, row: Any, evidence: dict,
                   rows_text: str) -> Finding | None:
    """``end >= start`` when no row has the end before the start."""
    if row.reversed:
        return None
    expression = f"{ident(end)} >= {ident(start)}"
    name = _constraint_name(catalog, schema, table, end, "after", suffix=start)
    evidence.update({"kind": "ordered pair", "start": start, "end": end, "reversed": 0,
                     "min_gap_days": _plain(row.min_gap_days), "max_gap_days": _plain(row.max_gap_days),
                     "check": expression})
    return Finding(
        schema=schema, table=table, column=f"{start},{end}", object=qualified(schema, table, end),
        title=f"{table}.{end} never precedes {start}, but no CHECK says so",
        detail=(f"In {rows_text} where both are set, {end} is {_plain(row.min_gap_days)} to "
                f"{_plain(row.max_gap_days)} days after {start}, never before it, but no CHECK constraint keeps it "
                "that way."),
        evidence=evidence, remediation_sql=_add_check_sql(schema, table, name, expression))


def _closed_set_finding(catalog: Catalog, config: AuditConfig, schema: str, table: str, column: str, row: Any,
                        evidence: dict, rows_text: str) -> Finding | None:
    """``col IN (...)`` for 2 to ``max_values`` short values that include the column's default."""
    max_values = int(config.get("candidates", "max_values"))
    max_length = int(config.get("candidates", "max_value_length"))
    distinct = int(row.distinct_values)
    if not 2 <= distinct <= max_values or (row.max_length or 0) > max_length:
        return None
    values = sorted(row.sample_values or [])
    default = literal_default(catalog.column(schema, table, column) or {})
    if default is not None and default not in values:
        return None  # the rows miss the value new rows start with: the set seen is not the whole set
    expression = f"{ident(column)} IN ({', '.join(literal(v) for v in values)})"
    name = _constraint_name(catalog, schema, table, column, suffix="allowed")
    caution = ("a value the application writes but the data does not hold yet would be rejected: compare with the "
               "code before applying (or create an enum type)")
    evidence.update({"kind": "closed set", "values": values, "distinct_values": distinct, "default": default,
                     "check": expression, "max_values": max_values, "max_value_length": max_length,
                     "name_pattern": _matched(config.get("candidates", "closed_set_columns"), column),
                     "note": f"{evidence['note']}; {caution}" if "note" in evidence else caution})
    return Finding(
        schema=schema, table=table, column=column,
        title=f"{table}.{column} holds {distinct} values only, but no CHECK lists them",
        detail=(f"In {rows_text}, {column} is always one of {', '.join(values)}, but nothing stops a typo or a new "
                "spelling from being stored; a CHECK ... IN (...) or an enum type would."),
        evidence=evidence, remediation_sql=_add_check_sql(schema, table, name, expression),
        # a set read from the data may miss values the application writes: a suggestion, not a defect
        severity="info")


def _judge(catalog: Catalog, config: AuditConfig, schema: str, table: str, candidate: Candidate, row: Any,
           how: Sampling) -> Finding | None:
    """A finding when the measured rows support the candidate, else None."""
    measured = _measured(config, schema, table, row, how)
    if measured is None:
        return None
    evidence, rows_text = measured
    if candidate.kind == "numeric":
        return _sign_finding(catalog, config, schema, table, candidate.column, row, evidence, rows_text)
    if candidate.kind == "pair":
        return _order_finding(catalog, schema, table, candidate.column, candidate.end, row, evidence, rows_text)
    return _closed_set_finding(catalog, config, schema, table, candidate.column, row, evidence, rows_text)


@check(name="check_candidate", category="data", severity="low", kind="data",
       needs=("data", "audited", "analysis"), report_section="comments.constraints", long_running=True)
def check_candidate(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                    analysis: Analysis) -> Iterator[Finding]:
    """The data already obeys a rule (never negative, end never before start, a few fixed values) that no CHECK enforces.

    Why it matters: what the data does today by convention it won't do tomorrow: one bug, import or manual
    edit stores a negative quantity, a due date before the issue date or a misspelt status, and every report and
    calculation built on the rule quietly goes wrong.

    How to fix: add the suggested constraint NOT VALID (a short lock; new rows are checked from then on), then
    VALIDATE CONSTRAINT (checks the existing rows without blocking writes). For a closed set of values, first
    compare the list with what the application writes, or use an enum type. Candidates are columns named like
    counts, durations, amounts and days (``candidates.nonnegative_columns``), start/end pairs
    (``candidates.date_pairs``) and categorical text (``candidates.closed_set_columns``), measured on at least
    ``data.min_rows`` rows.
    """
    min_rows = int(config.get("data", "min_rows"))
    max_values = int(config.get("candidates", "max_values"))
    profiles = []  # (schema, table, candidates, sampling, query, parameters) of each table profiled
    for (schema, table), candidates in sorted(table_candidates(catalog, config, analysis, audited).items()):
        estimate = catalog.row_estimate(schema, table)
        if estimate is not None and 0 <= estimate < min_rows:
            continue  # the statistics say the table is too small to infer anything from
        how = sampling(estimate, config)
        columns = list(dict.fromkeys(c for candidate in candidates for c in (candidate.column, candidate.end) if c))
        sql = compose("candidate_profile.sql", table=(schema, table), columns=columns)
        params = {**how.params(), "max_values": max_values, "kinds": [c.kind for c in candidates],
                  "first_columns": [c.column for c in candidates], "second_columns": [c.end for c in candidates]}
        profiles.append((schema, table, candidates, how, sql, params))
    # small tables, read whole, are profiled several to a statement
    answers = data.all_each([sql for *_, sql, _ in profiles],
                            [estimated_rows(catalog, (schema, table)) if how.percent >= 100 else None
                             for schema, table, _, how, _, _ in profiles],
                            [params for *_, params in profiles])
    for (schema, table, candidates, how, _, _), rows in zip(profiles, answers, strict=True):
        if isinstance(rows, QuerySkipped):
            data.skip("check_candidate", qualified(schema, table), str(rows))
            continue
        measured = {(r.kind, r.first_column, r.second_column): r for r in rows}
        for candidate in candidates:
            row = measured.get((candidate.kind, candidate.column, candidate.end))
            if row is not None:
                finding = _judge(catalog, config, schema, table, candidate, row, how)
                if finding is not None:
                    yield finding


# -- reverse references ------------------------------------------------------------------------------------------
def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def conversions(analysis: Analysis) -> list[Reference]:
    """References (declared single-column FKs and inferred ones) from columns named like a conversion
    (``candidates.reverse_ref_columns``) to another table that has no reference back, users tables excepted."""
    config = analysis.config
    matches = glob_matcher(config.get("candidates", "reverse_ref_columns"))
    users = {split_table(t) for t in config.get("relationships", "user_tables")}
    references = [ref for ref in analysis.references if len(ref.columns) == 1]
    pointing = {((r.schema, r.table), (r.ref_schema, r.ref_table)) for r in references}
    found = []
    for ref in references:
        source, target = (ref.schema, ref.table), (ref.ref_schema, ref.ref_table)
        if not matches(ref.column) or source == target or target in users or (target, source) in pointing:
            continue
        found.append(ref)
    return sorted(found, key=lambda r: (r.schema, r.table, r.column))


def _unique_alone(catalog: Catalog, schema: str, table: str, column: str) -> bool:
    """True when a unique constraint or a full unique index covers exactly this column."""
    indexes = catalog.indexes
    mine = indexes[(indexes["schema"] == schema) & (indexes["table"] == table)]
    return any(r["is_unique"] and r["is_valid"] and r["predicate"] is None and list(r["columns"]) == [column]
               for r in mine.to_dict("records"))


def _reverse_sql(catalog: Catalog, ref: Reference, key: str, back: str) -> str:
    """Add B.back, backfill it from A, add its FK (NOT VALID, VALIDATE) and a unique index."""
    a_column = catalog.column(ref.schema, ref.table, key)
    b_table = ident(ref.ref_schema, ref.ref_table)
    left, right = f"a.{ident(ref.column)}", f"b.{ident(ref.ref_column)}"
    source_column = catalog.column(ref.schema, ref.table, ref.column)
    target_column = catalog.column(ref.ref_schema, ref.ref_table, ref.ref_column)
    if source_column and target_column and types_differ(source_column, target_column):
        left, right = f"{left}::text", f"{right}::text"
    fk_name = object_name(ref.ref_table, back, suffix="fkey")
    index_name = object_name(ref.ref_table, back, suffix="key")
    partitioned = (catalog.relation(ref.ref_schema, ref.ref_table) or {}).get("kind") == "partitioned table"
    note = (f"{qualified(ref.ref_schema, ref.ref_table)}.{back}: the way back to the {ref.table} row whose "
            f"{ref.column} points here (the backfill fires {ref.ref_table}'s UPDATE triggers); keep both in step, "
            f"or drop {ref.column} once the code reads {back}")
    return "\n".join([
        "-- " + " ".join(note.split()),  # names may hold line breaks: a comment must stay on one line
        f"ALTER TABLE {b_table} ADD COLUMN {ident(back)} {a_column['data_type']};",
        f"UPDATE {b_table} AS b SET {ident(back)} = a.{ident(key)} FROM {ident(ref.schema, ref.table)} AS a "
        f"WHERE {left} = {right};",
        add_foreign_key_sql(catalog, ref.ref_schema, ref.ref_table, fk_name, [back], ref.schema, ref.table, [key],
                            "SET NULL"),
        f"CREATE UNIQUE INDEX{'' if partitioned else ' CONCURRENTLY'} {ident(index_name)} ON {b_table} "
        f"({ident(back)});",
    ])


@check(name="reverse_ref_missing", category="relationships", severity="info", kind="data",
       needs=("data", "audited", "analysis"), report_section="comments.conversions")
def reverse_ref_missing(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                        analysis: Analysis) -> Iterator[Finding]:
    """A one-to-one conversion reference (converted_to_quote_id) has no way back from the row it points at.

    Why it matters: "which opportunity became this quote?" needs a scan of the other table (its column is
    rarely indexed), every screen that shows the origin pays for it, and nothing keeps the link unique.

    How to fix: add the back-reference column to the target table, backfill it from the source, add its
    foreign key NOT VALID then VALIDATE, and a unique index; then keep the two in step (or retire the forward
    column). Conversion columns are named like ``candidates.reverse_ref_columns``; the link must be one-to-one
    in the data (no target referenced twice, at least ``candidates.reverse_ref_min_rows`` references).
    """
    min_refs = int(config.get("candidates", "reverse_ref_min_rows"))
    for ref in conversions(analysis):
        if audited is not None and ref.schema not in audited:
            continue
        key = catalog.primary_key(ref.schema, ref.table)
        if len(key) != 1:
            continue  # the target table could not reference a composite or missing key with one column
        unique = _unique_alone(catalog, ref.schema, ref.table, ref.column)
        how = sampling(catalog.row_estimate(ref.schema, ref.table), config)
        row = None
        with data.guard("reverse_ref_missing", qualified(ref.schema, ref.table, ref.column)):
            row = data.one(compose("reverse_ref_cardinality.sql", table=(ref.schema, ref.table), column=ref.column),
                           how.params())
        if row is None:
            continue
        refs, distinct = int(row.refs), int(row.distinct_refs)
        if refs < min_refs or refs != distinct:
            continue
        existing = {c["name"] for c in catalog.table_columns(ref.ref_schema, ref.ref_table)}
        singular = _singular(ref.table.lower())
        back = next((n for n in (f"{singular}_id", f"source_{singular}_id", f"{ref.table}_{ref.column}")
                     if n not in existing), None)
        if back is None:
            continue
        source = qualified(ref.schema, ref.table, ref.column)
        target = qualified(ref.ref_schema, ref.ref_table)
        evidence = {"references": qualified(ref.ref_schema, ref.ref_table, ref.ref_column),
                    "declared": ref.declared, "rule": ref.rule, "references_read": refs,
                    "distinct_targets": distinct, "sampled": how.sampled(refs), "unique_index": unique,
                    "suggested_column": back, "min_references": min_refs,
                    "name_pattern": _matched(config.get("candidates", "reverse_ref_columns"), ref.column)}
        yield Finding(
            schema=ref.schema, table=ref.table, column=ref.column,
            title=f"{target} has no way back to {qualified(ref.schema, ref.table)}",
            detail=(f"{source} points at {target}, one row each ({refs:,} references, no {ref.ref_table} row named "
                    f"twice), but {target} has no column pointing back, so finding the {ref.table} row a "
                    f"{ref.ref_table} row came from takes a scan of {qualified(ref.schema, ref.table)}."),
            evidence=evidence, remediation_sql=_reverse_sql(catalog, ref, key[0], back))
