"""Duplicates: tables that look like copies or rivals of each other.

Comparing every pair of 5,000 tables is 12.5 million set intersections, so candidate pairs come from buckets:

- tables with exactly the same compared columns form one bucket, reported as a star (each member against the
  first) rather than every pair, so a schema-per-tenant layout costs one finding per copy, not n²;
- between buckets, a prefix filter over column names finds the pairs that can reach the Jaccard threshold (two
  sets can only be that similar if they share one of their rarest columns, so only those postings are joined);
- names that extend another table's name in the same schema by whole words (crew -> crew_contacts,
  contacts -> contacts_old), and one name found in several schemas, are looked up in a name index.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis

if TYPE_CHECKING:
    from auditlib.codescan import CodeScan

Table = tuple[str, str]
Pair = tuple[Table, Table]
COPY_SHARED_RATIO = 0.5   # a copy (contacts_old) or a namesake in another schema needs half its columns shared
SAME_NAME = ""            # the words that tell two namesakes in different schemas apart: none


def _compared_columns(catalog: Catalog, config: AuditConfig, tables: set[Table]) -> dict[Table, frozenset[str]]:
    ignore = {c.lower() for c in config.get("duplicates", "ignore_columns")} | {config.tenant_column.lower()}
    columns: dict[Table, set[str]] = {t: set() for t in tables}
    for schema, table, name in zip(catalog.columns["schema"], catalog.columns["table"], catalog.columns["name"],
                                   strict=True):
        key = (schema, table)
        if key in columns and name.lower() not in ignore:
            columns[key].add(name.lower())
    return {k: frozenset(v) for k, v in columns.items()}


def _ordered(a: Table, b: Table) -> Pair:
    return (a, b) if a <= b else (b, a)


def _signature_buckets(columns: dict[Table, frozenset[str]]) -> dict[frozenset[str], list[Table]]:
    buckets: dict[frozenset[str], list[Table]] = {}
    for table in sorted(columns):
        buckets.setdefault(columns[table], []).append(table)
    return buckets


def _column_candidates(signatures: list[frozenset[str]], threshold: float, min_columns: int
                       ) -> set[tuple[frozenset, frozenset]]:
    """Pairs of distinct column sets that may reach the Jaccard threshold (prefix filtering)."""
    frequency = Counter(c for cols in signatures for c in cols)
    index: dict[str, list[frozenset]] = {}
    pairs: set[tuple[frozenset, frozenset]] = set()
    # Smaller sets first, so that each pair is found when the larger one is probed (a size filter applies).
    for cols in sorted((s for s in signatures if len(s) >= min_columns), key=lambda s: (len(s), sorted(s))):
        ordered = sorted(cols, key=lambda c: (frequency[c], c))
        prefix = ordered[:len(ordered) - math.ceil(threshold * len(ordered)) + 1]
        seen: set[frozenset] = set()
        for name in prefix:
            for other in index.get(name, ()):
                if other not in seen and len(other) >= threshold * len(cols):
                    seen.add(other)
                    pairs.add((other, cols))
            index.setdefault(name, []).append(cols)
    return pairs


def _name_candidates(tables: set[Table]) -> dict[Pair, str]:
    """Pairs whose names differ by whole leading or trailing words (same schema), or namesakes in other schemas
    (each against the first): pair -> the words that differ."""
    by_name: dict[str, list[Table]] = {}
    for table in sorted(tables):
        by_name.setdefault(table[1].lower(), []).append(table)
    pairs: dict[Pair, str] = {}
    for same in by_name.values():
        for other in same[1:]:
            pairs[_ordered(same[0], other)] = SAME_NAME
    for table in tables:
        words = table[1].lower().split("_")
        for cut in range(1, len(words)):
            for shorter, extra in (("_".join(words[:cut]), "_".join(words[cut:])),
                                   ("_".join(words[cut:]), "_".join(words[:cut]))):
                for other in by_name.get(shorter, ()):
                    if other[0] == table[0]:
                        pairs.setdefault(_ordered(table, other), extra)
    return pairs


def _name_words(table: Table) -> list[str]:
    return table[1].lower().split("_")


def _family_of(a: Table, b: Table) -> set[tuple[str, str, str]]:
    """The name patterns two tables of one schema share: (schema, 'prefix', first word) and (schema, 'suffix',
    last word), when their names differ and have more than one word."""
    if a[0] != b[0] or a[1].lower() == b[1].lower():
        return set()
    words_a, words_b = _name_words(a), _name_words(b)
    if len(words_a) < 2 or len(words_b) < 2:
        return set()
    keys = set()
    if words_a[0] == words_b[0]:
        keys.add((a[0], "prefix", words_a[0]))
    if words_a[-1] == words_b[-1]:
        keys.add((a[0], "suffix", words_a[-1]))
    return keys


def _families(pairs: list[Pair], min_tables: int) -> set[tuple[str, str, str]]:
    """The name patterns (``l_*``, ``*_annotation``) shared by at least ``min_tables`` tables that all look alike
    pairwise-or-through-each-other: a family of one table per kind, built that way on purpose."""
    members: dict[tuple[str, str, str], set[Table]] = {}
    for a, b in pairs:
        for key in _family_of(a, b):
            members.setdefault(key, set()).update((a, b))
    return {key for key, tables in members.items() if len(tables) >= min_tables}


def _named_after(columns: dict[Table, frozenset[str]], a: Table, b: Table) -> bool:
    """One table has a column named after the other (release.release_group, a reference no rule inferred): parent
    and child, not copies."""
    for child, parent in ((a, b), (b, a)):
        name = parent[1].lower()
        if name in columns[child] or f"{name}_id" in columns[child]:
            return True
    return False


def _linked(analysis: Analysis) -> set[frozenset]:
    """Pairs of tables where one references the other (declared or inferred): parent and child, not copies."""
    return {frozenset({ref.source, ref.target}) for ref in analysis.references}


@check(name="table_lookalike", category="duplicates", severity="medium", needs=("analysis",))
def table_lookalike(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """Two tables hold mostly the same columns, or have names that differ by a prefix or suffix and share much of
    their columns.

    Why it matters: two tables for one thing (crew and crew_contacts, contacts and contacts_old) split the data:
    each part of the application reads one of them, reports disagree, and fixes land in one copy only.

    How to fix: pick the table that stays, migrate the other's rows and references into it, leave a view under the
    old name while the code moves over, then drop the copy.
    """
    settings = config["duplicates"]
    threshold, min_columns = float(settings["min_jaccard"]), int(settings["min_columns"])
    min_shared_columns, min_shared = int(settings["min_shared_columns"]), float(settings["min_shared_ratio"])
    copy_suffixes = list(settings["copy_suffixes"])
    platform = set(config.get("audit", "platform_schemas"))
    user_tables = catalog.user_tables()
    tables = {(s, t) for s, t in zip(user_tables["schema"], user_tables["name"], strict=True) if s not in platform}
    columns = _compared_columns(catalog, config, tables)
    buckets = _signature_buckets(columns)

    candidates: set[Pair] = set()
    for members in buckets.values():
        candidates.update(_ordered(members[0], other) for other in members[1:])
    for cols_a, cols_b in _column_candidates(list(buckets), threshold, min_columns):
        candidates.add(_ordered(buckets[cols_a][0], buckets[cols_b][0]))
    by_name = _name_candidates(tables)
    candidates.update(by_name)
    linked = _linked(analysis) if candidates else set()

    alike: list[tuple[Table, Table, set[str], float, float, str, bool]] = []
    for a, b in sorted(candidates):
        if frozenset((a, b)) in linked or _named_after(columns, a, b):
            continue
        cols_a, cols_b = columns[a], columns[b]
        if min(len(cols_a), len(cols_b)) < min_columns:
            continue
        shared = cols_a & cols_b
        jaccard = len(shared) / len(cols_a | cols_b)
        overlap = len(shared) / min(len(cols_a), len(cols_b))
        extra = by_name.get((a, b))
        is_copy = extra is not None and (extra == SAME_NAME or any(fnmatchcase(extra, p) for p in copy_suffixes))
        needed = COPY_SHARED_RATIO if is_copy else min_shared
        if jaccard >= threshold and len(shared) >= min_shared_columns:
            rule = (f"Jaccard similarity of the columns {jaccard:.2f} >= duplicates.min_jaccard {threshold}, "
                    f"{len(shared)} shared >= duplicates.min_shared_columns {min_shared_columns}")
        elif extra is not None and overlap >= needed:
            how = "the same name in two schemas" if extra == SAME_NAME else (
                f"names that differ by '{extra}'{' (a copy suffix)' if is_copy else ''}")
            rule = f"{how}, {overlap:.0%} of the smaller table's columns shared (>= {needed})"
        else:
            continue
        alike.append((a, b, shared, jaccard, overlap, rule, is_copy))
    families = _families([(a, b) for a, b, *_, is_copy in alike if not is_copy], int(settings["family_min_tables"]))

    for a, b, shared, jaccard, overlap, rule, is_copy in alike:
        if not is_copy and any(key in families for key in _family_of(a, b)):
            continue  # one table per kind by design (l_artist_artist, l_artist_release ...), not copies
        cols_a, cols_b = columns[a], columns[b]
        name_a, name_b = f"{a[0]}.{a[1]}", f"{b[0]}.{b[1]}"
        identical = [f"{s}.{t}" for s, t in buckets[cols_a] if (s, t) not in (a, b)] if cols_a == cols_b else []
        yield Finding(
            schema=a[0], table=a[1], column=None, object=f"{name_a}~{name_b}",
            title=f"{name_a} and {name_b} look like the same table",
            detail=(f"{name_a} and {name_b} share {len(shared)} of their columns ({', '.join(sorted(shared)[:8])}"
                    f"{', ...' if len(shared) > 8 else ''}): they probably hold the same kind of rows in two "
                    "places."),
            evidence={"tables": [name_a, name_b], "shared_columns": sorted(shared),
                      "only_in_a": sorted(cols_a - cols_b), "only_in_b": sorted(cols_b - cols_a),
                      "jaccard": round(jaccard, 3), "shared_ratio": round(overlap, 3), "rule": rule,
                      **({"same_columns_also_in": identical[:20], "same_columns_tables": len(identical) + 2}
                         if identical else {}),
                      "ignored_columns": sorted({*settings["ignore_columns"], config.tenant_column} - {""})})


# -- with a code scan ------------------------------------------------------------------------------------------------
CODE_LOCATIONS_SHOWN = 10  # file:line places listed per table (the evidence counts them all)


def with_code_locations(findings: list[Finding], code_scan: CodeScan, catalog: Catalog) -> list[Finding]:
    """table_lookalike findings told where the scanned code uses each of their two tables (``file:line``, by
    name, embedded relation or SQL string): the evidence's ``code_uses`` and a sentence of the detail. The other
    findings are returned unchanged; this runs after the code scan, which the schema checks never see."""
    from auditlib.codescan import CodeResolver  # here, not at the top: only an audit with --code scans code

    resolver = CodeResolver(catalog)
    places: dict[str, list[str]] = defaultdict(list)
    for ref in code_scan.tables:
        table = resolver.table_of(ref) if ref.kind == "table" else None
        if table is not None:
            places[f"{table[0]}.{table[1]}"].append(f"{ref.file}:{ref.line}")
    for finding in findings:
        if finding.check != "table_lookalike" or len(finding.evidence.get("tables") or []) != 2:
            continue
        tables = finding.evidence["tables"]
        uses = {name: sorted(set(places.get(name, [])), key=_place_order) for name in tables}
        finding.evidence["code_uses"] = {name: found[:CODE_LOCATIONS_SHOWN] for name, found in uses.items()}
        finding.evidence["code_use_counts"] = {name: len(found) for name, found in uses.items()}
        used = [name for name in tables if uses[name]]
        listed = "; ".join(f"{name} at {', '.join(uses[name][:3])}"
                           + (f" and {len(uses[name]) - 3} more" if len(uses[name]) > 3 else "") for name in used)
        if len(used) == 2:
            finding.detail += f" The code uses both: {listed}."
        elif used:
            other = next(name for name in tables if name not in used)
            finding.detail += f" The code uses only {listed}; no scanned file uses {other}."
        else:
            finding.detail += f" No scanned file uses either table ({len(code_scan.files)} files scanned)."
    return findings


def _place_order(place: str) -> tuple[str, int]:
    file, _, line = place.rpartition(":")
    return (file, int(line))
