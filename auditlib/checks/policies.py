"""Policies: the holes and traps in row-level security policies beyond the tenant leaks of ``rls.py``.

Every rule reasons about the policy expressions' parse trees (pglast), the table's flags (RLS enabled, forced,
owner) and the roles (superuser, BYPASSRLS, memberships). Severity follows exploitability: a policy that applies to
``anon`` or PUBLIC is worse than one for the other API roles (``tenancy.api_roles``), which is worse than one
granted only to trusted roles; policies for roles that bypass row-level security (``service_role``) are never leaks.
The pgrls rule ids and Supabase splinter lints each check corresponds to are named in its docstring.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pglast

from auditlib.catalog import Catalog, qualified
from auditlib.checks import check
from auditlib.config import AuditConfig
from auditlib.findings import Finding
from auditlib.model import Analysis
from auditlib.model.policies import COMMANDS, auth_call_name, identity_call, tenant_policy_gaps
from auditlib.quoting import ident, object_name
from auditlib.sqlparse import (
    A_Expr_Kind,
    BoolExprType,
    NullTestType,
    ast,
    column_ref,
    constant_value,
    deparse,
    expression_nodes,
    iter_nodes,
    operator_name,
    parse_expression,
    uncast,
)

WRITE_COMMANDS = ("INSERT", "UPDATE", "ALL")
ANONYMOUS_ROLES = ("public", "anon")
JSON_OPERATORS = ("->", "->>", "#>", "#>>")


# -- roles and exposure --------------------------------------------------------------------------------------------
def _bypass_roles(catalog: Catalog) -> set[str]:
    """Roles row-level security never applies to: superusers and roles with BYPASSRLS."""
    return {r["name"] for r in catalog.records("roles") if r["superuser"] or r["bypass_rls"]}


def _exposure(policy: dict, bypass: set[str], api_roles: list[str]) -> str | None:
    """Who a policy applies to, most exploitable first: "anonymous", "api", "trusted"; None when every role it
    names bypasses row-level security (the policy is never evaluated)."""
    subject = [r for r in policy["roles"] if r not in bypass]
    if not subject:
        return None
    if set(subject) & set(ANONYMOUS_ROLES):
        return "anonymous"
    if set(subject) & set(api_roles):
        return "api"
    return "trusted"


def _api_roles(config: AuditConfig) -> list[str]:
    return list(config.get("tenancy", "api_roles"))


def _where(policy: dict) -> str:
    return qualified(policy["schema"], policy["table"])


def _policy_object(policy: dict) -> str:
    return f"{_where(policy)}.{policy['name']}"


def _policy_evidence(policy: dict, **extra) -> dict:
    return {"policy": policy["name"], "command": policy["command"], "permissive": bool(policy["permissive"]),
            "roles": list(policy["roles"]), "using": policy["using_expression"], "with_check": policy["with_check"],
            **extra}


def _clause_texts(policy: dict) -> Iterator[tuple[str, str]]:
    """("USING" | "WITH CHECK", expression text) for each clause the policy has and pglast parses."""
    for part, label in (("using_expression", "USING"), ("with_check", "WITH CHECK")):
        text = policy[part]
        if text and parse_expression(text) is not None:
            yield label, text


def _clauses(policy: dict) -> Iterator[tuple[str, ast.Node]]:
    """("USING" | "WITH CHECK", parse tree) for each clause the policy has and pglast parses."""
    for label, text in _clause_texts(policy):
        yield label, parse_expression(text)


def _alter_policy(policy: dict, using: str | None, with_check: str | None) -> str:
    """An ALTER POLICY statement setting new expressions (None leaves a clause as it is)."""
    sql = f"ALTER POLICY {ident(policy['name'])} ON {ident(policy['schema'], policy['table'])}"
    if using is not None:
        sql += f"\n    USING ({using})"
    if with_check is not None:
        sql += f"\n    WITH CHECK ({with_check})"
    sql += ";"
    pglast.parse_sql(sql)  # generated SQL must parse; a failure here is a bug, caught by the tests
    return sql


# -- expression analysis -------------------------------------------------------------------------------------------
def _in_sublink(ancestors: tuple) -> bool:
    return any(isinstance(a, ast.SubLink) for a in ancestors)


def _own_columns(node: ast.Node, table: str) -> set[str]:
    """Columns of the policy's table an expression reads outside subqueries (unqualified or ``table.column``)."""
    found = set()
    for child, ancestors in iter_nodes(node):
        ref = column_ref(child)
        if ref is None or _in_sublink(ancestors):
            continue
        qualifier, name = ref
        if not qualifier or qualifier[-1] == table:
            found.add(name)
    return found


def _identity_like(node: ast.Node) -> bool:
    """True when an expression's value comes from the session or another table (a function call, a subquery, a
    parameter, current_user): what a row's owner or tenant column is compared with."""
    return any(isinstance(child, (ast.FuncCall, ast.SubLink, ast.SQLValueFunction, ast.ParamRef))
               for child, _ in iter_nodes(node))


def _bindings(text: str | None, table: str) -> dict[str, str]:
    """The row-scope columns of an expression (none when it is empty or does not parse): column -> how it is bound.

    "compared": a bare column compared with the session's identity (``user_id = auth.uid()``,
    ``organization_id IN (SELECT ...)``); "derived": a column inside a comparison or call with it
    (``lower(email) = auth.email()``, ``is_member(organization_id)``); "correlated": a column a subquery
    correlates with (``EXISTS (SELECT 1 FROM projects p WHERE p.id = tasks.project_id ...)``).
    """
    found: dict[str, str] = {}

    def bind(columns: set[str], how: str) -> None:
        for column in columns:
            if found.get(column) != "compared":
                found[column] = how

    for node, ancestors in expression_nodes(text):
        if _in_sublink(ancestors):
            ref = column_ref(node)
            if ref is not None and ref[0] and ref[0][-1] == table:
                bind({ref[1]}, "correlated")
            continue
        if isinstance(node, ast.A_Expr) and node.lexpr is not None and node.rexpr is not None and (
                (node.kind == A_Expr_Kind.AEXPR_OP and operator_name(node) == "=")
                or node.kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_IN)):
            for column_side, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
                if isinstance(other, (list, tuple)):
                    identity = any(_identity_like(o) for o in other) and not any(_own_columns(o, table)
                                                                              for o in other)
                else:
                    identity = _identity_like(other) and not _own_columns(other, table)
                if isinstance(column_side, (list, tuple)) or not identity:
                    continue
                # x = ANY(column) reads an array column: an index on it does not serve the comparison
                bare = column_ref(column_side) is not None and not (
                    node.kind == A_Expr_Kind.AEXPR_OP_ANY and column_side is node.rexpr)
                bind(_own_columns(column_side, table), "compared" if bare else "derived")
        elif isinstance(node, ast.SubLink) and node.testexpr is not None:
            bind(_own_columns(node.testexpr, table),
                 "compared" if column_ref(node.testexpr) is not None else "derived")
        elif isinstance(node, ast.FuncCall) and auth_call_name(node) is None:
            bind(_own_columns(node, table), "derived")
    return found


def _is_false(tree: ast.Node) -> bool:
    """True when an expression is constant false or NULL (it admits no row)."""
    value = constant_value(tree)
    return value is False or value is None


def _is_true(tree: ast.Node) -> bool:
    return constant_value(tree) is True


def _disjuncts(node: ast.Node) -> Iterator[ast.Node]:
    """The arms of an OR, nested ORs flattened; the node itself when it is not an OR."""
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.OR_EXPR:
        for arg in node.args:
            yield from _disjuncts(arg)
    else:
        yield node


def _anonymous_arm(node: ast.Node) -> str | None:
    """The identity function of an arm that is true exactly when nobody is signed in (``auth.uid() IS NULL``)."""
    if isinstance(node, ast.NullTest) and node.nulltesttype == NullTestType.IS_NULL:
        return identity_call(node.arg)
    if (isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.NOT_EXPR and len(node.args) == 1
            and isinstance(node.args[0], ast.NullTest) and node.args[0].nulltesttype == NullTestType.IS_NOT_NULL):
        return identity_call(node.args[0].arg)
    return None


# -- checks --------------------------------------------------------------------------------------------------------
WRITE_SEVERITY = {"anonymous": "high", "api": "medium", "trusted": "low"}


def _overlap(roles: list[str], others: list[str]) -> bool:
    """True when two policies' role lists share a role (PUBLIC shares every one)."""
    return "public" in roles or "public" in others or bool(set(roles) & set(others))


def _write_clause(policy: dict) -> str | None:
    """The expression new rows are checked against: WITH CHECK, else USING for UPDATE and ALL (PostgreSQL reuses
    it), else None (an INSERT policy without WITH CHECK, which admits no row)."""
    if policy["with_check"]:
        return policy["with_check"]
    return policy["using_expression"] if policy["command"] in ("UPDATE", "ALL") else None


@check(name="policy_write_without_check", category="security", severity="high", needs=("analysis",),
       peers=("pgrls:SEC006", "pgrls:SEC040"))
def policy_write_without_check(catalog: Catalog, config: AuditConfig, analysis: Analysis) -> Iterator[Finding]:
    """A write policy checks new rows with no owner or tenant condition, although the rows it reads are scoped.

    The row scope is the columns USING compares with the signed-in user (``user_id = auth.uid()``,
    ``organization_id = get_user_organization_id()``, a correlated subquery); for an INSERT policy, the scope of the
    table's permissive read policies for the same roles. A missing WITH CHECK on an UPDATE or ALL policy is not
    reported: PostgreSQL then checks new rows against USING. A constant-true WITH CHECK is ``rls_always_true``'s
    finding, and one that drops only the tenant column on a tenant table is ``rls_tenant_not_enforced``'s. A WITH
    CHECK that binds another owner column (read your team's rows, write your own) is deliberate and not reported.
    Corresponds to pgrls SEC006 and SEC040.

    Why it matters: WITH CHECK is what stops a user writing rows that are not theirs: with ``WITH CHECK
    (auth.role() = 'authenticated')`` any user inserts rows stamped with another user's or tenant's id (injecting
    data into their account) or, with a blind UPDATE, hands rows over to someone else.

    How to fix: make WITH CHECK bind the same owner or tenant columns as USING (for UPDATE and ALL, dropping the
    explicit WITH CHECK makes PostgreSQL reuse USING).
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    covered = {(*key, name) for key, commands in tenant_policy_gaps(catalog, config, analysis.tenancy).items()
               for names in commands.values() for name in names}
    tenant_column = config.tenant_column
    by_table: dict[tuple[str, str], list[dict]] = {}
    for policy in catalog.records("policies"):
        by_table.setdefault((policy["schema"], policy["table"]), []).append(policy)
    for (schema, table), policies in by_table.items():
        for policy in policies:
            exposure = _exposure(policy, bypass, api_roles)
            if policy["command"] not in WRITE_COMMANDS or not policy["permissive"] or exposure is None:
                continue
            text = _write_clause(policy)
            tree = parse_expression(text) if text else None
            if tree is None or _is_true(tree) or _is_false(tree):
                continue  # constant true: rls_always_true; admits nothing: policy_deny_all
            if _bindings(text, table):
                continue
            if policy["command"] == "INSERT":
                readers = [p for p in policies if p["permissive"] and p["command"] in ("SELECT", "ALL")
                           and p["using_expression"] and _overlap(p["roles"], policy["roles"])]
                scope: dict[str, str] = {}
                for reader in readers:
                    reader_tree = parse_expression(reader["using_expression"])
                    if reader_tree is not None and not _is_true(reader_tree):
                        scope.update(_bindings(reader["using_expression"], table))
                source = "the table's read policies"
            else:
                scope = _bindings(policy["using_expression"], table)
                source = "USING"
            if not scope:
                continue
            if set(scope) <= {tenant_column} and (schema, table, policy["name"]) in covered:
                continue
            where = qualified(schema, table)
            columns = sorted(scope)
            if policy["command"] in ("UPDATE", "ALL"):
                remediation = _alter_policy(policy, None, f"({policy['using_expression']}) AND ({text})")
            else:
                remediation = (f"-- bind the owner/tenant column(s) {', '.join(columns)} in WITH CHECK, e.g.\n"
                               f"-- ALTER POLICY {ident(policy['name'])} ON {ident(schema, table)} "
                               f"WITH CHECK (<{columns[0]} = the signed-in user's value> AND ({text}));")
            yield Finding(
                schema=schema, table=table, column=None, object=_policy_object(policy),
                severity=WRITE_SEVERITY[exposure],
                title=f"Policy \"{policy['name']}\" on {where} lets {', '.join(policy['roles'])} write rows of "
                      "other users",
                detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} checks new rows with "
                        f"({text}), which binds none of {', '.join(columns)} that {source} scope"
                        f"{'s' if source == 'USING' else ''} rows by: a user can write rows stamped with another "
                        "user's or tenant's id."),
                evidence=_policy_evidence(policy, write_check=text, row_scope=columns, scope_from=source,
                                          exposure=exposure),
                remediation_sql=remediation)


@check(name="policy_deny_all", category="security", severity="medium",
       peers=("pgrls:SEC010", "pgrls:SEC012"))
def policy_deny_all(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A policy admits no row (constant false, or an INSERT policy without WITH CHECK), or a table has only
    restrictive policies: a silent deny-all.

    Restrictive policies only narrow what permissive ones admit; with no permissive policy nothing is admitted,
    whatever the restrictive ones say. A table with RLS on and no policy at all is ``rls_no_policy``'s finding;
    policies for roles that bypass row-level security are left out (they are never evaluated). Corresponds to
    pgrls SEC010 and SEC012 (and SEC006's clause-less INSERT policy).

    Why it matters: the table looks protected by policies but every API request for those commands fails or
    returns nothing; a constant-false permissive policy does nothing at all and misleads the reader into thinking
    a command is governed by it.

    How to fix: deny a command with privileges (``REVOKE INSERT ON ... FROM authenticated``) rather than a
    policy; add the permissive policy that grants what the roles need; give an INSERT policy its WITH CHECK.
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    by_table: dict[tuple[str, str], list[dict]] = {}
    for policy in catalog.records("policies"):
        if _exposure(policy, bypass, api_roles) is not None:
            by_table.setdefault((policy["schema"], policy["table"]), []).append(policy)
    for (schema, table), policies in by_table.items():
        relation = catalog.relation(schema, table) or {}
        if not relation.get("rls_enabled"):
            continue  # rls_policy_without_rls
        where = qualified(schema, table)
        if not any(p["permissive"] for p in policies):
            names = [p["name"] for p in policies]
            yield Finding(
                schema=schema, table=table, column=None,
                title=f"{where} has only restrictive policies: every row is denied",
                detail=(f"{where} has {len(names)} restrictive polic{'y' if len(names) == 1 else 'ies'} "
                        f"({', '.join(names)}) and no permissive one, so no role subject to row-level security "
                        "reads or writes a single row."),
                evidence={"restrictive_policies": names, "permissive_policies": []})
            continue
        for policy in policies:
            dead = []
            for label, tree in _clauses(policy):
                if _is_false(tree):
                    dead.append(label)
            if policy["command"] == "INSERT" and not policy["with_check"]:
                dead.append("WITH CHECK (missing)")
            if not dead:
                continue
            commands = COMMANDS if policy["command"] == "ALL" else (policy["command"],)
            alive = [p["name"] for p in policies if p is not policy and p["permissive"]
                     and p["command"] in (*commands, "ALL")]
            if policy["permissive"]:
                effect = ("it grants nothing" + (f" (the other policies {', '.join(alive)} decide)" if alive else
                                                 f"; no other policy grants {'/'.join(commands)}, so it is denied to every role "
                                                 "subject to row-level security"))
            else:
                effect = f"as a restrictive policy it denies {'/'.join(commands)} whatever the others admit"
            remediation = f"DROP POLICY {ident(policy['name'])} ON {ident(schema, table)};"
            if not alive or not policy["permissive"]:
                grantees = ", ".join("PUBLIC" if r == "public" else ident(r) for r in policy["roles"])
                remediation += (f"\n-- deny with privileges instead of a policy:\nREVOKE {', '.join(commands)} ON "
                                f"{ident(schema, table)} FROM {grantees};")
            yield Finding(
                schema=schema, table=table, column=None, object=_policy_object(policy),
                severity="low" if policy["permissive"] and alive else None, remediation_sql=remediation,
                title=f"Policy \"{policy['name']}\" on {where} admits no row",
                detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} is constant false in "
                        f"{' and '.join(dead)}: {effect}."),
                evidence=_policy_evidence(policy, constant_false=dead, other_permissive=alive))


METADATA_SEVERITY = {"anonymous": "high", "api": "high", "trusted": "low"}
EMAIL_SEVERITY = {"anonymous": "medium", "api": "medium", "trusted": "low"}


def _string(node: ast.Node) -> str | None:
    """The value of a string constant (``'role'`` or ``'role'::text`` as PostgreSQL prints it), else None."""
    node = uncast(node)
    return node.val.sval if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String) else None


def _path_root(key: str | None) -> str | None:
    """The first key of a JSON key or path literal: ``user_metadata`` for ``'user_metadata'`` and
    ``'{user_metadata,role}'``."""
    return None if key is None else key.strip().strip("{}").split(",")[0].strip().strip('"')


def _trusted_claims(text: str) -> list[tuple[str, str]]:
    """(kind, SQL) for each user-editable or mutable claim an expression reads: "user_metadata" or "email"."""
    found = []
    for node, _ in expression_nodes(text):
        if not (isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP
                and operator_name(node) in JSON_OPERATORS and node.lexpr is not None):
            if auth_call_name(node) == "auth.email":
                found.append(("email", deparse(node)))
            continue
        key = _string(node.rexpr)
        ref = column_ref(node.lexpr)
        under_app_metadata = any(_path_root(_string(n)) == "app_metadata" for n, _ in iter_nodes(node.lexpr))
        if ref is not None and ref[1] == "raw_user_meta_data":
            found.append(("user_metadata", deparse(node)))
        elif _path_root(key) == "user_metadata" and not under_app_metadata:
            found.append(("user_metadata", deparse(node)))
        elif key == "email" and any(identity_call(n) == "auth.jwt" for n in (node.lexpr,)):
            found.append(("email", deparse(node)))
    return found


@check(name="policy_trusts_user_metadata", category="security", severity="high",
       peers=("splinter:0015", "pgrls:SEC033", "pgrls:SEC034"))
def policy_trusts_user_metadata(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A policy decides on ``user_metadata`` (which every user can edit) or on the user's email.

    Reported: ``auth.jwt() -> 'user_metadata'`` in any JSON-operator or path form, ``raw_user_meta_data`` read
    through a JSON operator (keys under ``app_metadata`` are not reported: only the service role writes them);
    ``auth.email()`` and ``auth.jwt() ->> 'email'`` at a lower severity. Corresponds to Supabase splinter 0015
    rls_references_user_metadata and pgrls SEC033 and SEC034.

    Why it matters: a user sets their own ``user_metadata`` with ``supabase.auth.updateUser({data: {role:
    'admin'}})``; the next token carries it, so a policy that trusts it grants whatever the user asks. An email
    changes with the user's account, compares case-sensitively, and when sign-up does not confirm emails anyone
    can claim an address that an invitation or ownership row was keyed by.

    How to fix: decide on ``app_metadata`` (``auth.jwt() -> 'app_metadata'``, written only by the service role)
    or on a membership table keyed by ``auth.uid()``; key ownership rows by the user id, not the email.
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    for policy in catalog.records("policies"):
        exposure = _exposure(policy, bypass, api_roles)
        if exposure is None:
            continue
        claims = [(label, kind, sql) for label, text in _clause_texts(policy) for kind, sql in _trusted_claims(text)]
        if not claims:
            continue
        kinds = {kind for _, kind, _ in claims}
        metadata = "user_metadata" in kinds
        where = _where(policy)
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None, object=_policy_object(policy),
            severity=(METADATA_SEVERITY if metadata else EMAIL_SEVERITY)[exposure],
            title=(f"Policy \"{policy['name']}\" on {where} trusts "
                   f"{'user_metadata, which users edit themselves' if metadata else 'the user’s email'}"),
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} decides on "
                    f"{', '.join(sorted({sql for _, _, sql in claims}))}: "
                    + ("any signed-in user can set that value and so grant themselves the access."
                       if metadata else "the email changes with the account and is not proof of identity unless "
                                        "sign-up confirms it.")),
            evidence=_policy_evidence(policy, claims=[{"clause": c, "kind": k, "sql": s} for c, k, s in claims],
                                      exposure=exposure))


INVERTED_SEVERITY = {"anonymous": "high", "api": "low", "trusted": "low"}


@check(name="policy_inverted_uid_check", category="security", severity="high",
       peers=("pgrls:SEC004",))
def policy_inverted_uid_check(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A permissive policy admits every row when nobody is signed in (``auth.uid() IS NULL OR ...``).

    An arm of the policy's top-level OR (nested ORs included) is true exactly when the identity function
    (``auth.uid()``, ``auth.jwt()``, ``auth.role()``, ``auth.email()``, ``current_setting(...)``, wrapped in a
    subquery or a cast or not) is NULL. An ``IS NULL`` under AND is a deliberate public arm and is not reported.
    High when the policy applies to ``anon`` or PUBLIC; low for other roles, which always carry a user (the arm is
    dead until the policy is granted more widely). Corresponds to pgrls SEC004.

    Why it matters: the anonymous API key has no user, so ``auth.uid()`` is NULL for every anonymous request and
    the OR is satisfied without the real check: anyone with the public key reads (or writes) every row.

    How to fix: remove the ``IS NULL`` arm; if anonymous visitors must see some rows, write a separate policy
    ``TO anon`` with the condition that selects those rows.
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    for policy in catalog.records("policies"):
        exposure = _exposure(policy, bypass, api_roles)
        if exposure is None or not policy["permissive"]:
            continue
        arms, rewritten = [], {}
        for label, tree in _clauses(policy):
            found = [{"clause": label, "function": name, "sql": deparse(arm)}
                     for arm in _disjuncts(tree) if (name := _anonymous_arm(arm)) is not None]
            if found:
                arms.extend(found)
                kept = [arm for arm in _disjuncts(tree) if _anonymous_arm(arm) is None]
                rewritten[label] = " OR ".join(f"({deparse(arm)})" for arm in kept) if kept else "false"
        if not arms:
            continue
        where = _where(policy)
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None, object=_policy_object(policy),
            severity=INVERTED_SEVERITY[exposure],
            title=f"Policy \"{policy['name']}\" on {where} admits every row to requests without a user",
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} is OR-ed with "
                    f"{arms[0]['sql']}, which is true for every request without a signed-in user"
                    + (": anonymous API requests pass it." if exposure == "anonymous" else
                       f"; it applies to {', '.join(policy['roles'])}, whose requests carry a user, so the arm "
                       "opens the table as soon as the policy reaches anon.")),
            evidence=_policy_evidence(policy, inverted_arms=arms, exposure=exposure),
            remediation_sql=_alter_policy(policy, rewritten.get("USING"), rewritten.get("WITH CHECK")))


def _members(catalog: Catalog, role: str) -> set[str]:
    """Roles that are ``role`` or belong to it, directly or through other roles."""
    parents = {r["name"]: set(r["member_of"]) for r in catalog.records("roles")}
    reached, changed = {role}, True
    while changed:
        changed = False
        for name, groups in parents.items():
            if name not in reached and groups & reached:
                reached.add(name)
                changed = True
    return reached


@check(name="rls_not_forced", category="security", severity="high",
       peers=("pgrls:SEC002", "pgrls:SEC048"))
def rls_not_forced(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """Row-level security is on but not forced, and the table's owner is a role the API or another login reaches.

    A table's owner, and every role with the owner's privileges, skips the table's policies unless FORCE ROW
    LEVEL SECURITY is set. Reported when an API role (``tenancy.api_roles``) is the owner or a member of it
    (high), when another login role that is neither superuser nor BYPASSRLS is a member of the owner (medium), or
    when the owner itself logs in and is neither (low: right for a migration role, a hole if the application
    connects as it). Owners that are superusers or BYPASSRLS are left out: FORCE does not bind them. Corresponds
    to pgrls SEC002 and SEC048.

    Why it matters: a member of the owning role inherits ownership (with INHERIT at once, otherwise after one
    ``SET ROLE``) and with it every row of the table, whatever the policies say; an application that connects as
    the owner sees every tenant's rows while its tests, run as the same role, pass.

    How to fix: ``ALTER TABLE ... FORCE ROW LEVEL SECURITY``; revoke the owner role from the API and application
    roles, and have the application connect as a role that owns nothing.
    """
    api_roles = _api_roles(config)
    roles = {r["name"]: r for r in catalog.records("roles")}
    for row in catalog.records("user_tables"):
        if not row["rls_enabled"] or row["rls_forced"]:
            continue
        owner = roles.get(row["owner"])
        if owner is None or owner["superuser"] or owner["bypass_rls"]:
            continue
        members = _members(catalog, owner["name"])
        api = sorted(members & set(api_roles))
        logins = sorted(m for m in members - {owner["name"]} - set(api)
                        if roles[m]["can_login"] and not roles[m]["superuser"] and not roles[m]["bypass_rls"])
        if api:
            severity, reach = "high", f"the API role{'s' if len(api) > 1 else ''} {', '.join(api)}"
            how = f"is reachable by {reach}"
        elif logins:
            severity, reach = "medium", f"the login role{'s' if len(logins) > 1 else ''} {', '.join(logins)}"
            how = f"is reachable by {reach}"
        elif owner["can_login"]:
            severity, reach, how = "low", f"anyone who connects as {owner['name']}", "can log in"
        else:
            continue
        where = qualified(row["schema"], row["name"])
        sql = f"ALTER TABLE {ident(row['schema'], row['name'])} FORCE ROW LEVEL SECURITY;"
        # Role memberships are cluster-wide (every database of the server shares them): suggested, not scripted.
        for member in (*api, *logins):
            sql += f"\n-- and unless {member} must act as the owner: REVOKE {ident(owner['name'])} FROM {ident(member)};"
        yield Finding(
            schema=row["schema"], table=row["name"], column=None, severity=severity,
            title=f"Row-level security on {where} is not forced and its owner {owner['name']} {how}",
            detail=(f"Row-level security on {where} is enabled but not forced, so its owner {owner['name']} "
                    f"and every role with the owner's privileges skip its policies: {reach} can read and change "
                    "every row (at once when a member inherits the owner's privileges, after one SET ROLE "
                    "otherwise)."),
            evidence={"owner": owner["name"], "owner_can_login": bool(owner["can_login"]), "api_members": api,
                      "login_members": logins, "rls_forced": False, "api_roles": api_roles},
            remediation_sql=sql)


@check(name="policy_role_bypasses_rls", category="security", severity="low",
       peers=("pgrls:SEC023",))
def policy_role_bypasses_rls(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A policy with a real condition applies only to roles that bypass row-level security, so it never runs.

    Every role the policy names is a superuser or has BYPASSRLS (``service_role`` on Supabase). A constant-true
    policy for such roles (``TO service_role USING (true)``) only says what the role does anyway and is not
    reported; one that tries to restrict it is. Corresponds to pgrls SEC023.

    Why it matters: the condition reads as a limit on what that role sees, but the role reads and writes every
    row regardless: a backend job written against the policy's promise works on every tenant's data.

    How to fix: drop the policy; restrict the job in its queries, or have it connect as a role without BYPASSRLS
    that the policy then governs.
    """
    bypass = _bypass_roles(catalog)
    for policy in catalog.records("policies"):
        if not policy["roles"] or not set(policy["roles"]) <= bypass:
            continue
        trees = dict(_clauses(policy))
        if not trees or all(_is_true(tree) for tree in trees.values()):
            continue
        where = _where(policy)
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None, object=_policy_object(policy),
            title=f"Policy \"{policy['name']}\" on {where} is never applied: {', '.join(policy['roles'])} "
                  f"bypass{'es' if len(policy['roles']) == 1 else ''} row-level security",
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} applies only to "
                    f"{', '.join(policy['roles'])}, which bypass{'es' if len(policy['roles']) == 1 else ''} "
                    "row-level security: its condition "
                    f"({policy['using_expression'] or policy['with_check']}) restricts nothing."),
            evidence=_policy_evidence(policy, bypassing_roles=sorted(policy["roles"])),
            remediation_sql=f"DROP POLICY {ident(policy['name'])} ON {ident(policy['schema'], policy['table'])};")


def _wrap_calls(node):
    """The expression with every AUTH_CALLS call outside a subquery wrapped as ``(SELECT call)``."""
    if isinstance(node, ast.SubLink):
        return node
    if auth_call_name(node) is not None:
        wrapper = parse_expression("(SELECT 1)", shared=False)
        wrapper.subselect.targetList[0].val = node
        return wrapper
    for name in node:
        value = getattr(node, name, None)
        if isinstance(value, ast.Node):
            setattr(node, name, _wrap_calls(value))
        elif isinstance(value, tuple) and any(isinstance(v, ast.Node) for v in value):
            setattr(node, name, tuple(_wrap_calls(v) if isinstance(v, ast.Node) else v for v in value))
    return node


@check(name="policy_uid_per_row", category="security", severity="low",
       peers=("splinter:0003", "pgrls:PERF001"))
def policy_uid_per_row(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A policy calls ``auth.uid()`` (or another identity function) once per row instead of once per query.

    Reported: calls of ``auth.uid()``, ``auth.jwt()``, ``auth.role()``, ``auth.email()`` and ``current_setting()``
    outside any subquery, in policies for roles subject to row-level security. Calls inside a subquery are left
    alone (a ``(SELECT auth.uid())`` runs once). Performance, not security. Corresponds to Supabase splinter 0003
    auth_rls_initplan and pgrls PERF001.

    Why it matters: a bare call is evaluated for every row the query scans or writes; wrapped in ``(SELECT ...)``
    it becomes an InitPlan evaluated once per statement, which on large tables turns seconds into milliseconds.

    How to fix: wrap each call in a scalar subquery, ``user_id = (SELECT auth.uid())`` (the generated ALTER POLICY
    does exactly that).
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    # clause text -> (bare calls, the clause with them wrapped): once per text, as many policies repeat one clause
    # (a migration file of thousands of tables, one policy each), and deparsing costs milliseconds
    clause_calls: dict[str, tuple[list[str], str | None]] = {}
    for policy in catalog.records("policies"):
        if _exposure(policy, bypass, api_roles) is None:
            continue
        calls, rewritten = [], {}
        for label, text in _clause_texts(policy):
            if text not in clause_calls:
                bare = sorted({auth_call_name(n) for n, ancestors in expression_nodes(text)
                               if auth_call_name(n) is not None and not _in_sublink(ancestors)})
                # the parsed tree is shared: the calls are wrapped in a copy
                clause_calls[text] = (bare, deparse(_wrap_calls(copy.deepcopy(parse_expression(text))))
                                      if bare else None)
            bare, wrapped = clause_calls[text]
            if bare:
                calls.extend({"clause": label, "function": f"{name}()"} for name in bare)
                rewritten[label] = wrapped
        if not calls:
            continue
        where = _where(policy)
        names = sorted({c["function"] for c in calls})
        yield Finding(
            schema=policy["schema"], table=policy["table"], column=None, object=_policy_object(policy),
            title=f"Policy \"{policy['name']}\" on {where} calls {', '.join(names)} for every row",
            detail=(f"The {policy['command']} policy \"{policy['name']}\" on {where} calls {', '.join(names)} "
                    f"outside a subquery in {' and '.join(sorted({c['clause'] for c in calls}))}, so it is "
                    "evaluated once per row instead of once per query."),
            evidence=_policy_evidence(policy, calls=calls),
            remediation_sql=_alter_policy(policy, rewritten.get("USING"), rewritten.get("WITH CHECK")))


@check(name="policy_column_unindexed", category="security", severity="low",
       peers=("pgrls:PERF003",))
def policy_column_unindexed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A column a policy compares with the signed-in user or tenant is not the leading column of any index.

    Only columns compared directly (``user_id = auth.uid()``, ``organization_id = get_user_organization_id()``,
    ``organization_id IN (SELECT ...)``) on tables with row-level security on, in policies for roles subject to
    it; any index method and partial indexes count. A column with a single-column foreign key is left to
    ``fk_unindexed``. Performance, not security. Corresponds to pgrls PERF003.

    Why it matters: the policy's condition is added to every query on the table; without an index on the column,
    each one scans the whole table to find the user's rows.

    How to fix: create an index on the column (CREATE INDEX CONCURRENTLY, which does not block writes).
    """
    api_roles = _api_roles(config)
    bypass = _bypass_roles(catalog)
    leading = {(i["schema"], i["table"], i["columns"][0]) for i in catalog.records("indexes")
               if i["is_valid"] and i["columns"]}
    fk_columns = {(f["schema"], f["table"], f["columns"][0]) for f in catalog.records("foreign_keys")
                  if len(f["columns"]) == 1}
    found: dict[tuple[str, str, str], list[str]] = {}
    for policy in catalog.records("policies"):
        relation = catalog.relation(policy["schema"], policy["table"]) or {}
        if not relation.get("rls_enabled") or _exposure(policy, bypass, api_roles) is None:
            continue
        for _, text in _clause_texts(policy):
            for column, how in _bindings(text, policy["table"]).items():
                key = (policy["schema"], policy["table"], column)
                if how != "compared" or key in leading or key in fk_columns:
                    continue
                if catalog.column(*key) is None:
                    continue
                names = found.setdefault(key, [])
                if policy["name"] not in names:
                    names.append(policy["name"])
    for (schema, table, column), names in sorted(found.items()):
        where = qualified(schema, table)
        index = object_name(table, column, suffix="idx")
        yield Finding(
            schema=schema, table=table, column=column,
            title=f"{where}.{column} is compared by row-level security policies but has no index",
            detail=(f"The polic{'y' if len(names) == 1 else 'ies'} {', '.join(repr(n) for n in names)} on {where} "
                    f"compare{'s' if len(names) == 1 else ''} {column} with the signed-in user's value, and no index "
                    f"starts with {column}: every query on {where} scans the whole table."),
            evidence={"policies": names, "row_estimate": catalog.row_estimate(schema, table)},
            remediation_sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(index)} ON {ident(schema, table)} "
                            f"({ident(column)});")
