"""Audit configuration: thresholds and heuristics with defaults, read from an ``auditlib.toml``.

Every key is documented in ``DEFAULTS``; unknown keys are an error (a typo must not silently fall back to a
default). Checks read values through ``AuditConfig`` and record the values they used in their findings' evidence.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase, translate
from pathlib import Path
from typing import Any

from auditlib.findings import SEVERITIES

PLATFORM_SCHEMAS = ("auth", "storage", "realtime", "extensions", "graphql", "graphql_public", "supabase_functions",
                    "supabase_migrations", "vault", "pgsodium", "pgsodium_masks", "net", "cron", "pgbouncer",
                    "_realtime", "_analytics", "pgtle", "topology", "tiger", "tiger_data", "repack", "partman")

DEFAULTS: dict[str, dict[str, Any]] = {
    "audit": {
        "schemas": [],                      # schemas to audit; empty = every user schema but the platform ones
        "platform_schemas": list(PLATFORM_SCHEMAS),  # left out unless named (or 'all')
        "disabled_checks": [],              # check names not to run
    },
    "severity": {},                         # check name -> severity, overriding the check's default
    "structure": {
        "expected_pk_type": "",             # e.g. "uuid"; empty = the schema's dominant PK type
        "created_column": "created_at",
        "updated_column": "updated_at",
        # tables that only need created_at (rows are appended, never updated): glob patterns on the table name
        "append_only_tables": ["*_log", "*_logs", "*_history", "*_events", "*audit*"],
        "pk_dominant_min_tables": 3,        # single-column PKs a schema needs before one pattern counts as its norm
        # a convention check (timestamps_missing) runs only where the convention exists: at least this share of the
        # tables must keep a column before the others are asked for it
        "convention_min_share": 0.5,
        # bookkeeping tables of migration tools and frameworks (glob patterns on the table name): never findings of
        # the convention checks (timestamps_missing, pk_type_inconsistent), and left out of the conventions
        "framework_tables": ["schema_migrations", "ar_internal_metadata", "__diesel_schema_migrations",
                             "_sqlx_migrations", "_prisma_migrations", "django_migrations", "django_content_type",
                             "django_session", "django_admin_log", "auth_permission", "alembic_version",
                             "flyway_schema_history", "goose_db_version", "knex_migrations", "knex_migrations_lock",
                             "SequelizeMeta", "SequelizeData", "typeorm_metadata", "migrations", "migrations_lock",
                             "doctrine_migration_versions", "__EFMigrationsHistory", "databasechangelog",
                             "databasechangeloglock", "schema_version", "pgmigrations", "refinery_schema_history",
                             "atlas_schema_revisions", "_migrations", "kysely_migration", "kysely_migration_lock",
                             "drizzle_migrations", "__drizzle_migrations", "supabase_migrations"],
    },
    "relationships": {
        "ignore_columns": [],               # glob patterns of "schema.table.column" never treated as references
        # where *_by / user_id columns point: the first that exists (names compared as snake words: "User" is user)
        "user_tables": ["public.users", "public.user", "public.auth_user", "public.profiles", "auth.users"],
        # column names that hold a user id (they point at the first existing table of user_tables)
        "user_columns": ["user_id", "created_by", "updated_by", "deleted_by", "owner_id", "assigned_to",
                         "auth_user_id"],
        # roles a user plays (author_id, "authorId", assignee, reviewer_id): such columns point at the users table
        # when no table is named after the role and the types fit; any *_by / *_by_id column counts too
        "user_roles": ["author", "creator", "owner", "assignee", "reviewer", "approver", "editor", "reporter",
                       "requester", "submitter", "uploader", "moderator"],
        # tables that are backups or dated copies of another (glob patterns on the snake_case name): their columns
        # are not inferred as references (they repeat the original's)
        "copy_tables": ["*_backup", "*_backup_*", "*_bak", "*_old", "*_copy", "*_tmp", "*_[0-9][0-9][0-9][0-9]",
                        "*_[0-9][0-9][0-9][0-9]_*"],
        # column names (as snake words: "ReportsTo" is reports_to) that point at their own table's key: a hierarchy
        "self_columns": ["parent_id", "reports_to"],
        # first words of column names that hold another system's ids (stripe_customer_id): never references
        "external_prefixes": ["stripe", "google", "gmail", "microsoft", "outlook", "apple", "facebook", "meta",
                              "hubspot", "salesforce", "xero", "quickbooks", "slack", "github", "twilio", "paypal",
                              "shopify", "zoom", "external", "provider", "vendor", "remote", "legacy"],
        "type_consistency_min_tables": 3,   # a non-key column name is compared across tables from this many on
        # -- value overlap (when data checks run): up to overlap_values distinct values of each inferred reference's
        # column (read from at most overlap_scan_rows rows, a page sample of a larger table) are looked up in the
        # candidate parent, one query per reference, for at most overlap_max_references references (the least sure
        # first). With at least overlap_min_values values, a share found under overlap_refuted_below means the
        # column is not a reference (not reported), under overlap_doubtful_below lowers its confidence to low, and
        # at least overlap_confirmed_at raises it to high.
        "overlap_values": 200,
        "overlap_scan_rows": 20_000,
        "overlap_max_references": 200,
        "overlap_min_values": 5,
        "overlap_refuted_below": 0.05,
        "overlap_doubtful_below": 0.5,
        "overlap_confirmed_at": 0.9,
    },
    "cascade": {
        # tables a cascade must never silently reach (glob patterns on the table name)
        "protected_tables": ["*invoice*", "*payment*", "*expense*", "*audit*", "*_history", "*_logs", "*ledger*",
                             "*transaction*", "*contract*", "*purchase_order*", "*gdpr*", "*billing*"],
        "max_depth": 6,
        "max_paths": 5,                     # cascade paths listed per finding (shortest first)
        # severity of cascade_reach from the tenant root: deleting a tenant is meant to remove its data
        "tenant_root_severity": "info",
    },
    "tenancy": {
        # the tenant column and root table; empty = detected from the schema: the root is the table the most tables
        # reference through a column named in column_candidates, the column the name most of them use
        "tenant_column": "",
        "tenant_root": "",
        "column_candidates": ["tenant_id", "organization_id", "organisation_id", "org_id", "account_id",
                              "workspace_id", "team_id", "company_id"],
        # names of tenant roots, preferred when two candidates are referenced by as many tables
        "root_candidates": ["tenants", "tenant", "organizations", "organization", "organisations", "organisation",
                            "orgs", "accounts", "workspaces", "teams", "companies"],
        # a detected root counts when at least min_tables tables carry its column, or at least min_coverage of the
        # other tables carry it or reach the root through references (one unrelated organization_id column does
        # not make a database multi-tenant)
        "min_tables": 3,
        "min_coverage": 0.5,
        # the table of who belongs to which tenant; empty = the table with the tenant column and
        # membership_user_column whose name says member (tenant_members, organization_memberships ...)
        "membership_table": "",
        "membership_user_column": "user_id",
        "global_tables": [],                # glob patterns of tables that hold no tenant data
        "api_roles": ["anon", "authenticated"],
        # the schemas the API exposes (PostgREST's db-schemas): what the exposure checks count as reachable
        "api_schemas": ["public"],
        # roles that bypass RLS: a policy whose condition admits only them (auth.role() = 'service_role') opens
        # nothing to the API roles
        "service_roles": ["service_role"],
        # columns that record who did something (not whose data a row is): a reference to a users table through
        # them does not make a table hold user data (glob patterns on the column name)
        "user_reference_ignore": ["*_by", "*_by_id", "*_by_user_id"],
        # tenant_column_missing findings on tables of these categories are high, the others medium
        "high_severity_categories": ["Financial"],
        # category -> glob patterns on the table name; the first category with a matching pattern wins, in this
        # order; a table that matches none is "Other" (the report's coverage table groups tables by these)
        "categories": {
            "Multi-tenancy": ["organization*", "organisation*", "tenant*", "subscription*", "team*", "workspace*",
                              "membership*"],
            "Call Sheets": ["call_sheet*"],
            "Crew": ["crew*"],
            "Equipment": ["kit_*", "kit", "equipment*", "inventory*", "asset*"],
            "Financial": ["invoice*", "expense*", "payment*", "purchase_order*", "contract*", "billing*",
                          "ledger*", "transaction*", "refund*", "credit_note*", "tax*"],
            "AI/Knowledge": ["agent_*", "knowledge_*", "ai_*", "research_*", "*embedding*", "prompt*"],
            "Email": ["email*", "gmail*", "microsoft*", "outlook*", "google_*", "mail*", "*_tokens"],
            "Workflow": ["workflow*", "automation*", "job*", "schedule*"],
            "Sports Research": ["sport*", "media_rights*", "league*", "venue*", "fixture*"],
            "Audit/Compliance": ["audit*", "gdpr*", "data_export*", "account_deletion*", "security_event*",
                                 "*_audit", "consent*", "compliance*"],
            "Settings": ["settings", "*_settings", "setting_*", "*preferences", "rate_card_section*", "sop*",
                         "config*", "feature_flag*", "api_key*", "webhook*", "integration*", "currenc*"],
            "CRM": ["opportunit*", "contact*", "activit*", "lead*", "deal*", "compan*", "pipeline*"],
            "Projects": ["project*", "task*", "milestone*", "deliverable*", "timeline*"],
            "Core": ["quote*", "client*", "rate_card*", "user*", "profile*", "onboarding*", "customer*"],
        },
    },
    "duplicates": {
        # columns left out of the comparison: keys and bookkeeping every table has (the tenant column is
        # always left out too)
        "ignore_columns": ["id", "created_at", "updated_at", "deleted_at", "created_by", "updated_by"],
        "min_columns": 3,                   # tables with fewer compared columns are never lookalikes
        "min_jaccard": 0.8,                 # shared / all compared columns, for tables whose names are unrelated
        "min_shared_columns": 5,            # ... and at least this many shared (small lookup tables look alike)
        # for names that differ by a prefix or suffix (crew vs crew_contacts): shared / columns of the smaller table
        "min_shared_ratio": 0.6,
        # a name pattern (a shared first or last word: l_artist_artist, l_artist_release ...; *_annotation) shared by
        # at least this many look-alike tables is a family of one table per kind, by design: not reported
        "family_min_tables": 3,
        # suffixes that mark a copy of a table (contacts_old, agent_memory_backup); with one of them, or the same
        # name in two schemas, half of the smaller table's columns shared is enough
        "copy_suffixes": ["old", "new", "backup", "bak", "copy", "tmp", "temp", "archive", "archived", "legacy",
                          "v[0-9]*", "[0-9][0-9][0-9][0-9]*", "unified", "consolidated", "deprecated"],
    },
    "code": {
        # source files the code scan (--code DIR) reads, by extension; .vue/.svelte: their <script> blocks
        "extensions": [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte", ".py"],
        # folders never scanned (glob patterns on the folder name): dependencies, build output, vendored code,
        # hidden folders (.git, .next, .svelte-kit …)
        "skip_dirs": ["node_modules", "bower_components", "jspm_packages", "dist", "build", "out", "coverage",
                      "vendor", "third_party", "__pycache__", "venv", "site-packages", ".*"],
        "skip_files": ["*.min.js", "*.min.mjs", "*.bundle.js", "*.d.ts"],  # minified or generated
        "max_file_bytes": 1_000_000,        # larger files are skipped (bundles, generated code)
        # schema of the names the code does not qualify (PostgREST's db-schema, the SQL search_path)
        "default_schema": "public",
        # calls whose first argument is SQL: a string passed there is read as SQL even in lower case; elsewhere
        # only strings that start with an upper-case SELECT/WITH/INSERT/UPDATE/DELETE/MERGE are
        "sql_calls": ["query", "execute", "executemany", "exec", "raw", "unsafe", "prepare", "text", "sql",
                      "read_sql", "read_sql_query", "fetch", "fetchrow", "fetchval", "mogrify", "copy_expert",
                      "any", "one", "oneOrNone", "many", "manyOrNone", "none", "result", "$queryRaw",
                      "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"],
        # tables table_unused_in_code never reports (glob patterns on the table name or schema.table)
        "unused_ignore_tables": [],
    },
    "data": {
        "statement_timeout_ms": 30_000,
        "lock_timeout_ms": 2_000,
        "sample_rows": 1_000,
        "min_rows": 50,
        # data checks run at once, each query on its own connection (1 = one after another); the server does the
        # work, so more than its spare cores only queue
        "workers": 2,
        # orphan_rows walks an indexed reference's distinct values through the index (instead of grouping every row)
        # when the planner estimates at least this many rows per distinct value
        "orphan_walk_rows_per_value": 50,
        # -- JSON references (json_reference, json_orphans); documents are sampled up to sample_rows per column
        "json_max_document_bytes": 1_000_000,   # larger documents are left out of the sample
        "json_max_depth": 16,                   # nesting levels walked in a sampled document
        "json_max_object_keys": 50,             # an object with more distinct keys is a map (its keys are data)
        "json_probe_values": 100,               # distinct sampled ids per path checked against candidate tables
        "json_min_named_hit_rate": 0.2,         # share of those ids a table the key names must hold to be the target
        "json_min_hit_rate": 0.5,               # ... and a table found by trying keys only (uuid ids)
        "json_max_probe_tables": 100,           # tables tried by key when the name points nowhere (uuid ids only)
        # json_orphans reads every row of a table up to this many rows (planner estimate); a larger table is read
        # through a sample of about this many rows and its counts are estimates (0 = always every row)
        "json_scan_rows": 25_000,
    },
    "probe": {
        # rls_leak: impersonates members the way Supabase does (SET LOCAL ROLE + request.jwt.claims), rolled back
        "role": "",                             # role to impersonate; empty = first of tenancy.api_roles but anon
        "organizations": 3,                     # organisations whose members are impersonated (at least 2 needed)
        "members_per_organization": 1,          # members impersonated per organisation
        "include_non_member": True,             # also a signed-up user who belongs to no organisation, if any
        "max_parent_keys": 10_000,              # tables judged through their parent: parent keys sent back per user
        # tables with more rows (planner estimate) are probed through a page sample of about this many rows: their
        # counts are estimates, except rows without a tenant, counted exactly (0 = always every row)
        "scan_rows": 25_000,
    },
    "comments": {
        # column names that explain themselves (glob patterns): comment_missing never asks a comment for them.
        # JSON columns always need one; so does every other column, except a column of obvious_types and a
        # reference that names its target (project_id -> projects, converted_to_quote_id -> quotes,
        # thread_id -> email_threads; declared or inferred).
        "obvious_columns": ["id", "uuid", "parent_id", "name", "*_name", "title", "*_title", "subtitle",
                            "description", "*_description", "notes", "note", "subject", "body", "message",
                            "content", "summary", "caption", "reason", "*_reason", "tags", "labels", "color",
                            "colour", "company", "industry", "email", "*_email", "phone", "*_phone", "mobile",
                            "website", "url", "*_url", "address", "*_address", "address_line*", "street", "city",
                            "county", "region", "country", "postcode", "postal_code", "zip", "zip_code",
                            "location", "latitude", "longitude", "timezone", "locale", "language", "currency",
                            "slug", "avatar*", "logo*", "*_path", "mime_type", "user_agent", "position",
                            "sort_order", "display_order", "*_number", "*_count", "created_at", "updated_at",
                            "deleted_at", "*_by", "assigned_to", "*_at", "*_date", "date", "is_*", "has_*"],
        # column base types that explain themselves (a boolean is a yes/no named after its question)
        "obvious_types": ["bool"],
    },
    "candidates": {
        # numeric column names (glob patterns) that hold counts, durations, amounts, quantities or days: a CHECK
        # (col >= 0) is suggested when the data has no negative value
        "nonnegative_columns": ["*count", "*_count_*", "num_*", "*days", "*_hours", "hours", "*_minutes",
                                "minutes", "*_seconds", "*_ms", "duration*", "*_duration", "*amount*", "*quantity*",
                                "qty", "*_qty", "*price*", "*cost*", "*fee", "*fees", "*_total", "total", "total_*",
                                "*_size", "size_bytes", "*_bytes", "*budget*", "*_rate", "capacity", "seats"],
        # of those, the ones where zero makes no sense: CHECK (col > 0) when no row holds 0 (else >= 0)
        "positive_columns": ["*days", "*quantity*", "qty", "*_qty", "capacity", "seats"],
        # pairs of words that mark a start and an end column when one replaces the other in a name
        # (start_date/end_date, issue_date/due_date, valid_from/valid_to): CHECK (end >= start) is suggested for
        # date/timestamp pairs where the end never precedes the start
        "date_pairs": [["start", "end"], ["starts", "ends"], ["started", "ended"], ["started", "finished"],
                       ["started", "completed"], ["begin", "end"], ["begins", "ends"], ["issue", "due"],
                       ["issued", "due"], ["from", "to"], ["opened", "closed"], ["check_in", "check_out"]],
        # text column names (glob patterns) that hold a category: a CHECK (col IN (...)) is suggested when the
        # data holds between 2 and max_values distinct values
        "closed_set_columns": ["status", "*_status", "type", "*_type", "kind", "*_kind", "stage", "*_stage",
                               "state", "*_state", "category", "*_category", "priority", "*_priority", "role",
                               "*_role", "level", "*_level", "source", "*_source", "channel", "*_channel", "tier",
                               "*_tier", "severity", "frequency", "visibility", "method", "*_method", "mode"],
        "max_values": 8,                    # most distinct values a closed-set candidate may have
        "max_value_length": 40,             # longest value a closed-set candidate may hold (longer = free text)
        # tables the statistics put at or under this many rows are read whole; bigger ones are sampled
        # (TABLESAMPLE SYSTEM ... REPEATABLE, then LIMIT sample_rows)
        "full_scan_rows": 100_000,
        "sample_rows": 20_000,              # rows read from a sampled table
        # conversion references (glob patterns on the column name): reverse_ref_missing looks for the way back
        "reverse_ref_columns": ["converted_to_*_id", "converted_into_*_id", "converted_*_id", "promoted_to_*_id",
                                "promoted_*_id", "created_*_id", "generated_*_id", "spawned_*_id", "copied_to_*_id",
                                "cloned_to_*_id", "migrated_to_*_id", "upgraded_to_*_id", "turned_into_*_id",
                                "resulted_in_*_id", "renewed_as_*_id", "moved_to_*_id", "transferred_to_*_id"],
        # references a conversion column must hold before one-to-one in the data counts
        "reverse_ref_min_rows": 10,
    },
}


class ConfigError(ValueError):
    """The configuration file is unreadable or holds an unknown key or a bad value."""


@dataclass
class AuditConfig:
    """Settings for one audit run; ``AuditConfig()`` is the defaults."""

    values: dict[str, dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    path: str | None = None

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def get(self, section: str, key: str) -> Any:
        """One setting: ``config.get("tenancy", "tenant_column")``."""
        return self.values[section][key]

    def with_overrides(self, overrides: dict[str, dict[str, Any]]) -> AuditConfig:
        """A copy with some settings replaced (validated like a file)."""
        merged = copy.deepcopy(self.values)
        _merge(merged, overrides, origin="overrides")
        return AuditConfig(values=merged, path=self.path)

    def severity_for(self, check: str, default: str) -> str:
        return self.values["severity"].get(check, default)

    @property
    def tenant_column(self) -> str:
        return self.values["tenancy"]["tenant_column"]

    @property
    def tenant_root(self) -> tuple[str, str]:
        return split_table(self.values["tenancy"]["tenant_root"])

    def is_global_table(self, schema: str, table: str) -> bool:
        return matches_any(schema, table, self.values["tenancy"]["global_tables"])

    def is_protected_table(self, schema: str, table: str) -> bool:
        return matches_any(schema, table, self.values["cascade"]["protected_tables"])

    def audited_schemas(self, available: list[str]) -> list[str]:
        """The schemas to audit among ``available``: the configured ones, else all but the platform schemas."""
        wanted = self.values["audit"]["schemas"]
        if "all" in wanted:
            return list(available)
        if wanted:
            return [s for s in available if s in wanted]
        platform = set(self.values["audit"]["platform_schemas"])
        return [s for s in available if s not in platform]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.values)


def split_table(name: str) -> tuple[str, str]:
    """``"schema.table"`` → (schema, table); a bare name is in public."""
    schema, _, table = name.rpartition(".")
    return (schema or "public", table)


def matches_any(schema: str, table: str, patterns: list[str]) -> bool:
    """True when ``table`` or ``schema.table`` matches one of the glob patterns."""
    return any(fnmatchcase(table, p) or fnmatchcase(f"{schema}.{table}", p) for p in patterns)


def glob_matcher(patterns: list[str]) -> Callable[[str], bool]:
    """A test of a name (case-insensitive) against glob patterns, compiled once: fast over many thousand columns."""
    if not patterns:
        return lambda name: False
    regex = re.compile("|".join(f"(?:{translate(p.lower())})" for p in patterns))
    return lambda name: regex.match(name.lower()) is not None


def _merge(target: dict, source: dict, origin: str) -> None:
    for section, values in source.items():
        if section not in DEFAULTS:
            raise ConfigError(f"{origin}: unknown section [{section}]; known sections: {', '.join(DEFAULTS)}.")
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: [{section}] must be a table of settings.")
        for key, value in values.items():
            if section == "severity":
                if value not in SEVERITIES:
                    raise ConfigError(f"{origin}: severity of {key!r} must be one of {', '.join(SEVERITIES)}.")
                target[section][key] = value
                continue
            if key not in DEFAULTS[section]:
                raise ConfigError(f"{origin}: unknown key {key!r} in [{section}]; known keys: "
                                  f"{', '.join(DEFAULTS[section])}.")
            default = DEFAULTS[section][key]
            if isinstance(default, bool) != isinstance(value, bool) or \
                    (not isinstance(default, bool) and not isinstance(value, type(default))):
                raise ConfigError(f"{origin}: [{section}] {key} must be {type(default).__name__}, "
                                  f"not {type(value).__name__}.")
            target[section][key] = value


def load_config(path: str | Path | None = None) -> AuditConfig:
    """The defaults, updated from a TOML file when one is given."""
    config = AuditConfig()
    if path is None:
        return config
    import tomllib  # here, not at the top: most audits read no config file, and the parser is a slow import

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"The config file {path} does not exist; pass an existing auditlib.toml.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"The config file {path} is not valid TOML ({error}); fix it or leave --config out.") \
            from None
    _merge(config.values, data, origin=str(path))
    config.path = str(path)
    return config
