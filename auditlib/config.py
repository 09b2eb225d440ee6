"""Audit configuration: thresholds and heuristics with defaults, read from an ``auditlib.toml``.

Every key is documented in ``DEFAULTS``; unknown keys are an error (a typo must not silently fall back to a
default). Checks read values through ``AuditConfig`` and record the values they used in their findings' evidence.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
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
    },
    "relationships": {
        "ignore_columns": [],               # glob patterns of "schema.table.column" never treated as references
        "user_tables": ["public.users", "public.profiles", "auth.users"],  # where *_by / user_id columns point
        # column names that hold a user id (they point at the first existing table of user_tables)
        "user_columns": ["user_id", "created_by", "updated_by", "deleted_by", "owner_id", "assigned_to",
                         "auth_user_id"],
        # first words of column names that hold another system's ids (stripe_customer_id): never references
        "external_prefixes": ["stripe", "google", "gmail", "microsoft", "outlook", "apple", "facebook", "meta",
                              "hubspot", "salesforce", "xero", "quickbooks", "slack", "github", "twilio", "paypal",
                              "shopify", "zoom", "external", "provider", "vendor", "remote", "legacy"],
        "type_consistency_min_tables": 3,   # a non-key column name is compared across tables from this many on
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
        "tenant_column": "organization_id",
        "tenant_root": "public.organizations",
        "membership_table": "public.organization_members",
        "membership_user_column": "user_id",
        "global_tables": [],                # glob patterns of tables that hold no tenant data
        "api_roles": ["anon", "authenticated"],
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
        # suffixes that mark a copy of a table (contacts_old, agent_memory_backup); with one of them, or the same
        # name in two schemas, half of the smaller table's columns shared is enough
        "copy_suffixes": ["old", "new", "backup", "bak", "copy", "tmp", "temp", "archive", "archived", "legacy",
                          "v[0-9]*", "[0-9][0-9][0-9][0-9]*", "unified", "consolidated", "deprecated"],
    },
    "data": {
        "statement_timeout_ms": 30_000,
        "lock_timeout_ms": 2_000,
        "sample_rows": 1_000,
        "min_rows": 50,
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

    def with_overrides(self, overrides: dict[str, dict[str, Any]]) -> "AuditConfig":
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
