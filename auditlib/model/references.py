"""References: one type for "a table points at another", and how undeclared ones are inferred.

A ``Reference`` is a declared foreign key (``declared``, or ``not_valid`` when it was added NOT VALID and never
validated) or a column that evidently holds another table's key without a constraint (``inferred``, with the naming
rule that matched). ``polymorphic`` references hold ids of rows in several tables (a (type, id) column pair, or a
column whose COMMENT says so); ``legacy_trigger`` references are kept by pre-7.3 style ``RI_FKey_*`` constraint
triggers restored from an old dump instead of a foreign key (see ``legacy_ri_triggers``). The type families below
decide whether two columns can be joined, cast, or tied by a foreign key.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase

from auditlib.catalog import Catalog, qualified
from auditlib.config import AuditConfig, split_table

KINDS = ("declared", "inferred", "not_valid", "legacy_trigger", "polymorphic")
# How sure a reference is: a constraint is certain; a column named after its table (or a user column) is strong
# evidence; a name matched only by a prefix or suffix is weaker (it is only kept when the types agree too).
CONFIDENCE = {"name": "high", "user": "high", "schema_prefix": "high", "self": "high", "prefix": "medium",
              "suffix": "medium", "table_name": "medium", "positional": "high", "comment": "medium"}
REFERENCE_COLUMNS = ["schema", "table", "column", "data_type", "ref_schema", "ref_table", "ref_column",
                     "ref_data_type", "rule"]

# Type families: a foreign key can be declared between two columns of the same family (PostgreSQL needs an
# equality operator between them in the referenced index's operator family).
_FAMILIES = {"uuid": "uuid", "int2": "integer", "int4": "integer", "int8": "integer", "text": "text",
             "varchar": "text", "bpchar": "text", "citext": "text", "name": "text"}
INTEGER_WIDTH = {"int2": 2, "int4": 4, "int8": 8}
# Casts that ALTER COLUMN ... TYPE ... USING col::type can do (from family -> to families).
_CASTABLE = {"text": {"uuid", "integer", "text", "numeric"}, "integer": {"integer", "text", "numeric"},
             "uuid": {"uuid", "text"}, "numeric": {"integer", "numeric", "text"}}


def type_family(base_type: str | None) -> str | None:
    """The family a column's base type belongs to for key comparisons (uuid, integer, text), else the type."""
    if base_type is None:
        return None
    return _FAMILIES.get(base_type, base_type)


def key_like_type(column: dict) -> bool:
    """True for a scalar column whose type can hold a key (uuid, integers, text): never arrays or JSON."""
    return not column["is_array"] and type_family(column["base_type"]) in ("uuid", "integer", "text")


def types_differ(column: dict, ref_column: dict) -> bool:
    """True when a referencing column's type is not the referenced key's (int4 vs int8 differs; varchar vs text not)."""
    if column["is_array"] != ref_column["is_array"]:
        return True
    a, b = column["base_type"], ref_column["base_type"]
    if type_family(a) != type_family(b):
        return True
    return type_family(a) == "integer" and INTEGER_WIDTH.get(a) != INTEGER_WIDTH.get(b)


def can_declare_fk(column: dict, ref_column: dict) -> bool:
    """True when PostgreSQL accepts a foreign key between the two columns as they are typed today."""
    return not column["is_array"] and not ref_column["is_array"] and \
        type_family(column["base_type"]) == type_family(ref_column["base_type"])


def can_cast(from_column: dict, to_column: dict) -> bool:
    """True when ``ALTER COLUMN ... TYPE <to> USING col::<to>`` is a plausible mechanical fix."""
    if from_column["is_array"] or to_column["is_array"]:
        return False
    source, target = type_family(from_column["base_type"]), type_family(to_column["base_type"])
    return target in _CASTABLE.get(source, set())


_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_name(name: str) -> str:
    """A name as lower-case snake words: ``GenreId`` -> ``genre_id``, ``authorId`` -> ``author_id``, ``ReportsTo`` ->
    ``reports_to``, ``_CategoryToPost`` -> ``_category_to_post``; snake_case names are unchanged."""
    return re.sub(r"(?<=.)_+", "_", _WORD_BOUNDARY.sub("_", name)).lower()


def matches_column(schema: str, table: str, column: str, patterns: list[str]) -> bool:
    """True when ``schema.table.column`` matches one of the glob patterns."""
    name = f"{schema}.{table}.{column}"
    return any(fnmatchcase(name, p) for p in patterns)


# -- the catalog seen as tables, keys and columns ------------------------------------------------------------------
class CatalogIndex:
    """Dict indexes over a catalog, built once per run: tables, their columns, keys and FK-covered columns."""

    def __init__(self, catalog: Catalog, config: AuditConfig):
        self.catalog = catalog
        self.config = config
        self.kinds = {(r["schema"], r["name"]): r["kind"] for r in catalog.records("user_tables")}
        self.columns: dict[tuple[str, str], list[dict]] = {
            key: catalog.table_columns(*key) for key in self.kinds}
        self.column_index = {(s, t, c["name"]): c for (s, t), cols in self.columns.items() for c in cols}
        self.by_schema: dict[str, set[str]] = defaultdict(set)
        # snake_name(table) -> table per schema: "Genre" and "genre" both answer to genre; an exact lower-case
        # name wins when two tables normalise alike.
        self.by_snake: dict[str, dict[str, str]] = defaultdict(dict)
        for schema, name in sorted(self.kinds, key=lambda k: (k[0], k[1] != k[1].lower(), k[1])):
            self.by_schema[schema].add(name)
            self.by_snake[schema].setdefault(snake_name(name), name)
        platform = set(config.get("audit", "platform_schemas"))
        others = sorted(s for s in self.by_schema if s not in platform and s != "public")
        self.search_schemas = (["public"] if "public" in self.by_schema else []) + others
        self.primary_keys = {key: catalog.primary_key(*key) for key in self.kinds}
        self.fk_columns: set[tuple[str, str, str]] = set()
        for fk in catalog.records("foreign_keys"):
            for column in fk["columns"]:
                self.fk_columns.add((fk["schema"], fk["table"], column))
        # a reference an old dump restored as RI_FKey_* triggers is declared (badly), not missing
        self.legacy_triggers = legacy_ri_triggers(self)
        for trigger in self.legacy_triggers:
            self.fk_columns.update((*trigger.child, column) for column in trigger.columns)
        self._unique_columns = self._single_unique_columns()
        self._cover_partitioned_parents()
        copies = config.get("relationships", "copy_tables")
        # backups and dated copies (topics_backup_2023, orders_old): their columns echo the original's references
        snakes = {key: snake_name(key[1]) for key in self.kinds}
        self.copies = {key for key, snake in snakes.items() if any(fnmatchcase(snake, p) for p in copies)}

    def _cover_partitioned_parents(self) -> None:
        """A column of a partitioned table counts as covered by a foreign key when every partition declares one on it
        (tables partitioned before PostgreSQL 11 could only declare them per partition)."""
        partitions: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for relation in self.catalog.records("tables"):
            if isinstance(relation["parent_table"], str):
                partitions[(relation["parent_schema"], relation["parent_table"])].append(
                    (relation["schema"], relation["name"]))
        changed = True
        while changed:  # bottom-up through sub-partitioned partitions
            changed = False
            for (schema, table), children in partitions.items():
                for column in self.catalog.table_columns(schema, table):
                    key = (schema, table, column["name"])
                    if key not in self.fk_columns and all((*child, column["name"]) in self.fk_columns
                                                          for child in children):
                        self.fk_columns.add(key)
                        changed = True

    def _single_unique_columns(self) -> dict[tuple[str, str], list[str]]:
        unique: dict[tuple[str, str], list[str]] = defaultdict(list)
        for con in self.catalog.records("constraints"):
            if con["type"] == "unique" and len(con["columns"]) == 1:
                unique[(con["schema"], con["table"])].append(con["columns"][0])
        for index in self.catalog.records("indexes"):
            if index["is_unique"] and index["predicate"] is None and len(index["columns"]) == 1:
                column = index["columns"][0]
                if (index["schema"], index["table"], column) in self.column_index:
                    unique[(index["schema"], index["table"])].append(column)
        return unique

    def key_column(self, schema: str, table: str) -> str | None:
        """The column a reference to this table targets: its single-column PK, else a unique column (``id`` first)."""
        pk = self.primary_keys.get((schema, table), [])
        if len(pk) == 1:
            return pk[0]
        unique = self._unique_columns.get((schema, table), [])
        if "id" in unique:
            return "id"
        return unique[0] if unique else None

    def find_table(self, names: list[str], schemas: list[str]) -> tuple[str, str] | None:
        """The first existing table among ``names`` (in order) searching ``schemas`` in order."""
        for schema in schemas:
            present = self.by_snake.get(schema, {})
            for name in names:
                if name in present:
                    return (schema, present[name])
        return None


# -- references kept by legacy RI triggers --------------------------------------------------------------------------
# The functions behind foreign keys, with the ON DELETE / ON UPDATE action a parent-side trigger stands for. Before
# PostgreSQL 7.3 a foreign key was a set of constraint triggers calling them, and old dumps still restore it that way
# (CREATE CONSTRAINT TRIGGER ... EXECUTE PROCEDURE "RI_FKey_check_ins"('<name>', 'child', 'parent', 'UNSPECIFIED',
# 'child_column', 'parent_column')).
RI_FUNCTIONS = {"RI_FKey_check_ins": ("child", None), "RI_FKey_check_upd": ("child", None)}
for _event in ("del", "upd"):
    for _action, _rule in (("noaction", "NO ACTION"), ("restrict", "RESTRICT"), ("cascade", "CASCADE"),
                           ("setnull", "SET NULL"), ("setdefault", "SET DEFAULT")):
        RI_FUNCTIONS[f"RI_FKey_{_action}_{_event}"] = ("parent_" + _event, _rule)
_TRIGGER_ARGUMENTS = re.compile(r"EXECUTE (?:FUNCTION|PROCEDURE) .*?\((?P<arguments>.*)\)\s*$", re.DOTALL)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True)
class LegacyTrigger:
    """One ``RI_FKey_*`` constraint trigger that is not part of a foreign key: the table it fires on, its name and
    function, what it checks (``child`` columns → ``parent`` columns, read from its arguments), its role
    (``child``: checks inserts and updates of the child; ``parent_del``/``parent_upd``: acts on the parent's
    deletes/updates with ``action``) and the constraint name the dump gave it."""

    schema: str
    table: str
    name: str
    function: str
    events: tuple[str, ...]
    child: tuple[str, str]
    parent: tuple[str, str]
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    role: str
    action: str | None
    constraint: str


def trigger_arguments(definition: str | None) -> list[str]:
    """The string arguments of a trigger from its ``pg_get_triggerdef`` text (``''`` unescaped)."""
    match = _TRIGGER_ARGUMENTS.search(definition or "")
    return [m.replace("''", "'") for m in _LITERAL.findall(match.group("arguments"))] if match else []


def legacy_ri_triggers(model: CatalogIndex) -> list[LegacyTrigger]:
    """The triggers that call PostgreSQL's foreign-key functions without a foreign key behind them, with the child
    and parent tables named in their arguments resolved (the trigger's own schema first, then the search schemas);
    triggers whose tables or columns do not resolve are left out."""
    found = []
    for trigger in model.catalog.records("triggers"):
        role = RI_FUNCTIONS.get(trigger["function_name"])
        if trigger["function_schema"] != "pg_catalog" or role is None:
            continue
        arguments = trigger_arguments(trigger["definition"])
        if len(arguments) < 6 or len(arguments) % 2:
            continue
        schemas = [trigger["schema"], *(s for s in model.search_schemas if s != trigger["schema"])]
        child, parent = _named_table(model, arguments[1], schemas), _named_table(model, arguments[2], schemas)
        columns, ref_columns = tuple(arguments[4::2]), tuple(arguments[5::2])
        if child is None or parent is None or not all((*child, c) in model.column_index for c in columns) \
                or not all((*parent, c) in model.column_index for c in ref_columns):
            continue
        found.append(LegacyTrigger(trigger["schema"], trigger["table"], trigger["name"], trigger["function_name"],
                                   tuple(trigger["events"]), child, parent, columns, ref_columns, role[0], role[1],
                                   arguments[0]))
    return found


def _named_table(model: CatalogIndex, name: str, schemas: list[str]) -> tuple[str, str] | None:
    """The table an unqualified name in trigger arguments means: the first of ``schemas`` that has it."""
    return next(((schema, name) for schema in schemas if name in model.by_schema.get(schema, ())), None)


def legacy_trigger_references(model: CatalogIndex) -> list[Reference]:
    """One reference (kind ``legacy_trigger``) per child columns → parent key that RI triggers stand for, with the
    ON DELETE action of its parent-side delete trigger (NO ACTION when it has none)."""
    grouped: dict[tuple, list[LegacyTrigger]] = defaultdict(list)
    for trigger in model.legacy_triggers:
        grouped[(trigger.child, trigger.columns, trigger.parent, trigger.ref_columns)].append(trigger)
    references = []
    for (child, columns, parent, ref_columns), triggers in sorted(grouped.items()):
        on_delete = next((t.action for t in triggers if t.role == "parent_del"), "NO ACTION")
        references.append(Reference(*child, columns, *parent, ref_columns, kind="legacy_trigger", rule="ri_trigger",
                                    confidence="certain", on_delete=on_delete))
    return references


def name_forms(word: str) -> list[str]:
    """Table names a singular or plural word may stand for: itself, plurals, then singulars."""
    forms = [word, word + "s", word + "es"]
    if word.endswith("y") and len(word) > 1:
        forms.append(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    irregular = {"person": "people", "people": "person", "child": "children", "children": "child"}
    if word in irregular:
        forms.append(irregular[word])
    return list(dict.fromkeys(forms))


def inferred_reference_rows(model: CatalogIndex) -> list[dict]:
    """Inferred references as rows with the column and key dicts attached (see ``Analysis.inferred``)."""
    config = model.config
    ignore = config.get("relationships", "ignore_columns")
    user_columns = set(config.get("relationships", "user_columns"))
    self_columns = set(config.get("relationships", "self_columns"))
    user_roles = set(config.get("relationships", "user_roles"))
    external = tuple(p.lower() for p in config.get("relationships", "external_prefixes"))
    user_tables = [split_table(t) for t in config.get("relationships", "user_tables")]
    schemas_by_name = set(model.by_schema)
    rows = []
    for (schema, table), columns in model.columns.items():
        if model.kinds[(schema, table)] == "foreign table" or (schema, table) in model.copies:
            continue  # foreign tables cannot carry constraints; a backup copy echoes the original's references
        primary_key = model.primary_keys.get((schema, table), [])
        polymorphic = polymorphic_columns(columns)
        others = [schema] + [s for s in model.search_schemas if s != schema]
        positional = _positional_links(model, schema, table, columns)
        for column in columns:
            name = column["name"]
            if (schema, table, name) in model.fk_columns or not key_like_type(column) \
                    or matches_column(schema, table, name, ignore) or name in polymorphic:
                continue
            if primary_key == [name] and (column["default"] or column["identity"]):
                continue  # a key the table numbers itself (outbox.stream_id bigserial), not another table's row
            match = (positional[name], "positional") if name in positional else \
                _resolve(model, schema, table, name, others, user_columns, self_columns, user_roles, user_tables,
                         external, schemas_by_name, column)
            if match is None:
                continue
            target, rule, *alternatives = match
            fitting = [row for row in (_target_row(model, schema, table, column, candidate, rule)
                                       for candidate in (alternatives[0] if alternatives else [target])) if row]
            if not fitting:
                continue
            row = fitting[0]
            row.update({"schema": schema, "table": table, "column": name, "data_type": column["data_type"],
                        "rule": rule, "_column": column,
                        # several tables fit equally: reported as ambiguous, never guessed
                        "candidates": tuple(qualified(r["ref_schema"], r["ref_table"]) for r in fitting)
                        if len(fitting) > 1 else ()})
            rows.append(row)
    rows.sort(key=lambda r: (r["schema"], r["table"], r["column"]))
    return rows


def _target_row(model: CatalogIndex, schema: str, table: str, column: dict, target: tuple[str, str],
                rule: str) -> dict | None:
    """The referenced key of ``target`` for ``column`` (as the ``ref_*`` fields of a row), or None when the target
    has no single-column key or the types rule the reference out."""
    ref_schema, ref_table = target
    ref_name = model.key_column(ref_schema, ref_table)
    if ref_name is None or (ref_schema, ref_table, ref_name) == (schema, table, column["name"]):
        return None  # no key to point at, or the table's own key
    ref_column = model.column_index.get((ref_schema, ref_table, ref_name))
    if ref_column is None:
        return None
    if rule in ("prefix", "suffix", "table_name", "positional", "comment") and not can_declare_fk(column, ref_column):
        return None  # weak name evidence: only trusted when the types agree too
    if not can_declare_fk(column, ref_column) and type_family(column["base_type"]) != "text":
        return None  # an integer can't hold a uuid; a text column can (and is reported as a type mismatch)
    return {"ref_schema": ref_schema, "ref_table": ref_table, "ref_column": ref_name,
            "ref_data_type": ref_column["data_type"], "_ref_column": ref_column}


def polymorphic_columns(columns: list[dict]) -> dict[str, str]:
    """Columns that hold ids of rows in several tables, with the rule that says so: ``type column <name>_type`` for a
    ``<name>_id`` beside a text ``<name>_type`` (the Rails/Laravel convention: noteable_type, noteable_id), or
    ``comment`` for a COMMENT that calls the column polymorphic."""
    by_snake = {snake_name(c["name"]): c for c in columns}
    found = {}
    for column in columns:
        snake = snake_name(column["name"])
        partner = by_snake.get(snake[:-3] + "_type") if snake.endswith("_id") else None
        if partner is not None and type_family(partner["base_type"]) == "text":
            found[column["name"]] = f"type column {partner['name']}"
        elif "polymorphic" in (column.get("comment") or "").lower():
            found[column["name"]] = "comment"
    return found


def polymorphic_references(model: CatalogIndex) -> list[Reference]:
    """Key-typed columns without a foreign key that point at rows of several tables (kind ``polymorphic``): the target
    is named per row, so ``ref_table`` is empty and no foreign key can be declared; they are not missing ones."""
    references = []
    for (schema, table), columns in sorted(model.columns.items()):
        if (schema, table) in model.copies:
            continue
        keyed = {c["name"] for c in columns if key_like_type(c) and (schema, table, c["name"]) not in model.fk_columns}
        for name, rule in sorted(polymorphic_columns(columns).items()):
            if name in keyed:
                references.append(Reference(schema, table, (name,), schema, "", (), kind="polymorphic", rule=rule,
                                            confidence="high" if rule != "comment" else "medium"))
    return references


def _resolve(model: CatalogIndex, schema: str, table: str, name: str, others: list[str], user_columns: set[str],
             self_columns: set[str], user_roles: set[str],
             user_tables: list[tuple[str, str]], external: tuple[str, ...], schemas_by_name: set[str],
             column: dict) -> tuple | None:
    """Which table a column name points at, and the rule that said so (None when it names no table); a third item,
    when present, lists every table that fits the name equally (the first is only one of them)."""
    lowered = snake_name(name)
    if lowered.split("_", 1)[0] in external:
        return None  # stripe_customer_id, google_event_id: ids in another system
    stem = lowered[:-3] if lowered.endswith("_id") and len(lowered) > 3 else None
    # auth_user_id -> auth.users: a leading word that names a schema holding the table.
    if stem and "_" in stem:
        head, rest = stem.split("_", 1)
        if head in schemas_by_name and head != schema:
            found = model.find_table(name_forms(rest), [head])
            if found:
                return found, "schema_prefix"
    if lowered in self_columns:
        return (schema, table), "self"  # parent_id, "ReportsTo": a hierarchy within the table
    if stem:
        found = model.find_table(name_forms(stem), [schema])
        if found == (schema, table):
            return None  # crew.crew_id: the table's own (often external) number, not a reference
        if found:
            return found, "name"
    # A text column with a plain name (category, author) usually holds a label or a person's name, not a key.
    plain_text = stem is None and type_family(column["base_type"]) == "text"
    if stem is None and not lowered.endswith("_by") and not plain_text:
        found = _named_like_table(model, schema, table, lowered)
        if found:
            return found, "table_name"
    # author_id, assignee_id, merged_by_id, approved_by …: a user named by its role. Names outside user_columns only
    # count when typed like the user key (prepared_by text holds a name; a uuid author_id can't hold an integer id).
    role = stem or lowered
    if lowered in user_columns or (role in user_roles and not plain_text) or role.endswith("_by"):
        for user_schema, user_name in user_tables:
            user_table = model.find_table([snake_name(user_name)], [user_schema])
            if user_table is None or model.kinds.get(user_table) not in ("table", "partitioned table"):
                continue
            if lowered not in user_columns:
                key = model.key_column(*user_table)
                key_column = model.column_index.get((*user_table, key)) if key else None
                if key_column is None or not can_declare_fk(column, key_column):
                    return None
            return user_table, "user"
    if stem is None:
        return None
    found = model.find_table(name_forms(stem), others[1:])
    if found and found != (schema, table):
        if found[0] != "public":  # public first; among other schemas, one of several namesakes would be a guess
            namesakes = [t for t in (model.find_table(name_forms(stem), [s]) for s in others[1:]) if t]
            if len(namesakes) > 1:
                return namesakes[0], "name", namesakes
        return found, "name"
    words = stem.split("_")
    # converted_to_quote_id -> quotes, related_client_id -> clients, parent_task_id -> tasks (itself).
    for start in range(1, len(words)):
        found = model.find_table(name_forms("_".join(words[start:])), others)
        if found:
            return found, "self" if found == (schema, table) else "prefix"
    # thread_id -> email_threads, upstream_pipeline_id -> ci_pipelines: a table of the schema whose name ends with the
    # words (the longest ending first); among several, the one with the fewest words before them.
    for start in range(len(words)):
        candidates = _suffix_candidates(model, schema, table, "_".join(words[start:]))
        if candidates:
            return candidates[0], "suffix", *([candidates] if len(candidates) > 1 else [])
    # commit_id COMMENT 'The pipeline (historical name).': a comment that names the table the name does not.
    word = _commented_target(column.get("comment"))
    if word:
        found = model.find_table(name_forms(word), [schema])
        candidates = [found] if found else _suffix_candidates(model, schema, table, word)
        if len(candidates) == 1 and candidates[0] != (schema, table):
            return candidates[0], "comment"
    return None


_COMMENT_REFERS = re.compile(r"\b(?:references?|refers to|points (?:at|to)|id of(?: the| an?)?)\s+\"?([a-z][a-z_]*)",
                             re.IGNORECASE)
_COMMENT_LEADING = re.compile(r"^\s*(?:the|an?)\s+([a-z][a-z_]*)\b", re.IGNORECASE)


def _commented_target(comment: str | None) -> str | None:
    """The word a column comment names as what the column holds: ``The pipeline …``, ``References accounts``."""
    match = _COMMENT_REFERS.search(comment or "") or _COMMENT_LEADING.search(comment or "")
    return snake_name(match.group(1)) if match else None


_POSITION_PAIRS = (("0", "1"), ("1", "2"), ("a", "b"))


def _positional_links(model: CatalogIndex, schema: str, table: str, columns: list[dict]) -> dict[str, tuple[str, str]]:
    """The columns of a link table named after the two tables it joins, by position: ``l_artist_recording.entity0``
    -> artist and ``entity1`` -> recording; Prisma's ``_CategoryToPost."A"`` -> Category, ``"B"`` -> Post."""
    names = {c["name"].lower(): c["name"] for c in columns}
    pairs = [(names[stem + first], names[stem + second]) for stem in {n[:-1] for n in names}
             for first, second in _POSITION_PAIRS if stem + first in names and stem + second in names]
    if len(pairs) != 1:
        return {}
    words = snake_name(table).lstrip("_").split("_")
    splits = []
    if "to" in words[1:-1]:
        at = words.index("to", 1)
        splits.append((words[:at], words[at + 1:]))
    # l_artist_recording: an optional short leading word (l, lnk, map, rel …), then the two table names.
    for skip in (0, 1):
        for at in range(skip + 1, len(words)):
            splits.append((words[skip:at], words[at:]))
    for first_words, second_words in splits:
        first = model.find_table(name_forms("_".join(first_words)), [schema])
        second = model.find_table(name_forms("_".join(second_words)), [schema])
        if first and second and table not in (first[1], second[1]):
            return dict(zip(pairs[0], (first, second), strict=True))
    return {}


def _suffix_candidates(model: CatalogIndex, schema: str, table: str, word: str) -> list[tuple[str, str]]:
    """Tables of ``schema`` (not ``table``) named ``<prefix>_<word>`` in a singular/plural form. Among several, the
    one whose prefix is the referencing table's own module prefix wins (``ci_builds.upstream_pipeline_id`` ->
    ci_pipelines, not ci_sources_pipelines); otherwise all are returned."""
    forms = name_forms(word)
    found = []
    for snake, name in sorted(model.by_snake.get(schema, {}).items()):
        if name != table and (schema, name) not in model.copies and any(snake.endswith("_" + form) and snake != "_" + form for form in forms):
            found.append((snake, name))
    if len(found) > 1:
        module = snake_name(table).lstrip("_").split("_", 1)[0] + "_"
        same_module = [(snake, name) for snake, name in found
                       if snake.startswith(module) and snake[len(module):] in forms]
        if len(same_module) == 1:
            found = same_module
    return [(schema, name) for _, name in found]


def _named_like_table(model: CatalogIndex, schema: str, table: str, lowered: str) -> tuple[str, str] | None:
    """The table a column without an ``_id`` suffix is named after, in its own schema (the caller checks the types).

    ``orders.customer`` -> customer, ``refunds.payment`` -> payments; ``artist.type`` -> artist_type (the table's own
    lookup of that name); ``subscribed_editor`` -> editor (a participle naming the role, like ``related_client``).
    """
    own = snake_name(table)
    lookups = [f"{form}_{word}" for form in name_forms(own) for word in name_forms(lowered)]
    found = model.find_table(lookups, [schema])
    if found and found != (schema, table):
        return found
    found = model.find_table(name_forms(lowered), [schema])
    if found:
        return found if found != (schema, table) else None
    words = lowered.split("_")
    if len(words) > 1 and words[0].endswith("ed"):
        found = model.find_table(name_forms("_".join(words[1:])), [schema])
        if found:
            return found
    return None


def overlap_confidence(confidence: str, measured: dict, config: AuditConfig) -> str | None:
    """How sure an inferred reference is once the share of its sampled values found in the parent is known
    (``measured``: sampled, found, share): None when the data refutes it (almost no value exists in the parent),
    ``low`` when under half do, ``high`` when nearly all do; unchanged with too few values to judge."""
    sampled, share = int(measured.get("sampled") or 0), measured.get("share")
    if share is None or sampled < int(config.get("relationships", "overlap_min_values")):
        return confidence
    if share < float(config.get("relationships", "overlap_refuted_below")):
        return None
    if share < float(config.get("relationships", "overlap_doubtful_below")):
        return "low"
    if share >= float(config.get("relationships", "overlap_confirmed_at")):
        return "high"
    return confidence


@dataclass(frozen=True)
class Reference:
    """One table pointing at another: a foreign key (valid or NOT VALID) or a reference inferred from names.

    ``rule`` is what produced it (``foreign key`` for constraints, else the naming rule: name, table_name, user,
    schema_prefix, self, prefix, suffix, positional), ``confidence`` how sure that is (certain, high, medium, low),
    ``on_delete`` the constraint's ON DELETE rule (None for references no constraint declares), ``constraint`` its
    name, and ``candidates`` the tables an ambiguous inferred reference may point at (empty otherwise).
    """

    schema: str
    table: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    kind: str = "declared"
    rule: str = "foreign key"
    confidence: str = "certain"
    on_delete: str | None = None
    constraint: str | None = None
    candidates: tuple[str, ...] = ()
    overlap: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown reference kind {self.kind!r}; one of {', '.join(KINDS)}")

    @classmethod
    def from_foreign_key(cls, fk: dict) -> Reference:
        """The reference a catalog ``foreign_keys`` record declares (``not_valid`` when it is not validated)."""
        validated = fk.get("validated", True)
        return cls(fk["schema"], fk["table"], tuple(fk["columns"]), fk["ref_schema"], fk["ref_table"],
                   tuple(fk["ref_columns"]), kind="declared" if validated is not False else "not_valid",
                   on_delete=fk["on_delete"], constraint=fk["name"])

    @classmethod
    def inferred(cls, row: dict, measured: dict | None = None, config: AuditConfig | None = None) -> Reference:
        """The reference an inference row stands for (see ``inferred_reference_rows``); ``measured`` is its value
        overlap when data was read (see ``overlap_confidence``)."""
        candidates = tuple(row.get("candidates") or ())
        confidence = "low" if candidates else CONFIDENCE.get(row["rule"], "medium")
        if measured is not None and config is not None:
            confidence = overlap_confidence(confidence, measured, config) or "low"
        return cls(row["schema"], row["table"], (row["column"],), row["ref_schema"], row["ref_table"],
                   (row["ref_column"],), kind="inferred", rule=str(row["rule"]), confidence=confidence,
                   candidates=candidates, overlap=measured.get("share") if measured else None)

    @property
    def ambiguous(self) -> bool:
        """True for an inferred reference whose name fits several tables equally (``candidates`` lists them)."""
        return len(self.candidates) > 1

    @property
    def declared(self) -> bool:
        """True for a foreign key constraint, validated or not."""
        return self.kind in ("declared", "not_valid")

    @property
    def enforced(self) -> bool:
        """True when the database guarantees every row's parent exists (a validated foreign key)."""
        return self.kind == "declared"

    @property
    def source(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def target(self) -> tuple[str, str]:
        return (self.ref_schema, self.ref_table)

    @property
    def column(self) -> str:
        """The first (for inferred references the only) referencing column."""
        return self.columns[0]

    @property
    def ref_column(self) -> str:
        return self.ref_columns[0]

    @property
    def object(self) -> str:
        """``schema.table.column[,column]``: the referencing columns, as findings name them."""
        return qualified(self.schema, self.table, ",".join(self.columns))

    @property
    def parent(self) -> str:
        return qualified(self.ref_schema, self.ref_table)

    @property
    def provenance(self) -> str:
        """Why the rows are not guaranteed: ``inferred (name)``, ``NOT VALID foreign key <name>`` or ``legacy RI
        triggers (no foreign key)``."""
        if self.kind == "not_valid":
            return f"NOT VALID foreign key {self.constraint}"
        if self.kind == "legacy_trigger":
            return "legacy RI triggers (no foreign key)"
        return f"{self.kind} ({self.rule})" if not self.declared else f"foreign key {self.constraint}"

    def describe(self) -> str:
        """``s.t.col -> s.parent.key (foreign key)`` or ``(inferred: rule)``: how tenancy findings name a hop."""
        how = "foreign key" if self.declared else "legacy RI triggers" if self.kind == "legacy_trigger" \
            else f"inferred: {self.rule}"
        return (f"{self.schema}.{self.table}.{','.join(self.columns)} -> "
                f"{self.ref_schema}.{self.ref_table}.{','.join(self.ref_columns)} ({how})")

    def label(self) -> str:
        """``s.t(col) → s.parent(key): ON DELETE rule`` (or ``no foreign key``): a diagram edge's tooltip."""
        how = "no foreign key" if not self.declared else f"ON DELETE {self.on_delete}"
        return (f"{self.schema}.{self.table}({', '.join(self.columns)}) → {self.ref_schema}.{self.ref_table}"
                f"({', '.join(self.ref_columns)}): {how}")


def declared_references(catalog: Catalog) -> list[Reference]:
    """Every foreign key of the catalog, in catalog order."""
    return [Reference.from_foreign_key(fk) for fk in catalog.records("foreign_keys")]
