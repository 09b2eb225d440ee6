"""Row-level security: tables the API roles reach without RLS, and policies that leak across tenants.

Policy expressions are read from the catalog as PostgreSQL prints them (schema-qualified) and parsed with pglast;
every rule below reasons about the parse tree, never about the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pglast

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.policies import (
    always_true_clauses,
    api_roles,
    applies_to_api,
    is_column,
    is_true,
    policies_by_table,
    policy_scoped_to_caller,
    service_roles,
    tenant_policy_gaps,
)
from auditlib.quoting import ident
from auditlib.sqlparse import (
    A_Expr_Kind,
    BoolExprType,
    NullTestType,
    ast,
    deparse,
    expression_nodes,
    iter_nodes,
    operator_name,
    parse_expression,
)

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _enable_sql(schema: str, table: str, policies: bool = False) -> str:
    sql = f"ALTER TABLE {ident(schema, table)} ENABLE ROW LEVEL SECURITY;"
    if not policies:
        sql += "\n-- then add a policy per role and command: with RLS on and no policy, the API sees no rows"
    return sql


def _api_grants(catalog: Catalog, roles: list[str]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(schema, table) -> {grantee: [privileges]} for privileges held by the API roles or PUBLIC."""
    grants: dict[tuple[str, str], dict[str, list[str]]] = {}
    grantees = {*roles, "public"}
    for row in catalog.records("privileges"):
        if row["grantee"] not in grantees or row["privilege"] not in TABLE_PRIVILEGES:
            continue
        grants.setdefault((row["schema"], row["table"]), {}).setdefault(row["grantee"], []).append(row["privilege"])
    return grants


def _rls_tables(catalog: Catalog) -> list[dict]:
    """Tables that can have row-level security: not partitions (the parent's policies apply), not foreign tables."""
    return [t for t in catalog.records("user_tables") if t["kind"] != "foreign table"]


@check(name="rls_disabled", category="security", severity="high", report_section="security.policies",
       peers=("splinter:0013", "pgrls:SEC001", "pgrls:SEC049"))
def rls_disabled(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table the API roles can read or write has row-level security turned off.

    Why it matters: with RLS off, every row is visible (and, with the usual grants, writable) to anyone holding
    the API key: the anon role of a Supabase project reads the whole table over the REST API. A database that
    uses neither (no grant to the API roles, no RLS anywhere) gets one informational finding instead.

    How to fix: enable row-level security on the table and add policies for what each role may see; revoke the
    grants instead if the API should not reach the table at all.
    """
    roles = api_roles(config)
    present = [r for r in roles if r in set(catalog.roles["name"])]
    tables = _rls_tables(catalog)
    grants = _api_grants(catalog, present) if present else {}
    reachable = {(t["schema"], t["name"]) for t in tables} & set(grants)
    rls_used = any(t["rls_enabled"] for t in tables) or len(catalog.policies) > 0
    if not reachable and not rls_used:
        # A plain database: nothing is exposed to API roles and nothing relies on RLS; say so once.
        database = str(catalog.server.get("database") or "database")
        yield Finding(
            schema=None, table=None, column=None, object=database, severity="info",
            title="Row-level security is not in use",
            detail=(f"No table of {database} uses row-level security and none is granted to the API roles "
                    f"({', '.join(roles)}{'' if present else ': they do not exist here'}): access control rests "
                    "on database grants and the application. Set tenancy.api_roles if the API connects as other "
                    "roles."),
            evidence={"api_roles": roles, "roles_present": present, "rls_tables": 0, "policies": 0})
        return
    policies = policies_by_table(catalog)
    for row in tables:
        key = (row["schema"], row["name"])
        if row["rls_enabled"] or key not in grants:
            continue
        held = grants[key]
        readable = any("SELECT" in p for p in held.values())
        yield Finding(
            schema=row["schema"], table=row["name"], column=None,
            title=f"{row['schema']}.{row['name']} is reachable by the API roles without row-level security",
            detail=(f"Row-level security is off on {row['schema']}.{row['name']}, and "
                    f"{', '.join(sorted(held))} can {'read' if readable else 'write'} it: every row is exposed "
                    "to every API user."),
            evidence={"api_roles": roles, "grants": {g: sorted(p) for g, p in sorted(held.items())},
                      "rls_enabled": False, "policies": [p["name"] for p in policies.get(key, [])]},
            remediation_sql=_enable_sql(row["schema"], row["name"], policies=key in policies))


@check(name="rls_no_policy", category="security", severity="medium", report_section="security.policies",
       peers=("splinter:0008", "pgrls:SEC009"))
def rls_no_policy(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """Row-level security is on but the table has no policy.

    Why it matters: with RLS on and no policy, nobody but the owner and roles that bypass RLS sees a single row.
    That is right for a table only the backend touches, and a silent outage when the policies were forgotten.

    How to fix: add the policies the API roles need, or revoke their grants to document that the table is
    backend-only.
    """
    policies = policies_by_table(catalog)
    grants = _api_grants(catalog, api_roles(config))
    for row in _rls_tables(catalog):
        key = (row["schema"], row["name"])
        if not row["rls_enabled"] or key in policies:
            continue
        reachable = key in grants
        yield Finding(
            schema=row["schema"], table=row["name"], column=None, severity=None if reachable else "info",
            title=f"{row['schema']}.{row['name']} has row-level security on but no policy",
            detail=(f"Every query on {row['schema']}.{row['name']} by a role subject to RLS returns no rows and "
                    "every write fails. "
                    + ("The API roles hold grants on it: right for a table only the backend (a role that bypasses "
                       "RLS) uses, a silent outage if its policies were forgotten."
                       if reachable else "No API role holds a grant on it, so this looks deliberate (a "
                                         "backend-only table).")),
            evidence={"rls_enabled": True, "policies": 0, "api_grants": {g: sorted(p) for g, p in
                                                                        sorted(grants.get(key, {}).items())}})


@check(name="rls_policy_without_rls", category="security", severity="high", report_section="security.policies",
       peers=("splinter:0007", "pgrls:SEC032"))
def rls_policy_without_rls(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table has policies but row-level security is off, so the policies do nothing.

    Why it matters: the policies read as protection but are not applied: every role with a grant sees and
    changes every row.

    How to fix: enable row-level security on the table (check first that the policies admit what the application
    needs).
    """
    policies = policies_by_table(catalog)
    for row in _rls_tables(catalog):
        key = (row["schema"], row["name"])
        if row["rls_enabled"] or key not in policies:
            continue
        names = [p["name"] for p in policies[key]]
        yield Finding(
            schema=row["schema"], table=row["name"], column=None,
            title=f"{row['schema']}.{row['name']} has {len(names)} polic{'y' if len(names) == 1 else 'ies'} "
                  "but row-level security is off",
            detail=(f"The policies on {row['schema']}.{row['name']} are never applied because row-level security "
                    "is disabled on the table."),
            evidence={"rls_enabled": False, "policies": names},
            remediation_sql=_enable_sql(row["schema"], row["name"], policies=True))


# -- expression analysis -------------------------------------------------------------------------------------------


def _is_null(node: ast.Node) -> bool:
    return isinstance(node, ast.A_Const) and bool(node.isnull)


def _null_arm(node: ast.Node, column: str) -> str | None:
    """How an expression admits exactly the rows whose tenant column is NULL, or None."""
    if isinstance(node, ast.NullTest) and node.nulltesttype == NullTestType.IS_NULL and is_column(node.arg, column):
        return "IS NULL"
    if (isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.NOT_EXPR and len(node.args) == 1
            and isinstance(node.args[0], ast.NullTest) and node.args[0].nulltesttype == NullTestType.IS_NOT_NULL
            and is_column(node.args[0].arg, column)):
        return "NOT (... IS NOT NULL)"
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT and (
            (is_column(node.lexpr, column) and _is_null(node.rexpr))
            or (is_column(node.rexpr, column) and _is_null(node.lexpr))):
        return "IS NOT DISTINCT FROM NULL"
    return None


@dataclass
class _Rewrite:
    """The offending arms found in an expression, and the expression without them."""

    column: str
    arms: list[dict] = field(default_factory=list)

    def arm(self, node: ast.Node, form: str) -> None:
        self.arms.append({"form": form, "sql": deparse(node)})

    def visit(self, node, top: bool = False):
        """The node with null-admitting arms removed; _REMOVE when the whole node only admits NULL tenants."""
        if top and (form := _null_arm(node, self.column)):
            self.arm(node, form)
            return _REMOVE
        if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.OR_EXPR:
            kept = []
            for arg in node.args:
                if form := _null_arm(arg, self.column):
                    self.arm(arg, form)
                    continue
                new = self.visit(arg)
                if new is not _REMOVE:
                    kept.append(new)
            if not kept:
                return _REMOVE
            if len(kept) == 1:
                return kept[0]
            node.args = tuple(kept)
            return node
        if isinstance(node, ast.A_Expr) and node.kind in (A_Expr_Kind.AEXPR_OP, A_Expr_Kind.AEXPR_NOT_DISTINCT):
            replaced = self._comparison(node)
            if replaced is not None:
                return replaced
        if (isinstance(node, ast.CoalesceExpr) and len(node.args) >= 2 and is_true(node.args[-1])
                and any(is_column(n, self.column) for n, _ in iter_nodes(node.args[0]))):
            self.arm(node, "COALESCE(..., true)")
            return self.visit(node.args[0])
        for name in node:
            value = getattr(node, name, None)
            if isinstance(value, ast.Node):
                setattr(node, name, self._child(self.visit(value)))
            elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
                setattr(node, name, tuple(self._child(self.visit(v)) if isinstance(v, ast.Node) else v
                                          for v in value))
        return node

    @staticmethod
    def _child(node):
        # A part that only admitted NULL tenants, inside something other than OR, admits nothing once fixed.
        return ast.A_Const(isnull=False, val=ast.Boolean(boolval=False)) if node is _REMOVE else node

    def _comparison(self, node: ast.A_Expr):
        """``COALESCE(tenant, x) = x`` becomes ``tenant = x``; ``tenant IS NOT DISTINCT FROM x`` becomes ``=``."""
        if node.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT:
            if is_column(node.lexpr, self.column) or is_column(node.rexpr, self.column):
                self.arm(node, "IS NOT DISTINCT FROM (NULL when the user has no tenant)")
                return ast.A_Expr(kind=A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),), lexpr=node.lexpr,
                                  rexpr=node.rexpr)
            return None
        if operator_name(node) != "=" or node.lexpr is None:
            return None
        for side, other in (("lexpr", node.rexpr), ("rexpr", node.lexpr)):
            value = getattr(node, side)
            if (isinstance(value, ast.CoalesceExpr) and is_column(value.args[0], self.column)
                    and any(arg == other for arg in value.args[1:])):
                self.arm(node, "COALESCE(tenant, x) = x")
                setattr(node, side, value.args[0])
                return node
        return None


_REMOVE = object()


def _may_admit_null(text: str | None) -> bool:
    """Whether an expression holds a node that a NULL-admitting arm is made of (IS [NOT] NULL, COALESCE,
    IS NOT DISTINCT FROM): without one, _Rewrite finds nothing, so most policies need no copy of their tree."""
    return any(isinstance(node, ast.NullTest | ast.CoalesceExpr)
               or (isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NOT_DISTINCT)
               for node, _ in expression_nodes(text))


def _policy_sql(policy: dict, using: str | None, with_check: str | None) -> str:
    """DROP POLICY and CREATE POLICY statements that recreate a policy with new expressions."""
    table = ident(policy["schema"], policy["table"])
    name = ident(policy["name"])
    roles = ", ".join("PUBLIC" if r == "public" else ident(r) for r in policy["roles"]) or "PUBLIC"
    create = (f"CREATE POLICY {name} ON {table}\n    AS {'PERMISSIVE' if policy['permissive'] else 'RESTRICTIVE'} "
              f"FOR {policy['command']} TO {roles}")
    if using:
        create += f"\n    USING ({using})"
    if with_check:
        create += f"\n    WITH CHECK ({with_check})"
    sql = f"DROP POLICY {name} ON {table};\n{create};"
    pglast.parse_sql(sql)  # generated SQL must parse; a failure here is a bug, caught by the tests
    return sql


@check(name="rls_null_bypass", category="security", severity="medium", report_section="security.null_bypass",
       peers=("pgrls:SEC030",))
def rls_null_bypass(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A policy also admits rows whose tenant column is NULL.

    Why it matters: ``OR organization_id IS NULL`` (or a COALESCE or IS NOT DISTINCT FROM that amounts to it)
    shows every row without a tenant — legacy, test or half-migrated data — to every tenant's users.

    How to fix: backfill the tenant column, then recreate the policy without the NULL arm (and make the column
    NOT NULL so the arm can never matter again).
    """
    column = config.tenant_column
    if not column:   # no tenancy (configured or detected): there is no tenant column to leave NULL
        return
    for policy in catalog.records("policies"):
        texts = [policy[part] for part in ("using_expression", "with_check")]
        if not any(_may_admit_null(text) for text in texts):
            continue  # the shared trees hold no node an arm is made of: no copy to rewrite, nothing to deparse
        rewrites, rewritten, found = {}, {}, []
        for part in ("using_expression", "with_check"):
            text = policy[part]
            tree = parse_expression(text, shared=False) if text else None  # _Rewrite changes it in place
            if tree is None:
                rewrites[part] = text
                continue
            rewrite = _Rewrite(column)
            rewritten[part] = rewrite.visit(tree, top=policy["permissive"])
            found.extend({**arm, "clause": "USING" if part == "using_expression" else "WITH CHECK"}
                         for arm in rewrite.arms)
        if not found:
            continue
        for part, new in rewritten.items():  # deparsed only for a finding: most policies have no NULL arm
            rewrites[part] = None if new is _REMOVE else deparse(_Rewrite._child(new))
        both_gone = all(rewrites[p] is None for p in ("using_expression", "with_check"))
        if both_gone:
            sql = (f"-- the policy only admits rows without a tenant: drop it\n"
                   f"DROP POLICY {ident(policy['name'])} ON {ident(policy['schema'], policy['table'])};")
        else:
            sql = _policy_sql(policy, rewrites["using_expression"], rewrites["with_check"])
        where = f"{policy['schema']}.{policy['table']}"
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None,
            object=f"{where}.{policy['name']}",
            title=f"Policy \"{policy['name']}\" on {where} admits rows with a NULL {column}",
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} also lets through rows whose "
                    f"{column} is NULL ({found[0]['sql']}), so rows without a tenant are visible to every tenant."),
            evidence={"policy": policy["name"], "command": policy["command"], "roles": list(policy["roles"]),
                      "permissive": bool(policy["permissive"]), "using": policy["using_expression"],
                      "with_check": policy["with_check"], "offending": found, "tenant_column": column},
            remediation_sql=sql)


@check(name="rls_always_true", category="security", severity="high", needs=("analysis",),
       report_section="security.policies",
       peers=("splinter:0024", "pgrls:SEC008", "pgrls:SEC028"))
def rls_always_true(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A permissive policy for the API roles admits every row (its USING or WITH CHECK is constant true).

    Why it matters: permissive policies are OR-ed together, so one ``USING (true)`` opens the whole table to every
    API user whatever the other policies say. Reading global reference data this way is fine and is not reported;
    tenant or user data and writes are.

    How to fix: replace the constant with the real condition (usually the tenant column compared to the user's
    tenant), or drop the policy when another one already covers the access.
    """
    roles, service = api_roles(config), service_roles(config)
    scopes = {key: row["scope"] for key, row in analysis.tenancy.tables.items()}
    for policy in catalog.records("policies"):
        if not policy["permissive"] or not applies_to_api(policy, roles, service):
            continue
        clauses = always_true_clauses(policy)
        if not clauses:
            continue
        scope = scopes.get((policy["schema"], policy["table"]))
        if scope in ("global", "platform") and policy["command"] == "SELECT":
            continue
        where = f"{policy['schema']}.{policy['table']}"
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None, object=f"{where}.{policy['name']}",
            title=f"Policy \"{policy['name']}\" on {where} admits every row",
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} is "
                    f"{' and '.join(clauses)} (true) for {', '.join(policy['roles'])}: any API user "
                    f"{'reads' if policy['command'] == 'SELECT' else 'reads and changes'} every row."),
            evidence={"policy": policy["name"], "command": policy["command"], "roles": list(policy["roles"]),
                      "using": policy["using_expression"], "with_check": policy["with_check"],
                      "constant_true": clauses, "table_scope": scope, "api_roles": roles})


@check(name="rls_tenant_not_enforced", category="security", severity="high", needs=("analysis",),
       report_section="security.policies",
       peers=("pgrls:SEC027",))
def rls_tenant_not_enforced(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """Row-level security is on and the table has the tenant column, but a command is not restricted by it.

    Why it matters: permissive policies are OR-ed: if any policy that lets the API roles run a command ignores the
    tenant column (``USING (auth.role() = 'authenticated')``, ``USING (auth.uid() IS NOT NULL)``) and no
    restrictive policy checks it, that command crosses tenants. Policies that only open each row to the user it
    names (``FOR SELECT USING (invitee_id = auth.uid())``) are information when they only read or delete: no one
    reaches another user's rows, but a user who left an organisation keeps the rows that name them. For INSERT and
    UPDATE they stay a finding: a user can write rows naming themselves into any organisation.

    How to fix: add the tenant condition (``organization_id = <the user's tenant>``) to the policies that lack it,
    or add one RESTRICTIVE policy that checks the tenant for every command.
    """
    roles = api_roles(config)
    model = analysis.tenancy
    column = model.column
    policies = policies_by_table(catalog)
    gaps = tenant_policy_gaps(catalog, config, model)
    for key in model.tables:
        open_commands = gaps.get(key, {})
        if not open_commands:
            continue
        names = sorted({n for leaks in open_commands.values() for n in leaks})
        details = {p["name"]: {"command": p["command"], "using": p["using_expression"],
                               "with_check": p["with_check"]} for p in policies[key] if p["name"] in names}
        policy_list = (f"polic{'y' if len(names) == 1 else 'ies'} {', '.join(repr(n) for n in names)} "
                       f"let{'s' if len(names) == 1 else ''}")
        if set(open_commands) <= {"SELECT", "DELETE"} and all(
                policy_scoped_to_caller(p) for p in policies[key] if p["name"] in names):
            # Each row is open only to the user it names (an invitation to its invitee): no one reads another
            # user's rows, but membership is not checked either. Writes are another matter: a user could put rows
            # naming themselves into any organisation.
            yield Finding(
                schema=key[0], table=key[1], column=None, severity="info",
                title=f"{key[0]}.{key[1]} is scoped to each user, not by {column}, for {', '.join(open_commands)}",
                detail=(f"The {policy_list} API users {', '.join(open_commands)} the rows that name them, in any "
                        f"organisation: no one reaches another user's rows, but a user removed from an "
                        f"organisation keeps these rows of it."),
                evidence={"tenant_column": column, "commands": open_commands, "policies": details,
                          "api_roles": roles, "tenancy": model.why, "scoped_to": "the caller's user id"})
            continue
        yield Finding(
            schema=key[0], table=key[1], column=None,
            title=f"{key[0]}.{key[1]} is not isolated by {column} for {', '.join(open_commands)}",
            detail=(f"{key[0]}.{key[1]} has {column} but the {policy_list} API users "
                    f"{', '.join(open_commands)} rows without checking it, so those rows cross tenants."),
            evidence={"tenant_column": column, "commands": open_commands, "policies": details, "api_roles": roles,
                      "tenancy": model.why})
