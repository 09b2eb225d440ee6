"""What a row-level security policy admits: who it applies to, which constants it reduces to, and whether it
restricts rows by a column. The RLS and policy checks, and the tenancy model's view of policies, read these.

Policy expressions come from the catalog as PostgreSQL prints them and are parsed with pglast; every rule here
reasons about the parse tree, never about the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlib.catalog import Catalog
from auditlib.config import AuditConfig
from auditlib.sqlparse import (
    A_Expr_Kind,
    BoolExprType,
    ast,
    column_ref,
    constant_value,
    expression_nodes,
    operator_name,
    parse_expression,
    uncast,
)

if TYPE_CHECKING:
    from auditlib.model.tenancy import TenancyModel

COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def api_roles(config: AuditConfig) -> list[str]:
    return list(config.get("tenancy", "api_roles"))


def policies_by_table(catalog: Catalog) -> dict[tuple[str, str], list[dict]]:
    result: dict[tuple[str, str], list[dict]] = {}
    for row in catalog.records("policies"):
        result.setdefault((row["schema"], row["table"]), []).append(row)
    return result


def is_column(node: ast.Node, column: str) -> bool:
    ref = column_ref(node)
    return ref is not None and ref[1] == column


def is_true(node: ast.Node) -> bool:
    """True when an expression is constant true (``true``, ``1 = 1``, ``'a' = 'a'``, ``NOT false``...)."""
    value = constant_value(node)
    return value is True


def applies_to_api(policy: dict, roles: list[str], service_roles: list[str] | None = None) -> bool:
    """The policy admits some API role: it is granted to one (or PUBLIC) and its expressions do not limit it to
    the service roles (``auth.role() = 'service_role'`` admits only a role that bypasses RLS anyway)."""
    if not {"public", *roles} & set(policy["roles"]):
        return False
    return not (service_roles and service_role_only(policy, service_roles))


def service_role_only(policy: dict, service_roles: list[str]) -> bool:
    """Every expression of the policy requires the caller's role to be one of ``service_roles``."""
    texts = [t for t in (policy["using_expression"], policy["with_check"]) if t]
    trees = [parse_expression(t) for t in texts]
    return bool(trees) and all(t is not None and requires_role(t, set(service_roles)) for t in trees)


def requires_role(node: ast.Node, roles: set[str]) -> bool:
    """The expression is false unless the caller's role is one of ``roles``."""
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return any(requires_role(arg, roles) for arg in node.args)
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.OR_EXPR:
        return all(requires_role(arg, roles) for arg in node.args)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and operator_name(node) == "=":
        for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
            value = constant_value(other)
            if is_role_expression(side) and isinstance(value, str) and value in roles:
                return True
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_IN and is_role_expression(node.lexpr):
        values = [constant_value(v) for v in (node.rexpr if isinstance(node.rexpr, tuple) else (node.rexpr,))]
        return bool(values) and all(isinstance(v, str) and v in roles for v in values)
    return False


def is_role_expression(node: ast.Node) -> bool:
    """``auth.role()``, ``auth.jwt() ->> 'role'``, ``current_setting('request.jwt.claim.role')``, ``current_user``."""
    node = uncast(node)
    if isinstance(node, ast.FuncCall):
        name = [n.sval for n in node.funcname if isinstance(n, ast.String)][-1]
        if name == "role":
            return True
        if name == "current_setting" and node.args:
            setting = constant_value(node.args[0])
            return isinstance(setting, str) and setting.endswith("role")
        return False
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and operator_name(node) in ("->>", "->"):
        return constant_value(node.rexpr) == "role"
    if isinstance(node, ast.SQLValueFunction):
        return node.op.name in ("SVFOP_CURRENT_ROLE", "SVFOP_CURRENT_USER", "SVFOP_SESSION_USER")
    return False


def service_roles(config: AuditConfig) -> list[str]:
    return list(config.get("tenancy", "service_roles"))


def always_true_clauses(policy: dict) -> list[str]:
    clauses = []
    for part, label in (("using_expression", "USING"), ("with_check", "WITH CHECK")):
        text = policy[part]
        tree = parse_expression(text) if text else None
        if tree is not None and is_true(tree):
            clauses.append(label)
    return clauses


def restricts_by(text: str | None, column: str) -> bool:
    """True when an expression compares, passes or matches the tenant column (a NULL test alone does not)."""
    for node, ancestors in expression_nodes(text):
        if is_column(node, column) and not (ancestors and isinstance(ancestors[-1], ast.NullTest)):
            return True
    return False


def scoped_to_caller(node: ast.Node) -> bool:
    """The expression is false unless a column of the row equals the caller's user id (``user_id = auth.uid()``,
    ``(SELECT auth.uid()) = invitee_id``), as one of its AND-ed conditions."""
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return any(scoped_to_caller(arg) for arg in node.args)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and operator_name(node) == "=":
        return any(column_ref(uncast(side)) is not None and identity_call(other) == "auth.uid"
                   for side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)))
    return False


# Functions that read who is asking (Supabase's JWT helpers and the settings PostgREST and apps put them in).
AUTH_CALLS = ("auth.uid", "auth.jwt", "auth.role", "auth.email", "current_setting")


def auth_call_name(node: ast.Node) -> str | None:
    """``auth.uid`` for a call of one of AUTH_CALLS (schema-qualified or not), else None."""
    if not isinstance(node, ast.FuncCall):
        return None
    names = [n.sval for n in node.funcname if isinstance(n, ast.String)]
    name = ".".join(names[-2:]) if len(names) >= 2 else names[-1] if names else ""
    if name.startswith("pg_catalog."):
        name = name.removeprefix("pg_catalog.")
    return name if name in AUTH_CALLS else None


def identity_call(node: ast.Node) -> str | None:
    """The AUTH_CALLS name of ``auth.uid()``, ``(SELECT auth.uid())`` or either cast, else None."""
    node = uncast(node)
    if isinstance(node, ast.SubLink) and isinstance(node.subselect, ast.SelectStmt):
        targets = node.subselect.targetList or ()
        if len(targets) == 1 and node.subselect.fromClause is None and node.subselect.whereClause is None:
            return identity_call(targets[0].val)
        return None
    return auth_call_name(node)


def policy_scoped_to_caller(policy: dict) -> bool:
    """Every expression of the policy limits rows to those naming the caller's own user id."""
    trees = [parse_expression(t) for t in (policy["using_expression"], policy["with_check"]) if t]
    return bool(trees) and all(t is not None and scoped_to_caller(t) for t in trees)


def policy_restricts(policy: dict, column: str) -> bool:
    texts = [t for t in (policy["using_expression"], policy["with_check"]) if t]
    return bool(texts) and all(restricts_by(t, column) for t in texts)



def tenant_policy_gaps(catalog: Catalog, config: AuditConfig,
                       tenancy: TenancyModel) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(schema, table) -> {command: [names of the permissive policies that let API users run it without checking
    the tenant column]}, for the tenant tables with row-level security on. Constant-true policies are left out
    (they admit every row: a finding of their own), and so is a command a restrictive policy scopes by tenant."""
    roles, service = api_roles(config), service_roles(config)
    column = tenancy.column
    policies = policies_by_table(catalog)
    gaps: dict[tuple[str, str], dict[str, list[str]]] = {}
    for key, row in tenancy.tables.items():
        if (not row["has_tenant_column"] or row["scope"] != "tenant" or key == tenancy.membership
                or not catalog.relation(*key)["rls_enabled"] or key not in policies):
            continue
        for command in COMMANDS:
            applicable = [p for p in policies[key]
                          if p["command"] in (command, "ALL") and applies_to_api(p, roles, service)]
            permissive = [p for p in applicable if p["permissive"]]
            if not permissive or any(policy_restricts(p, column) for p in applicable if not p["permissive"]):
                continue
            leaks = [p["name"] for p in permissive if not policy_restricts(p, column) and not always_true_clauses(p)]
            if leaks:
                gaps.setdefault(key, {})[command] = leaks
    return gaps
