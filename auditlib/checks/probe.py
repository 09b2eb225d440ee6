"""The row level security probe: sign in as real members and count the rows they see that are not theirs.

``rls_leak`` impersonates members of several organisations the way Supabase's API does — inside a read-only
transaction that is always rolled back: ``SET LOCAL ROLE authenticated`` and ``request.jwt.claims`` (plus the older
``request.jwt.claim.*`` settings) carrying the user's id — and counts, per table, the visible rows that belong to
another organisation or to none. Tables without the tenant column are judged through the parent row they reference
(or, for a users table, the user's memberships): the parent keys of the visible rows are read as the member, and
the tenants they lead to as the auditing role. Nothing is written; only counts and parent keys come back. Tables
beyond ``probe.scan_rows`` rows are read through a page sample (policies are evaluated row by row, and a policy
calling a function costs microseconds a row: minutes on tens of millions), and their counts scaled up.

The anonymous probe (``anon_reads_rows``, ``anon_function_reads``) does the same as a request that carries only the
project's public key: ``SET LOCAL ROLE anon`` with claims that name no user. It counts the rows of tenant and user
data the tables and views of the API schemas show, and calls the exposed SECURITY DEFINER functions whose bodies it
can show to be read-only, counting what they answer (never the values).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psycopg import sql

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.checks.queries import (
    CASTABLE_TYPES,
    audited_schemas,
    column_ref,
    estimated_rows,
    plural,
    render,
    sample_parameters,
    sample_percent,
    scaled,
    table_sample,
    without_header,
)
from auditlib.config import AuditConfig
from auditlib.data import DataContext, QuerySkipped, batched, explain_query_error, union_all
from auditlib.findings import Finding
from auditlib.model import Analysis, Reference
from auditlib.model.tenancy import TenancyModel, direct_parents

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass
class Member:
    """A user to impersonate and the organisations the user belongs to."""

    user_id: str
    organizations: list[str]
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.user_id


@dataclass(frozen=True)
class Chain:
    """References from a table to the row that carries its tenant (the last may reach a users table, whose
    tenant comes from the user's memberships)."""

    hops: tuple[Reference, ...]
    via_membership: bool = False

    @property
    def column(self) -> str:
        """The column of the probed table the chain starts from."""
        return self.hops[0].columns[0]

    def describe(self) -> str:
        return " -> ".join(ref.describe() for ref in self.hops) + (" -> memberships" if self.via_membership else "")


@dataclass
class Target:
    """A table to probe: with the tenant column (``tenant``), or judged through its parents (``chains``, best
    first: a row's tenant is the one its first parent with a tenant has)."""

    schema: str
    table: str
    tenant: str | None = None
    chains: list[Chain] = field(default_factory=list)
    percent: float = 100.0         # the share of its pages read (a large table is read through a page sample)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def sampled(self) -> bool:
        return self.percent < 100.0

    @property
    def parameters(self) -> dict[str, float]:
        """The sample's bound percent, when the table is sampled."""
        return sample_parameters(self.percent)

    @property
    def object(self) -> str:
        return qualified(self.schema, self.table)

    @property
    def columns(self) -> list[str]:
        """The columns the chains start from, in chain order, each once."""
        return list(dict.fromkeys(chain.column for chain in self.chains))

    def judged_through(self) -> str | None:
        if not self.chains:
            return None
        return "; else ".join(chain.describe() for chain in self.chains)


def impersonated_role(config: AuditConfig) -> str:
    """``probe.role``, else the first of ``tenancy.api_roles`` that is not ``anon``."""
    role = config.get("probe", "role")
    if role:
        return role
    roles = [r for r in config.get("tenancy", "api_roles") if r != "anon"]
    return roles[0] if roles else "authenticated"


def _membership_usable(model: TenancyModel) -> bool:
    columns = model.columns.get(model.membership, {})
    return model.membership_user_column in columns and model.column in columns


def _chain(model: TenancyModel, hops: list[Reference]) -> Chain | None:
    """A chain when every hop is a single-column reference and it ends at a tenant (or at a users table)."""
    if not hops or any(len(ref.columns) != 1 for ref in hops):
        return None
    end = hops[-1].target
    if end == model.root or model.tables.get(end, {}).get("has_tenant_column"):
        return Chain(tuple(hops))
    if end in model.user_tables and _membership_usable(model):
        return Chain(tuple(hops), via_membership=True)
    return None


def parent_chains(model: TenancyModel, key: tuple[str, str]) -> list[Chain]:
    """How a table without the tenant column reaches one: each parent that carries it (best first, as the tenancy
    checks rank them), else the shortest path the tenancy model found (possibly to a users table)."""
    chains = [c for c in (_chain(model, [ref]) for ref in direct_parents(model, key)) if c is not None]
    if not chains:
        chain = _chain(model, model.path(key))
        chains = [chain] if chain else []
    return chains


def probe_targets(catalog: Catalog, model: TenancyModel, schemas: set[str]) -> tuple[list[Target], list[str]]:
    """The tables to probe, and the tables left out with the reason (no way to tell a row's tenant)."""
    targets, left_out = [], []
    for key, row in sorted(model.tables.items()):
        relation = catalog.relation(*key) or {}
        if key[0] not in schemas or relation.get("kind") not in ("table", "partitioned table"):
            continue
        if row["scope"] == "tenant":
            targets.append(Target(*key, tenant=model.column))
        elif row["scope"] == "root" and model.root_key():
            targets.append(Target(*key, tenant=model.root_key()[0]))
        elif row["scope"] == "inherits":
            chains = parent_chains(model, key)
            if chains:
                targets.append(Target(*key, chains=chains))
            else:
                left_out.append(f"{qualified(*key)}: no single-column reference leads to a tenant")
    return targets, left_out


def _users_table(catalog: Catalog, model: TenancyModel) -> tuple[str, str] | None:
    """Where member ids live: the table the membership's user column references, else the first users table."""
    for fk in catalog.foreign_keys_of(*model.membership).to_dict("records"):
        if fk["columns"] == [model.membership_user_column] and len(fk["ref_columns"]) == 1:
            return (fk["ref_schema"], fk["ref_table"])
    return next((t for t in sorted(model.user_tables)), None)


def choose_members(catalog: Catalog, config: AuditConfig, model: TenancyModel, data: DataContext) -> list[Member]:
    """Members of ``probe.organizations`` organisations (``probe.members_per_organization`` each), plus one user who
    belongs to none when ``probe.include_non_member``; labelled by e-mail when the users table has one."""
    user, tenant = model.membership_user_column, model.column
    rows = data.all(render("probe_members", membership=model.membership, user=user, tenant=tenant),
                    {"organizations": int(config.get("probe", "organizations")),
                     "per_organization": int(config.get("probe", "members_per_organization"))})
    members: dict[str, Member] = {}
    for row in rows:
        members.setdefault(row.user_id, Member(row.user_id, list(row.organizations)))
    users = _users_table(catalog, model)
    key = catalog.primary_key(*users) if users else []
    if users and len(key) == 1:
        if config.get("probe", "include_non_member"):
            outsider = data.one(render("probe_non_member", users=users, key=key[0], membership=model.membership,
                                       user=user))
            if outsider is not None:
                members.setdefault(outsider.user_id, Member(outsider.user_id, []))
        if catalog.column(*users, "email") is not None and members:
            for row in data.all(render("probe_user_emails", users=users, key=key[0], email="email"),
                                {"ids": list(members)}):
                if row.email:
                    members[row.user_id].label = row.email
    return list(members.values())


def _key_equals(model: TenancyModel, table: tuple[str, str], column: str, alias: str, value: sql.Composable,
                origin: dict | None) -> sql.Composable:
    """``alias.column`` equals ``value`` (text): compared in the column's own type when the text came from a column
    of that very type (``origin``), so the column's index answers; as text otherwise."""
    target = model.columns.get(table, {}).get(column)
    if target and origin and target["base_type"] == origin["base_type"] and target["base_type"] in CASTABLE_TYPES \
            and not target["is_array"] and not origin["is_array"]:
        return sql.SQL("{} = CAST({} AS {})").format(column_ref(alias, column), value,
                                                    sql.Identifier("pg_catalog", target["base_type"]))
    return sql.SQL("CAST({} AS text) = {}").format(column_ref(alias, column), value)


def _tenant_chain(model: TenancyModel, chain: Chain) -> tuple[sql.Composable, sql.Composable]:
    """The joins from a parent key (``k.key``) to its tenant, and the tenant expression."""
    joins: list[sql.Composable] = []
    previous: sql.Composable = sql.SQL("k.key")
    tenant: sql.Composable = sql.SQL("NULL")
    for n, ref in enumerate(chain.hops, start=1):
        origin = model.columns.get(ref.source, {}).get(ref.columns[0])  # the column the text value came from
        if chain.via_membership and n == len(chain.hops):
            match = _key_equals(model, model.membership, model.membership_user_column, "m", previous, origin)
            joins.append(sql.SQL("LEFT JOIN {} AS m ON {}").format(sql.Identifier(*model.membership), match))
            tenant = column_ref("m", model.column)
            break
        alias = f"p{n}"
        match = _key_equals(model, ref.target, ref.ref_columns[0], alias, previous, origin)
        joins.append(sql.SQL("LEFT JOIN {} AS {} ON {}").format(sql.Identifier(*ref.target), sql.Identifier(alias),
                                                                 match))
        if n < len(chain.hops):
            previous = sql.SQL("CAST({} AS text)").format(column_ref(alias, chain.hops[n].columns[0]))
        elif ref.target == model.root:
            tenant = column_ref(alias, ref.ref_columns[0])
        else:
            tenant = column_ref(alias, model.column)
    return sql.SQL("\n").join(joins), tenant


def _parent_keys_query(target: Target) -> str:
    columns = target.columns
    keys = sql.SQL(", ").join(sql.SQL("CAST({} AS text) AS {}").format(column_ref("c", c), sql.Identifier(f"k{n}"))
                              for n, c in enumerate(columns, start=1))
    groups = sql.SQL(", ").join(sql.Literal(n) for n in range(1, len(columns) + 1))
    return render("probe_parent_keys", table=target.key, keys=keys, groups=groups, sample=table_sample(target.percent))


def _tenant_rows_query(target: Target) -> str:
    return render("probe_tenant_rows", table=target.key, tenant=target.tenant, sample=table_sample(target.percent))


def _claims(member: Member, role: str) -> dict[str, str]:
    claims = {"sub": member.user_id, "role": role}
    if member.label:
        claims["email"] = member.label
    return {"claims": json.dumps(claims), "sub": member.user_id, "role": role, "email": member.label}


class CannotImpersonate(RuntimeError):
    """The auditing role cannot take the impersonated role (or set the claims)."""


def _impersonate(conn: sa.Connection, data: DataContext, role: str, member: Member) -> None:
    """Take ``role`` and ``member``'s claims for the rest of the connection's transaction."""
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    try:
        data.queries += 2
        conn.exec_driver_sql(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)).as_string())
        conn.execute(sa.text(render("probe_claims")), _claims(member, role))
    except sa.exc.DBAPIError as error:
        raise CannotImpersonate(explain_query_error(error)) from None


def _probe_member(data: DataContext, role: str, member: Member, batches: list[list[Target]], max_keys: int,
                  failed: dict[tuple[str, str], str],
                  queries: dict[tuple[str, str], sa.TextClause]) -> dict[tuple[str, str], dict]:
    """Rolled-back read-only transactions as ``member``: counts per tenant table, parent keys per other table.

    The tables are read one batch after the other (``batches``: several small tenant tables counted in one
    statement, any other table alone) in one transaction, without a savepoint around each (two round trips more
    each, most of the probe's time); a query that fails aborts the transaction: a failed batch's tables are read
    again one by one, a failed table is recorded in ``failed``, and the rest are read in a new transaction.
    ``queries`` holds each target's query, built once."""
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    found: dict[tuple[str, str], dict] = {}
    pending = [live for live in ([t for t in batch if t.key not in failed] for batch in batches) if live]
    while pending:
        with data.connection() as conn:
            _impersonate(conn, data, role, member)
            while pending:
                batch = pending.pop(0)
                data.queries += 1
                try:
                    if len(batch) > 1:
                        found.update(_count_batch(conn, member, batch, queries))
                        continue
                    counts = _probe_target(conn, data, member, batch[0], max_keys, failed, queries[batch[0].key])
                except sa.exc.DBAPIError as error:
                    if len(batch) > 1:
                        pending[:0] = [[target] for target in batch]  # find the table that fails
                    else:
                        failed[batch[0].key] = f"as {member.name}: {explain_query_error(error)}"
                    break  # the transaction is aborted: the remaining tables are read in a new one
                if counts is not None:
                    found[batch[0].key] = counts
    return found


def _count_batch(conn: sa.Connection, member: Member, batch: list[Target],
                 queries: dict[tuple[str, str], sa.TextClause]) -> dict[tuple[str, str], dict]:
    """What ``member`` sees of several small tenant tables (read whole), counted in one statement."""
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    query = sa.text(union_all([queries[target.key].text for target in batch]))
    rows = conn.execute(query, {"organizations": member.organizations}).all()
    return {batch[row.part].key: {"visible": int(row.visible), "foreign": int(row.foreign_rows),
                                  "null_tenant": int(row.null_tenant)} for row in rows}


def _probe_target(conn: sa.Connection, data: DataContext, member: Member, target: Target, max_keys: int,
                  failed: dict[tuple[str, str], str], query: sa.TextClause) -> dict | None:
    """What ``member`` sees of one table: counts (a tenant table) or parent keys (None when there are too many)."""
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    if target.tenant is not None:
        row = conn.execute(query, {"organizations": member.organizations, **target.parameters}).one()
        counts = {"visible": scaled(row.visible, target.percent),
                  "foreign": scaled(row.foreign_rows, target.percent),
                  "null_tenant": int(row.null_tenant)}
        if target.sampled:  # the rows without a tenant are few: counted exactly, through the index
            data.queries += 1
            counts["null_tenant"] = int(conn.execute(sa.text(render(
                "probe_null_tenant_rows", table=target.key, tenant=target.tenant))).scalar())
        return counts
    rows = conn.execute(query, {"limit": max_keys + 1, **target.parameters}).all()
    if len(rows) > max_keys:
        failed[target.key] = f"the rows visible to {member.name} reference more than {max_keys:,} parents " \
                             "(probe.max_parent_keys)"
        return None
    return {"keys": {tuple(row[:-1]): int(row[-1]) for row in rows}}


def _judge_through_parents(data: DataContext, model: TenancyModel, target: Target,
                           seen: dict[str, dict]) -> dict[str, dict]:
    """Counts per member for a table judged through its parents, from the parent keys each member saw: a row's
    tenant is the one its first parent (in chain order) with a tenant has; no such parent means no tenant."""
    columns = target.columns
    tenants: dict[str, dict[str, set[str]]] = {}
    for chain in target.chains:
        if chain.column in tenants:
            continue  # two chains from one column: the first one judges it
        position = columns.index(chain.column)
        keys = sorted({combo[position] for counts in seen.values() for combo in counts["keys"]} - {None})
        found: dict[str, set[str]] = {k: set() for k in keys}
        if keys:
            joins, tenant = _tenant_chain(model, chain)
            for row in data.all(render("probe_parent_tenants", joins=joins, tenant=tenant), {"keys": keys}):
                if row.tenant is not None:
                    found[row.parent_key].add(row.tenant)
        tenants[chain.column] = found
    judged = {}
    for name, counts in seen.items():
        member_orgs = set(counts["organizations"])
        visible = foreign = none = 0
        for combo, n in counts["keys"].items():
            visible += n
            owners: set[str] = set()
            for column in columns:
                key = combo[columns.index(column)]
                owners = tenants[column].get(key, set()) if key is not None else set()
                if owners:
                    break
            if owners & member_orgs:
                continue
            if owners:
                foreign += n
            else:
                none += n
        # a sampled table's counts stand for the whole table
        judged[name] = {"visible": scaled(visible, target.percent), "foreign": scaled(foreign, target.percent),
                        "null_tenant": scaled(none, target.percent)}
    return judged


@dataclass
class Probe:
    """What the impersonated members saw: per table (schema, table) and member name, visible / foreign /
    null_tenant rows; with the role, the members, the tables probed and those that could not be judged."""

    role: str
    members: list[Member]
    targets: list[Target]
    counts: dict[tuple[str, str], dict[str, dict[str, int]]]
    left_out: list[str]


def probe_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None = None,
               check_name: str = "rls_leak", analysis: Analysis | None = None) -> Probe | None:
    """Impersonate the chosen members and count, per table they can read, the rows they see (None when the probe
    cannot run; the reason is a skipped entry of ``check_name``). ``analysis`` is the run's model (built here when
    none is given)."""
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    schemas = audited_schemas(catalog, config, audited)
    model = (analysis or Analysis(catalog, config)).tenancy
    if not model.multi_tenant:
        return None
    role = impersonated_role(config)
    if role not in set(catalog.roles["name"]):
        data.skip(check_name, None, f"the role {role} to impersonate does not exist (probe.role)")
        return None
    if model.membership not in model.tables or not _membership_usable(model):
        data.skip(check_name, None, f"no membership table {qualified(*model.membership)} with columns "
                                    f"{model.membership_user_column} and {model.column} to choose members from "
                                    "(tenancy.membership_table)")
        return None
    targets, left_out = probe_targets(catalog, model, schemas)
    try:
        readable = {(r.schema_name, r.table_name) for r in data.all(render("probe_readable"), {
            "role": role, "schemas": [t.schema for t in targets], "tables": [t.table for t in targets]})
            if r.readable}
        members = choose_members(catalog, config, model, data)
    except QuerySkipped as error:
        data.skip(check_name, None, f"the members to impersonate could not be read: {error}")
        return None
    targets = [t for t in targets if t.key in readable]
    for target in targets:
        target.percent = sample_percent(catalog, target.schema, target.table, int(config.get("probe", "scan_rows")))
    if not members:
        data.skip(check_name, None, f"{qualified(*model.membership)} has no member to impersonate")
        return None
    max_keys = int(config.get("probe", "max_parent_keys"))
    failed: dict[tuple[str, str], str] = {}
    seen: dict[tuple[str, str], dict[str, dict]] = {t.key: {} for t in targets}
    queries = {t.key: sa.text(_tenant_rows_query(t) if t.tenant is not None else _parent_keys_query(t))
               for t in targets}
    # a tenant table read whole is counted with others in one statement; any other table alone
    batches = batched(targets, lambda t: estimated_rows(catalog, t.key)
                      if t.tenant is not None and not t.sampled else None)
    for member in members:
        try:
            found = _probe_member(data, role, member, batches, max_keys, failed, queries)
        except CannotImpersonate as error:
            user = catalog.server.get("current_user") or "the auditing role"
            data.skip(check_name, None, f"{user} cannot impersonate {role}: {error}; connect as a role that is a "
                                        f"member of {role} (or a superuser) to probe row level security")
            return None
        for key, counts in found.items():
            seen[key][member.name] = {**counts, "organizations": member.organizations}
    counts: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for target in targets:
        if target.key in failed:
            continue
        if target.tenant is not None:
            counts[target.key] = {name: {k: c[k] for k in ("visible", "foreign", "null_tenant")}
                                  for name, c in seen[target.key].items()}
            continue
        try:
            counts[target.key] = _judge_through_parents(data, model, target, seen[target.key])
        except QuerySkipped as error:
            failed[target.key] = f"the parents' tenants could not be read: {error}"
    for key, reason in sorted(failed.items()):
        data.skip(check_name, qualified(*key), reason)
    return Probe(role, members, [t for t in targets if t.key in counts], counts, left_out)


@check(name="rls_leak", category="security", severity="critical", kind="data", needs=("data", "audited", "analysis"),
       report_section="security.probe", count_key="visible_rows", long_running=True)
def rls_leak(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
             analysis: Analysis) -> Iterator[Finding]:
    """Signed in as a real member, a user can read rows of another organisation, or rows that belong to none.

    Tables beyond ``probe.scan_rows`` rows are read through a page sample of about that many rows, so their counts
    are estimates (the finding says "about"); rows without a tenant are still counted exactly, through the tenant
    column. Set it to 0 to read every row.

    Why it matters: this is the leak itself, measured rather than inferred from policy text: whatever a member's
    session returns, the API returns to that member's browser. Policies that tolerate NULL tenants, ignore the
    tenant, or are missing (row level security off) all show up here as row counts.

    How to fix: make every read policy of a tenant table compare the row's tenant column with the member's
    organisation (and drop ``OR organization_id IS NULL``), give tables without the tenant column one or a policy
    that checks the parent's tenant, enable row level security where it is off, then run the probe again.
    """
    probe = probe_rows(catalog, config, data, audited, analysis=analysis)
    if probe is None:
        return
    organizations = sorted({o for m in probe.members for o in m.organizations})
    for target in probe.targets:
        by_user = probe.counts[target.key]
        if not by_user:
            continue
        worst = max(c["foreign"] + c["null_tenant"] for c in by_user.values())
        if not worst:
            continue
        foreign = max(c["foreign"] for c in by_user.values())
        nulls = max(c["null_tenant"] for c in by_user.values())
        leaking = sorted(name for name, c in by_user.items() if c["foreign"] or c["null_tenant"])
        relation = catalog.relation(*target.key) or {}
        users = {m.name: {"user_id": m.user_id, "organizations": m.organizations, **by_user[m.name]}
                 for m in probe.members if m.name in by_user}
        if target.tenant is not None:
            query = _tenant_rows_query(target)
            how = f"by {target.tenant}"
        else:
            query = _parent_keys_query(target)
            how = f"judged through {target.judged_through()}"
        parts = []
        if foreign:
            about = "about " if target.sampled else ""
            parts.append(f"up to {about}{plural(foreign, 'row')} of other organisations")
        if nulls:
            about = "about " if target.sampled and target.tenant is None else ""
            parts.append(f"up to {about}{plural(nulls, 'row')} without an organisation")
        estimate = ""
        if target.sampled:
            exact = " (rows without an organisation counted exactly)" if target.tenant is not None else ""
            estimate = (f" Estimated from a sample of {target.percent:g}% of the table's pages{exact}; set "
                        "probe.scan_rows to 0 to read every row.")
        yield Finding(
            schema=target.schema, table=target.table, column=None,
            severity="critical" if foreign else "high",
            title=f"Members can read {' and '.join(parts)} in {target.object}",
            detail=(f"Signed in as {probe.role} with their own JWT, {len(leaking)} of {len(by_user)} impersonated "
                    f"users see {' and '.join(parts)} in {target.object} (tenant {how}; row level security "
                    f"{'on' if relation.get('rls_enabled') else 'off'}).{estimate}"),
            evidence={"visible_rows": worst, "leaked_rows": worst, "foreign_rows": foreign,
                      "null_tenant_rows": nulls, "users": users, "leaking_users": leaking, "role": probe.role,
                      "rls_enabled": bool(relation.get("rls_enabled")),
                      "rls_forced": bool(relation.get("rls_forced")),
                      "tenant_column": target.tenant, "judged_through": target.judged_through(),
                      "organizations_probed": len(organizations), "users_probed": len(probe.members),
                      "probe_settings": {k: config.get("probe", k) for k in ("organizations",
                                                                              "members_per_organization",
                                                                              "include_non_member")},
                      "impersonation": (f"SET LOCAL ROLE {probe.role}; set_config('request.jwt.claims', "
                                        "'{\"sub\": <user id>, \"role\": ...}', true) in a read-only transaction "
                                        "that is rolled back"),
                      "query": without_header(query), "tables_not_judged": probe.left_out,
                      "estimated": target.sampled, "sample_percent": target.percent,
                      "probe_scan_rows": config.get("probe", "scan_rows"),
                      "severity_reason": ("rows of other organisations are visible" if foreign else
                                          "only rows without an organisation are visible")},
            remediation_sql=None)


# -- the anonymous visitor -------------------------------------------------------------------------------------------
def anonymous_role(config: AuditConfig) -> str:
    """The role of a request without a user: the first of ``tenancy.api_roles`` (Supabase's ``anon``)."""
    roles = list(config.get("tenancy", "api_roles"))
    return roles[0] if roles else "anon"


def _anonymous_claims(role: str) -> dict[str, str]:
    """The claims PostgREST sets for a request that carries only the project's anon key: a role, no user."""
    return {"claims": json.dumps({"role": role}), "sub": "", "role": role, "email": ""}


def _cap(config: AuditConfig) -> int | None:
    rows = int(config.get("probe", "scan_rows"))
    return rows if rows > 0 else None


def _sensitive_tables(catalog: Catalog, model: TenancyModel) -> dict[tuple[str, str], str]:
    """(schema, table) -> "tenant data" or "user data", for the tables whose rows belong to a tenant or a user
    (a partition counts as its parent)."""
    found = {key: "tenant data" for key, row in model.tables.items()
             if model.multi_tenant and row["scope"] in ("root", "tenant", "inherits")}
    found.update({key: "user data" for key in model.user_tables})
    for table in catalog.tables.to_dict("records"):
        parent = (table["parent_schema"], table["parent_table"])
        if table["parent_table"] is not None and parent in found:
            found[(table["schema"], table["name"])] = found[parent]
    return found


def _definer_reads(catalog: Catalog) -> dict[str, set[str]]:
    """signature -> the tables a SECURITY DEFINER function's body reads (parsed once per run)."""
    from auditlib.checks.exposure import _signature, body_facts

    return {_signature(f): body_facts(f).reads for f in catalog.functions.to_dict("records") if f["security_definer"]}


def _exposes(catalog: Catalog, relation: dict, sensitive: dict[tuple[str, str], str],
             definers: dict[str, set[str]], seen: set[str] | None = None) -> list[str]:
    """The tenant or user tables a view or materialized view shows: those it reads (through other views too), and
    those the SECURITY DEFINER functions it calls read (``definers``, from ``_definer_reads``)."""
    seen = set() if seen is None else seen
    shown: list[str] = []
    for name in relation["reads"]:
        if name in seen:
            continue
        seen.add(name)
        schema, _, table = name.partition(".")
        if (schema, table) in sensitive:
            shown.append(name)
        inner = catalog.relation(schema, table)
        if inner is not None and inner["kind"] in ("view", "materialized view"):
            shown += _exposes(catalog, inner, sensitive, definers, seen)
    for signature in relation["calls"]:
        shown += [t for t in sorted(definers.get(signature, ()))
                  if tuple(t.split(".", 1)) in sensitive and t not in shown]
    return list(dict.fromkeys(shown))


def _anonymous_session(conn: sa.Connection, data: DataContext, role: str) -> None:
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    data.queries += 2
    try:
        conn.exec_driver_sql(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)).as_string())
        conn.execute(sa.text(render("probe_claims")), _anonymous_claims(role))
    except sa.exc.DBAPIError as error:
        raise CannotImpersonate(explain_query_error(error)) from None


@check(name="anon_reads_rows", category="security", severity="critical", kind="data",
       needs=("data", "audited", "analysis"), report_section="security.probe", count_key="visible_rows",
       long_running=True)
def anon_reads_rows(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                    analysis: Analysis) -> Iterator[Finding]:
    """An anonymous visitor (the anon role, no user) reads rows of tenant or user data.

    The probe opens one read-only transaction that is rolled back, takes the anon role (``SET LOCAL ROLE anon``,
    ``request.jwt.claims`` holding only the role, as PostgREST does for a request with the public key and no user)
    and counts the rows it sees in every table and view of the API schemas that anon may select from and that holds
    tenant or user data: tables of the tenancy model, users tables, and views that read them or call SECURITY
    DEFINER functions that do. A table beyond ``probe.scan_rows`` rows is read through a page sample of about that
    many rows (its count is an estimate, "about"); a view is counted up to that many rows ("at least"); 0 reads
    every row. Only counts come back; nothing is written.

    Why it matters: whatever anon sees, anyone with the project's public key sees, without signing up: these rows
    are published.

    How to fix: give the table's read policies a condition an anonymous request cannot meet (``TO authenticated``
    and a tenant or owner check), enable row-level security where it is off, make views ``security_invoker`` or
    revoke SELECT from anon, then run the probe again.
    """
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    from auditlib.checks.exposure import DEFAULT_API_SCHEMAS

    role = anonymous_role(config)
    if role not in set(catalog.roles["name"]):
        return
    model = analysis.tenancy
    sensitive = _sensitive_tables(catalog, model)
    schemas = audited_schemas(catalog, config, audited) & set(config["tenancy"].get("api_schemas",
                                                                                     DEFAULT_API_SCHEMAS))
    candidates: dict[tuple[str, str], tuple[dict, list[str]]] = {}
    definers = _definer_reads(catalog)
    for relation in catalog.relations.to_dict("records"):
        key = (relation["schema"], relation["name"])
        if relation["schema"] not in schemas:
            continue
        if relation["kind"] in ("table", "partitioned table") and key in sensitive:
            candidates[key] = (relation, [f"{key[0]}.{key[1]}"])
        elif relation["kind"] in ("view", "materialized view"):
            shown = _exposes(catalog, relation, sensitive, definers)
            if shown:
                candidates[key] = (relation, shown)
    if not candidates:
        return
    try:
        readable = {(r.schema_name, r.table_name) for r in data.all(render("probe_readable"), {
            "role": role, "schemas": [k[0] for k in candidates], "tables": [k[1] for k in candidates]})
            if r.readable}
    except QuerySkipped as error:
        data.skip("anon_reads_rows", None, f"what {role} may read could not be read: {error}")
        return
    cap = _cap(config)
    # a large table is read through a page sample (policies run row by row); a view is read up to the cap
    percents = {key: sample_percent(catalog, *key, int(config.get("probe", "scan_rows")))
                if candidates[key][0]["kind"] != "view" else 100.0 for key in readable}
    visible: dict[tuple[str, str], int] = {}
    failed: dict[tuple[str, str], str] = {}
    # the tables read whole are counted several at once; a sampled table and a view (whose cost the catalog does
    # not tell) alone
    pending = batched(sorted(readable), lambda key: estimated_rows(catalog, key) if percents[key] >= 100.0
                      and candidates[key][0]["kind"] in ("table", "partitioned table") else None)
    while pending:  # one transaction without a savepoint per statement; a new one after a statement that fails
        with data.connection() as conn:
            try:
                _anonymous_session(conn, data, role)
            except CannotImpersonate as error:
                user = catalog.server.get("current_user") or "the auditing role"
                data.skip("anon_reads_rows", None, f"{user} cannot take the role {role}: {error}; connect as a "
                                                   f"member of {role} (or a superuser) to probe what anonymous "
                                                   "visitors read")
                return
            while pending:
                batch = pending.pop(0)
                data.queries += 1
                queries = [render("probe_visible_rows", relation=key, sample=table_sample(percents[key]))
                           for key in batch]
                try:
                    if len(batch) > 1:
                        for row in conn.execute(sa.text(union_all(queries)), {"cap": cap}).all():
                            visible[batch[row.part]] = int(row.visible)
                        continue
                    count = int(conn.execute(sa.text(queries[0]),
                                             {"cap": cap, **sample_parameters(percents[batch[0]])}).scalar())
                except sa.exc.DBAPIError as error:
                    if len(batch) > 1:
                        pending[:0] = [[key] for key in batch]  # find the relation that fails
                    else:
                        failed[batch[0]] = f"as {role}: {explain_query_error(error)}"
                    break  # the transaction is aborted: the remaining relations are read in a new one
                visible[batch[0]] = scaled(count, percents[batch[0]])
    for key, reason in sorted(failed.items()):
        data.skip("anon_reads_rows", qualified(*key), reason)
    for key, count in sorted(visible.items()):
        if not count:
            continue
        relation, shown = candidates[key]
        capped = cap is not None and percents[key] >= 100.0 and count >= cap
        estimated = percents[key] < 100.0
        what = (sensitive[key] if key in sensitive else
                f"rows of {', '.join(shown)} ({', '.join(sorted({sensitive[tuple(t.split('.', 1))] for t in shown}))})")
        many = f"{'at least ' if capped else 'about ' if estimated else ''}{plural(count, 'row')}"
        yield Finding(
            schema=key[0], table=key[1], column=None,
            title=f"An anonymous visitor can read {many} of {qualified(*key)}",
            detail=(f"As {role} with no user (the project's public key alone), a request sees {many} of the "
                    f"{relation['kind']} {qualified(*key)}: {what}"
                    + (f" (row level security {'on' if relation['rls_enabled'] else 'off'})."
                       if relation["kind"] in ("table", "partitioned table") else ".")),
            evidence={"visible_rows": count, "capped": capped, "estimated": estimated,
                      "sample_percent": percents[key], "probe_scan_rows": config.get("probe", "scan_rows"),
                      "role": role, "kind": relation["kind"], "shows": shown,
                      "rls_enabled": bool(relation["rls_enabled"]),
                      "impersonation": (f"SET LOCAL ROLE {role}; set_config('request.jwt.claims', "
                                        f"'{{\"role\": \"{role}\"}}', true) in a read-only transaction that is "
                                        "rolled back"),
                      "query": without_header(render("probe_visible_rows", relation=key,
                                                     sample=table_sample(percents[key])))},
            remediation_sql=(f"REVOKE SELECT ON {sql.Identifier(*key).as_string()} FROM {sql.Identifier(role).as_string()};"
                             "\n-- or give its read policies a tenant or owner condition (TO authenticated)"))


# Statements of a PL/pgSQL body that change something or run SQL the parser cannot see.
_UNSAFE_PLPGSQL = {"PLpgSQL_stmt_dynexecute": "runs dynamic SQL (EXECUTE)", "PLpgSQL_stmt_dynfors": "runs dynamic SQL",
                   "PLpgSQL_stmt_call": "calls a procedure", "PLpgSQL_stmt_commit": "commits",
                   "PLpgSQL_stmt_rollback": "rolls back"}
# Argument names the probe fills, after a p_/in_/_ prefix is dropped: a tenant id or a user id.
_TENANT_ARGUMENTS = ("org", "org_id", "organization", "organization_id", "organisation", "organisation_id", "tenant",
                     "tenant_id", "workspace", "workspace_id", "account", "account_id", "team", "team_id")
_USER_ARGUMENTS = ("uid", "user", "user_id", "member", "member_id", "owner", "owner_id")
_FILLABLE_TYPES = ("uuid", "text", "character varying")


@dataclass
class ReadOnlyProof:
    """Whether a function's body is shown to change nothing: every statement a query, no dynamic SQL, and every
    function it calls not VOLATILE (``calls`` is what remains to be looked up on the server)."""

    proven: bool
    reason: str = ""
    calls: set[tuple[str | None, str]] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)


def read_only_proof(function: dict) -> ReadOnlyProof:
    """Read a SQL or PL/pgSQL body and say whether calling it can only read (pending the callees' volatility)."""
    import pglast

    from auditlib.checks.exposure import _walk
    from auditlib.sqlparse import ast, iter_plpgsql_queries, parse_catalog_plpgsql

    texts: list[str] = []
    if function["language"] == "sql":
        texts = [function["source"] or ""]
    elif function["language"] == "plpgsql":
        tree = parse_catalog_plpgsql(function)
        if tree is None:
            return ReadOnlyProof(False, "its PL/pgSQL body does not parse")
        text = json.dumps(tree.get("action"))
        for marker, what in _UNSAFE_PLPGSQL.items():
            if f'"{marker}"' in text:
                return ReadOnlyProof(False, f"it {what}")
        texts = [t if kind == "statement" else f"SELECT {t}" for kind, t, _line, _whole in iter_plpgsql_queries(tree)
                 if kind != "target"]
    else:
        return ReadOnlyProof(False, f"its body is {function['language']}, which auditlib does not read")
    proof = ReadOnlyProof(True)
    for text in texts:
        try:
            statements = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            return ReadOnlyProof(False, "a statement of its body does not parse")
        for raw in statements:
            statement = raw.stmt
            if not isinstance(statement, ast.SelectStmt) or statement.intoClause is not None \
                    or statement.lockingClause:
                return ReadOnlyProof(False, f"it runs {type(statement).__name__.removesuffix('Stmt').upper()}"
                                            " statements, not only queries")
            for node in _walk(statement):
                if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt):
                    return ReadOnlyProof(False, "it writes (a data-modifying WITH)")
                if isinstance(node, ast.FuncCall):
                    names = [n.sval for n in node.funcname if isinstance(n, ast.String)]
                    proof.calls.add((names[-2] if len(names) > 1 else None, names[-1]))
                if isinstance(node, ast.RangeVar):
                    proof.reads.add(f"{node.schemaname or 'public'}.{node.relname}")
    return proof


def _argument_values(function: dict, tenant_id: str | None, user_id: str | None
                     ) -> tuple[list[tuple[str, str, str]], str | None]:
    """(name, type, value) for each argument, or the reason the probe cannot fill them."""
    from auditlib.checks.exposure import _arguments

    values = []
    for name, type_ in _arguments(function["arguments"]):
        bare = re.sub(r"^(p_|in_|_+)", "", name.lower())
        if type_.lower() not in _FILLABLE_TYPES:
            return [], f"argument {name or type_} is {type_}, which the probe does not fill"
        if bare in _TENANT_ARGUMENTS and tenant_id is not None:
            values.append((name, type_, tenant_id))
        elif bare in _USER_ARGUMENTS and user_id is not None:
            values.append((name, type_, user_id))
        else:
            return [], f"argument {name or type_} is neither a tenant nor a user id"
    return values, None


@check(name="anon_function_reads", category="security", severity="critical", kind="data",
       needs=("data", "audited", "analysis"), report_section="security.probe")
def anon_function_reads(catalog: Catalog, config: AuditConfig, data: DataContext, audited: set[str] | None,
                        analysis: Analysis) -> Iterator[Finding]:
    """Called by an anonymous visitor, a SECURITY DEFINER function returns rows read from tenant or user data.

    The probe calls the SECURITY DEFINER functions of the API schemas that anon may execute and whose body reads
    tenant or user tables, as anon (no user) in a read-only transaction that is rolled back, and counts what comes
    back (never the values). It calls a function only when it can show the call changes nothing: the body (SQL, or
    PL/pgSQL parsed with pglast's PL/pgSQL parser) holds queries only, no INSERT/UPDATE/DELETE, no dynamic EXECUTE,
    no CALL, and every function it calls is not VOLATILE (looked up on the server); STABLE alone is not taken as
    proof, since a STABLE function may call a volatile one. Tenant and user id arguments are filled with the first
    tenant's id and the first member's id; a function with other arguments is not called. The functions not called
    are left to ``security_definer_exposed``, which reports them from their text.

    Why it matters: the function runs as its owner, past row-level security: a non-empty answer to a request
    without a user is tenant data published to anyone with the project's public key.

    How to fix: revoke EXECUTE from anon (and PUBLIC), or check the caller inside the function (``IF auth.uid() IS
    NULL THEN RAISE ...``, then compare the argument with the caller's memberships).
    """
    import sqlalchemy as sa  # here, not at the top: the audit without data checks never imports it

    from auditlib.checks.exposure import DEFAULT_API_SCHEMAS, _callable_functions, _signature

    role = anonymous_role(config)
    if role not in set(catalog.roles["name"]):
        return
    model = analysis.tenancy
    sensitive = {f"{s}.{t}" for s, t in _sensitive_tables(catalog, model)}
    schemas = audited_schemas(catalog, config, audited) & set(config["tenancy"].get("api_schemas",
                                                                                     DEFAULT_API_SCHEMAS))
    chosen: list[tuple[dict, ReadOnlyProof]] = []
    for function, callers in _callable_functions(catalog, config):
        if not function["security_definer"] or role not in callers or function["schema"] not in schemas \
                or function["kind"] != "function":
            continue
        proof = read_only_proof(function)
        if proof.proven and not proof.reads & sensitive:
            continue  # reads no tenant or user table: nothing of anyone's to return
        chosen.append((function, proof))
    if not chosen:
        return
    user_functions = {}
    for f in catalog.functions.to_dict("records"):
        user_functions.setdefault((f["schema"], f["name"]), []).append(f["volatility"])
    lookups = sorted({call for _, proof in chosen if proof.proven for call in proof.calls
                      if not (call[0] and (call[0], call[1]) in user_functions)}, key=lambda c: (c[0] or "", c[1]))
    try:
        volatile = {(r.schema_name, r.function_name) for r in data.all(render("probe_function_volatility"), {
            "schemas": [c[0] for c in lookups], "names": [c[1] for c in lookups]}) if r.volatile} if lookups else set()
        sample = None
        if model.multi_tenant and model.root_key() and model.membership in model.tables and _membership_usable(model):
            sample = data.one(render("probe_tenant_sample", root=model.root, root_key=model.root_key()[0],
                                     membership=model.membership, user=model.membership_user_column))
    except QuerySkipped as error:
        data.skip("anon_function_reads", None, f"the functions' callees or a tenant id could not be read: {error}")
        return
    tenant_id, user_id = (sample.tenant_id, sample.user_id) if sample is not None else (None, None)
    calls: list[tuple[dict, list[tuple[str, str, str]], ReadOnlyProof]] = []
    for function, proof in chosen:
        if proof.proven:
            for schema, name in sorted(proof.calls, key=lambda c: (c[0] or "", c[1])):
                kinds = user_functions.get((schema, name)) if schema else None
                if (kinds and "volatile" in kinds) or (not kinds and (schema, name) in volatile):
                    proof = ReadOnlyProof(False, f"it calls {f'{schema}.' if schema else ''}{name}(), which is "
                                                 "VOLATILE (or unknown)")
                    break
        values, why_not = _argument_values(function, tenant_id, user_id)
        # not called (not shown read-only, or arguments it cannot fill): security_definer_exposed reports it from
        # its text; not a skip, since nothing failed
        if proof.proven and not why_not:
            calls.append((function, values, proof))
    if not calls:
        return
    cap = _cap(config)
    results: dict[str, tuple[int, int]] = {}
    with data.connection() as conn:
        try:
            _anonymous_session(conn, data, role)
        except CannotImpersonate as error:
            data.skip("anon_function_reads", None, f"cannot take the role {role}: {error}")
            return
        for function, values, _proof in calls:
            signature = _signature(function)
            # bound as :a0, :a1 ...; the type is one of _FILLABLE_TYPES, as the server printed it
            arguments = sql.SQL(", ").join(sql.SQL("CAST(:a{} AS {})").format(sql.SQL(str(n)), sql.SQL(type_))
                                           for n, (_name, type_, _value) in enumerate(values))
            query = render("probe_function_result", function=(function["schema"], function["name"]),
                           arguments=arguments)
            data.queries += 1
            try:
                with conn.begin_nested():
                    row = conn.execute(sa.text(query), {"cap": cap, **{f"a{n}": v for n, (_, _, v) in
                                                                      enumerate(values)}}).one()
                results[signature] = (int(row.returned), int(row.non_null))
            except sa.exc.DBAPIError as error:
                data.skip("anon_function_reads", signature, f"the call failed as {role}: {explain_query_error(error)}")
    for function, values, proof in calls:
        signature = _signature(function)
        if signature not in results or not results[signature][1]:
            continue
        returned, non_null = results[signature]
        given = ", ".join(f"{name} = {'the first tenant' if value == tenant_id else 'the first member'}"
                          for name, _type, value in values)
        tables = sorted(proof.reads & sensitive)
        yield Finding(
            schema=function["schema"], table=None, column=None, object=signature,
            title=f"An anonymous visitor calling {signature} gets an answer read from {', '.join(tables)}",
            detail=(f"As {role} with no user, {signature}"
                    + (f" called with {given}" if given else "")
                    + f" returned {plural(non_null, 'row')} with a value (of {returned}); it runs as "
                      f"{function['owner']} and reads {', '.join(tables)}, whose rows belong to a tenant or a user."),
            evidence={"returned_rows": returned, "non_null_rows": non_null, "role": role,
                      "arguments": {name: ("tenant" if value == tenant_id else "user") for name, _t, value in values},
                      "reads": tables, "owner": function["owner"], "volatility": function["volatility"],
                      "read_only": "queries only, no dynamic SQL, no VOLATILE callee",
                      "impersonation": f"SET LOCAL ROLE {role}; claims with the role only; read-only, rolled back"},
            remediation_sql=(f"REVOKE EXECUTE ON FUNCTION {sql.Identifier(function['schema'], function['name']).as_string()}"
                             f"({function['arguments'] or ''}) FROM PUBLIC, {sql.Identifier(role).as_string()};"))
