"""The Analysis: what one catalog means under one configuration, derived once per run and read by everything.

``run_checks`` builds one ``Analysis`` per audit and hands it to the checks that declare ``needs=("analysis",)``;
the audit result carries it on to the report, the diagrams and the charts. Each part (the catalog index, the
references, the tenancy model, the cascade graph, the comment coverage) is computed on first use and kept; a lock
makes that hold when data checks read it from several threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.model.cascade import CascadeGraph, on_delete_rules
from auditlib.model.comments import TableComments, coverage_frame, table_comments
from auditlib.model.references import (
    REFERENCE_COLUMNS,
    CatalogIndex,
    Reference,
    declared_references,
    inferred_reference_rows,
    legacy_trigger_references,
    overlap_confidence,
    polymorphic_references,
)
from auditlib.model.tenancy import TenancyModel, build_tenancy, resolve_tenancy, scope_frame

T = TypeVar("T")


class Analysis:
    """The derived model of a catalog and a config: references, tenancy, cascade graph and comments, built once."""

    def __init__(self, catalog: Catalog, config: AuditConfig | None = None):
        self.catalog = catalog
        self.config = config or AuditConfig()
        self._lock = threading.RLock()
        self._parts: dict[Hashable, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        # The parts built so far travel with the pickle (the report's kernel reads the parent's audit); a lock cannot.
        return {key: value for key, value in self.__dict__.items() if key != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def once(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for, the kept value after (thread-safe)."""
        with self._lock:
            if key not in self._parts:
                self._parts[key] = build()
            return self._parts[key]

    # -- the parts ------------------------------------------------------------------------------------------------
    @property
    def index(self) -> CatalogIndex:
        """Tables, their columns, keys and FK-covered columns as dicts keyed by qualified name."""
        return self.once("index", lambda: CatalogIndex(self.catalog, self.config))

    @property
    def declared(self) -> list[Reference]:
        """Every foreign key (kind ``declared`` or ``not_valid``), in catalog order."""
        return self.once("declared", lambda: declared_references(self.catalog))

    @property
    def _inferred_rows(self) -> list[dict]:
        return self.once("inferred_rows", lambda: [row for row in self._all_inferred_rows if not row["candidates"]
                                                   and not self._refuted(row)])

    # -- value overlap, measured in the database before the references are read ----------------------------------
    def candidate_references(self) -> list[Reference]:
        """The inferred references as the names alone give them (unambiguous ones, before any value overlap):
        what ``apply_overlap`` takes measurements of."""
        return [Reference.inferred(row) for row in self._all_inferred_rows if not row["candidates"]]

    def apply_overlap(self, measured: dict[tuple[str, str, str], dict]) -> None:
        """Take the value overlap measured for inferred references, keyed by (schema, table, column): each a dict
        with ``sampled``, ``found`` and ``share`` (see ``auditlib.checks.relationships.measure_reference_overlap``).
        A reference the data refutes leaves ``inferred`` (see ``refuted``); the others' confidence follows the
        share. Must come before anything reads the references."""
        with self._lock:
            if "inferred_rows" in self._parts:
                raise RuntimeError("the value overlap must be applied before the references are first read")
            self._parts["overlap"] = dict(measured)

    @property
    def overlap(self) -> dict[tuple[str, str, str], dict]:
        """The value overlap measured per inferred reference (empty when no data was read)."""
        return self._parts.get("overlap", {})

    def _refuted(self, row: dict) -> bool:
        measured = self.overlap.get((row["schema"], row["table"], row["column"]))
        return measured is not None and overlap_confidence("medium", measured, self.config) is None

    @property
    def refuted(self) -> list[Reference]:
        """Inferred references the data refutes: almost none of the sampled values exist in the parent, so the
        column holds something else (never reported as a missing foreign key)."""
        return self.once("refuted", lambda: [
            Reference.inferred(row, self.overlap[(row["schema"], row["table"], row["column"])], self.config)
            for row in self._all_inferred_rows if not row["candidates"] and self._refuted(row)])

    @property
    def _all_inferred_rows(self) -> list[dict]:
        return self.once("all_inferred_rows", lambda: inferred_reference_rows(self.index))

    @property
    def inferred(self) -> list[Reference]:
        """Columns that evidently refer to another table's key but no foreign key covers (kind ``inferred``).

        One per column, ordered by schema, table, column; names are compared as snake words (``authorId`` is
        author_id). ``rule`` says which naming rule matched: ``name`` (``project_id`` → projects), ``table_name``
        (``orders.customer`` → customer, ``artist.type`` → artist_type), ``user`` (``created_by``/``user_id`` and
        the other ``relationships.user_columns``, a role of ``relationships.user_roles`` such as ``author_id``, or
        any ``*_by``/``*_by_id`` column typed like the user key → the first existing table of
        ``relationships.user_tables``), ``schema_prefix`` (``auth_user_id`` → auth.users), ``self`` (``parent_id``,
        ``ReportsTo``), ``prefix`` (``converted_to_quote_id`` → quotes), ``suffix`` (``thread_id`` → email_threads,
        ``upstream_pipeline_id`` → ci_pipelines) or ``positional`` (``l_artist_recording.entity0`` → artist). The
        target is always the referenced table's single-column primary key or a unique column. Text columns pointing
        at a uuid/integer key are kept (their type differs: see ``fk_type_mismatch``); for the other rules than
        name/user/schema_prefix/self the types must agree. Not references: columns of partitioned tables whose every
        partition declares the foreign key, backups and dated copies (``relationships.copy_tables``), polymorphic
        columns (``noteable_id`` beside ``noteable_type``, or a COMMENT saying so), a primary key the table generates
        itself. Names that fit several tables equally are in ``ambiguous`` instead. Where the value overlap was
        measured (``apply_overlap``), each reference's confidence follows it and those the data refutes are in
        ``refuted`` instead.
        """
        return self.once("inferred", lambda: [
            Reference.inferred(row, self.overlap.get((row["schema"], row["table"], row["column"])), self.config)
            for row in self._inferred_rows])

    @property
    def polymorphic(self) -> list[Reference]:
        """Columns that hold ids of rows in several tables (``noteable_id`` beside ``noteable_type``, or a COMMENT
        saying polymorphic): kind ``polymorphic``, no target table; never reported as missing foreign keys."""
        return self.once("polymorphic", lambda: polymorphic_references(self.index))

    @property
    def ambiguous(self) -> list[Reference]:
        """Columns whose name fits several tables equally (``item_id`` with kit_items and rate_card_items): inferred
        references with ``candidates``, kept out of ``inferred`` and ``references`` so that nothing builds on a
        guess; fk_missing reports them as ambiguous."""
        return self.once("ambiguous", lambda: [Reference.inferred(row) for row in self._all_inferred_rows
                                               if row["candidates"]])

    @property
    def legacy_triggers(self) -> list[Reference]:
        """References kept by pre-7.3 style ``RI_FKey_*`` constraint triggers instead of a foreign key (kind
        ``legacy_trigger``): declared in their way, so never inferred; fk_legacy_trigger reports them."""
        return self.once("legacy_triggers", lambda: legacy_trigger_references(self.index))

    @property
    def references(self) -> list[Reference]:
        """Declared foreign keys, the references legacy RI triggers stand for, then the inferred references no
        foreign key already declares."""
        def build() -> list[Reference]:
            declared = {(r.schema, r.table, r.columns) for r in self.declared}
            return [*self.declared, *self.legacy_triggers,
                    *(r for r in self.inferred if (r.schema, r.table, r.columns) not in declared)]
        return self.once("references", build)

    @property
    def unenforced(self) -> list[Reference]:
        """The references orphans can hide behind: the inferred ones, the foreign keys declared NOT VALID and those
        only legacy RI triggers stand for (they check nothing)."""
        return self.once("unenforced", lambda: sorted(
            [*self.inferred, *(r for r in self.declared if r.kind == "not_valid"), *self.legacy_triggers],
            key=lambda r: (r.schema, r.table, r.columns)))

    @property
    def tenancy(self) -> TenancyModel:
        """Every table's tenancy scope and how inheriting tables reach tenant data."""
        return self.once("tenancy", lambda: build_tenancy(self.catalog, self.config, self.references))

    @property
    def resolved_config(self) -> AuditConfig:
        """The config with the tenant column, root and membership table the tenancy model took (configured or
        detected; empty when there is no tenancy): what the checks, the cascade graph and the report read."""
        return self.once("resolved_config", lambda: resolve_tenancy(self.config, self.tenancy))

    @property
    def cascade(self) -> CascadeGraph:
        """The foreign keys as a graph of deletes, with the deletes that reach protected tables."""
        return self.once("cascade", lambda: CascadeGraph(self.catalog, self.resolved_config))

    @property
    def comments(self) -> list[TableComments]:
        """Every table's comment, JSON columns and the columns whose names need a comment."""
        return self.once("comments", lambda: table_comments(self.catalog, self.config, self.references))

    # -- lookups and views ----------------------------------------------------------------------------------------
    def column_of(self, ref: Reference) -> dict:
        """The catalog record of a single-column reference's column."""
        return self.index.column_index[(ref.schema, ref.table, ref.column)]

    def ref_column_of(self, ref: Reference) -> dict:
        """The catalog record of the key column a single-column reference points at."""
        return self.index.column_index[(ref.ref_schema, ref.ref_table, ref.ref_column)]

    def inferred_frame(self) -> pd.DataFrame:
        """The inferred references as a table: schema, table, column, data_type, ref_schema, ref_table,
        ref_column, ref_data_type, rule."""
        return pd.DataFrame([{k: row[k] for k in REFERENCE_COLUMNS} for row in self._inferred_rows],
                            columns=REFERENCE_COLUMNS)

    def tenant_scope(self) -> pd.DataFrame:
        """One row per table: category, tenant column facts and scope (see ``auditlib.model.tenancy``)."""
        return scope_frame(self.tenancy)

    def comment_coverage(self, schemas: list[str] | None = None) -> pd.DataFrame:
        """Comment coverage per table category of ``schemas`` (default: the audited ones), with an ``All`` row."""
        if schemas is None:
            schemas = self.config.audited_schemas(list(self.catalog.schemas["name"]))
        wanted = set(schemas)
        return coverage_frame([entry for entry in self.comments if entry.schema in wanted], self.config)

    def on_delete_rules(self, schemas: list[str] | None = None) -> pd.DataFrame:
        """Every foreign key's ON DELETE rule with a risk assessment, plus references without one."""
        return on_delete_rules(self, schemas)
