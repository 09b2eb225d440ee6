"""The security surface around row-level security: what the API roles reach without going through a policy.

SECURITY DEFINER functions, views that run as their owner, materialized views and foreign tables, tables the
API's default privileges will open, roles that bypass RLS, sensitive columns. Who can reach an object is read from
its grants (``execute_grantees``, ``privileges``, column grants) and from ``pg_default_acl``; an object is reachable
over the API when it is in one of the API's exposed schemas (``tenancy.api_schemas``, default ``public``; PostgREST's
``db-schemas``). Severity follows exploitability: what ``anon`` (or PUBLIC) reaches is worse than what only
``authenticated`` reaches; objects granted only to trusted roles are not reported.

The corresponding rules of Supabase's splinter (lint ids such as 0010) and of pgrls (SECnnn) are named in each
check's documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pglast

from auditlib.catalog import Catalog
from auditlib.checks import check
from auditlib.config import PLATFORM_SCHEMAS, AuditConfig, glob_matcher
from auditlib.findings import Finding
from auditlib.quoting import ident, ident_list, literal
from auditlib.sqlparse import (
    ast,
    expression_nodes,
    function_statement,
    iter_plpgsql_queries,
    parse_catalog_plpgsql,
    parse_plpgsql_function,
)

DEFAULT_API_SCHEMAS = ("public",)
# Column names that hold credentials or personal financial data (glob patterns on the lower-cased name).
SENSITIVE_COLUMNS = ("*password*", "*passwd*", "*secret*", "*token", "*api_key*", "*apikey*", "*private_key*",
                     "iban", "*_iban", "ssn", "*_ssn", "*card_number*", "*cvv*")
# Names those patterns match that are not secrets: paging and sync cursors.
NOT_SENSITIVE = ("*sync_token", "*page_token", "*cursor_token")
# Functions that identify the caller of an API request.
CALLER_FUNCTIONS = {("auth", "uid"), ("auth", "jwt"), ("auth", "email"), ("auth", "role")}
# An argument whose name says it identifies a user or a tenant (after a p_/in_/_ prefix is dropped).
ID_ARGUMENT = re.compile(r"(^|_)(id|uid|org|organi[sz]ation|tenant|user|account|team|workspace|member|owner)"
                         r"(_?id)?$")
WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


# -- who is the API ------------------------------------------------------------------------------------------------
def _api_roles(config: AuditConfig) -> list[str]:
    return list(config.get("tenancy", "api_roles"))


def _api_schemas(config: AuditConfig) -> list[str]:
    """The schemas the API exposes (PostgREST's db-schemas): ``tenancy.api_schemas`` when set, else public."""
    return list(config["tenancy"].get("api_schemas", DEFAULT_API_SCHEMAS))


def _platform(config: AuditConfig) -> set[str]:
    return set(config["audit"].get("platform_schemas", PLATFORM_SCHEMAS))


def _low_trust(grantees: list[str] | set[str], roles: list[str]) -> list[str]:
    """The API roles among ``grantees`` (PUBLIC counts as every role); the least trusted first."""
    held = set(grantees)
    if "public" in held:
        return list(roles)
    return [r for r in roles if r in held]


def _anonymous(roles: list[str], api_roles: list[str]) -> bool:
    """True when the least trusted API role (anon, the first of tenancy.api_roles) is among ``roles``."""
    return bool(api_roles) and api_roles[0] in roles


def _table_readers(catalog: Catalog, api_roles: list[str]) -> dict[tuple[str, str], list[str]]:
    """(schema, relation) -> the API roles holding SELECT on it through a table grant."""
    grantees = {*api_roles, "public"}
    readers: dict[tuple[str, str], set[str]] = {}
    for row in catalog.records("privileges"):
        if row["privilege"] != "SELECT" or row["grantee"] not in grantees:
            continue
        readers.setdefault((row["schema"], row["table"]), set()).add(row["grantee"])
    return {key: _low_trust(held, api_roles) for key, held in readers.items()}


def _bypasses_rls(catalog: Catalog, role: str, table: dict | None) -> bool:
    """True when ``role`` reads ``table`` without its row-level security: superuser, BYPASSRLS, or the table's
    owner when RLS is not forced."""
    if any(r["name"] == role and (r["superuser"] or r["bypass_rls"]) for r in catalog.records("roles")):
        return True
    return table is not None and table["owner"] == role and not table["rls_forced"]


def _split(name: str) -> tuple[str, str]:
    schema, _, relation = name.partition(".")
    return schema, relation


def _severity(anonymous: bool, worst: bool, bad: bool = True) -> str:
    """critical/high for what anon reaches, high/medium for authenticated only; one step less when not ``worst``."""
    if not bad:
        return "medium" if anonymous else "low"
    if worst:
        return "critical" if anonymous else "high"
    return "high" if anonymous else "medium"


# -- function bodies -----------------------------------------------------------------------------------------------
@dataclass
class BodyFacts:
    """What a function body does, read from its parse tree (PL/pgSQL or SQL)."""

    parsed: bool = False
    writes: set[str] = field(default_factory=set)       # tables inserted into, updated or deleted from
    reads: set[str] = field(default_factory=set)        # every table named
    calls_caller: bool = False                          # calls auth.uid() or another caller function
    checked_arguments: set[str] = field(default_factory=set)  # id arguments used in one statement with auth.uid()


def _arguments(arguments: str) -> list[tuple[str, str]]:
    """(name, type) of a function's IN arguments from pg_get_function_identity_arguments' text."""
    result = []
    for part in [p.strip() for p in re.split(r",(?![^()]*\))", arguments or "") if p.strip()]:
        words = part.split()
        if words and words[0].upper() in ("IN", "INOUT", "VARIADIC"):
            words = words[1:]
        elif words and words[0].upper() == "OUT":
            continue
        if len(words) >= 2:
            result.append((words[0].strip('"'), " ".join(words[1:])))
        else:
            result.append(("", " ".join(words)))
    return result


def _id_arguments(arguments: list[tuple[str, str]]) -> list[str]:
    ids = []
    for name, _type in arguments:
        bare = re.sub(r"^(p_|in_|_+)", "", name.lower())
        if bare and ID_ARGUMENT.search(bare):
            ids.append(name)
    return ids


def _is_caller(node: ast.Node) -> bool:
    if isinstance(node, ast.FuncCall):
        names = tuple(n.sval for n in node.funcname if isinstance(n, ast.String))
        if names in CALLER_FUNCTIONS:
            return True
        if names[-1:] == ("current_setting",) and node.args and isinstance(node.args[0], ast.A_Const):
            value = getattr(node.args[0].val, "sval", "") or ""
            return value.startswith("request.jwt")
    return False


def _argument_refs(node: ast.Node, names: dict[str, str]) -> set[str]:
    """Arguments (by name or $n) a node refers to."""
    if isinstance(node, ast.ColumnRef):
        fields = [f.sval for f in node.fields if isinstance(f, ast.String)]
        if len(fields) == 1 and fields[0] in names:
            return {names[fields[0]]}
    if isinstance(node, ast.ParamRef) and f"${node.number}" in names:
        return {names[f"${node.number}"]}
    return set()


def _walk(node) -> Iterator[ast.Node]:
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _walk(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)


def _statement_facts(tree, facts: BodyFacts, names: dict[str, str]) -> None:
    seen_args: set[str] = set()
    caller = False
    for node in _walk(tree):
        if isinstance(node, WRITES) and node.relation is not None:
            facts.writes.add(_relation_name(node.relation))
        if isinstance(node, ast.RangeVar):
            facts.reads.add(_relation_name(node))
        if _is_caller(node):
            caller = True
        seen_args |= _argument_refs(node, names)
    facts.calls_caller |= caller
    if caller:
        facts.checked_arguments |= seen_args


def _relation_name(node: ast.RangeVar) -> str:
    return f"{node.schemaname or 'public'}.{node.relname}"


def body_facts(function: dict) -> BodyFacts:
    """Parse a SQL or PL/pgSQL function body and collect what it writes, reads and checks."""
    facts = BodyFacts()
    arguments = _arguments(function["arguments"])
    names = {}
    for position, (name, _type) in enumerate(arguments, start=1):
        names[f"${position}"] = name or f"${position}"
        if name:
            names[name] = name
    texts: list[str] = []
    if function["language"] == "sql":
        texts = [function["source"] or ""]
    elif function["language"] == "plpgsql":
        statement = function_statement(function["schema"], function["name"], function["arguments"] or "",
                                       function["returns"] or "void", "plpgsql", function["source"] or "")
        tree = parse_plpgsql_function(statement)
        if tree is None:
            return facts
        for kind, text, _line, _whole in iter_plpgsql_queries(tree):
            if kind == "statement":
                texts.append(text)
            elif kind == "expression":
                texts.append(f"SELECT {text}")
    else:
        return facts
    for text in texts:
        try:
            parsed = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        for raw in parsed:
            _statement_facts(raw.stmt, facts, names)
    facts.parsed = True
    return facts


def _callable_functions(catalog: Catalog, config: AuditConfig) -> Iterator[tuple[dict, list[str]]]:
    """Functions in the API's schemas that the API roles may execute (not trigger functions), with those roles."""
    api_roles = _api_roles(config)
    schemas = set(_api_schemas(config)) - _platform(config)
    for function in catalog.records("functions"):
        if function["schema"] not in schemas or function["kind"] not in ("function", "procedure"):
            continue
        if (function["returns"] or "").lower() in ("trigger", "event_trigger"):
            continue
        callers = _low_trust(function["execute_grantees"], api_roles)
        if callers:
            yield function, callers


def _signature(function: dict) -> str:
    return f"{function['schema']}.{function['name']}({function['arguments'] or ''})"


def _function_ident(function: dict) -> str:
    return f"{ident(function['schema'], function['name'])}({function['arguments'] or ''})"


def _revoke_sql(function: dict, callers: list[str]) -> str:
    target = f"{'PROCEDURE' if function['kind'] == 'procedure' else 'FUNCTION'} {_function_ident(function)}"
    roles = ", ".join(["PUBLIC", *(ident(r) for r in callers)])
    return f"REVOKE EXECUTE ON {target} FROM {roles};"


@check(name="security_definer_exposed", category="security", severity="high",
       peers=("splinter:0028", "splinter:0029", "pgrls:SEC042", "pgrls:SEC014"))
def security_definer_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A SECURITY DEFINER function in an API schema can be called by the API roles and runs past row-level security.

    The function runs as its owner; when that owner bypasses RLS (superuser, BYPASSRLS, or owner of the tables it
    reads without FORCE ROW LEVEL SECURITY), any caller of ``POST /rpc/<function>`` runs its statements unchecked.
    EXECUTE is granted to PUBLIC by default, so a function nobody revoked is callable by ``anon``. The body is parsed
    (SQL or PL/pgSQL): a function that writes, or takes a user/tenant id argument that no statement compares with
    ``auth.uid()`` (or another caller function), is critical when ``anon`` can call it and high when only
    ``authenticated`` can; one that reads tables without looking at the caller is a step lower; one whose every
    statement is tied to ``auth.uid()`` is medium (anon) or low. Trigger functions (not callable) and functions of
    the platform schemas are not reported. Splinter 0028/0029 (anon/authenticated security definer function
    executable); pgrls SEC042, SEC014.

    Why it matters: row-level security protects tables from the API roles, not from the functions' owner: an
    exposed SECURITY DEFINER function is a door around every policy, and one that trusts an id argument lets any
    caller act on any tenant's rows.

    How to fix: revoke EXECUTE from PUBLIC and the API roles (then grant it to the roles that need it), or make the
    function SECURITY INVOKER; when it must stay callable, check the argument against the caller first
    (``IF org <> (SELECT organization_id FROM organization_members WHERE user_id = auth.uid()) THEN RAISE ...``).
    """
    api_roles = _api_roles(config)
    for function, callers in _callable_functions(catalog, config):
        if not function["security_definer"]:
            continue
        facts = body_facts(function)
        if not _owner_bypasses(catalog, function, facts):
            continue
        ids = _id_arguments(_arguments(function["arguments"]))
        unchecked = [a for a in ids if a not in facts.checked_arguments]
        anonymous = _anonymous(callers, api_roles)
        reads_tables = bool(facts.reads - facts.writes) or not facts.parsed
        if facts.writes or unchecked:
            severity = _severity(anonymous, worst=True)
        elif reads_tables and not facts.calls_caller:
            severity = _severity(anonymous, worst=False)
        else:
            severity = _severity(anonymous, worst=False, bad=False)
        reasons = []
        if facts.writes:
            reasons.append(f"writes {', '.join(sorted(facts.writes))}")
        if unchecked:
            reasons.append(f"trusts its argument{'s' if len(unchecked) > 1 else ''} {', '.join(unchecked)} "
                           "without comparing it with auth.uid()")
        if not reasons and facts.reads:
            reasons.append(f"reads {', '.join(sorted(facts.reads))}"
                           + (" for the caller (auth.uid())" if facts.calls_caller else ""))
        signature = _signature(function)
        yield Finding(
            schema=function["schema"], table=None, column=None, object=signature, severity=severity,
            title=f"SECURITY DEFINER function {signature} is callable by {', '.join(callers)}",
            detail=(f"{signature} runs as {function['owner']}, who bypasses row-level security, and "
                    f"{', '.join(callers)} may execute it over the API"
                    + (f"; it {' and '.join(reasons)}." if reasons else ".")),
            evidence={"callers": callers, "execute_grantees": list(function["execute_grantees"]),
                      "owner": function["owner"], "writes": sorted(facts.writes), "reads": sorted(facts.reads),
                      "id_arguments": ids, "unchecked_arguments": unchecked, "calls_auth_uid": facts.calls_caller,
                      "body_parsed": facts.parsed, "api_roles": api_roles, "api_schemas": _api_schemas(config)},
            remediation_sql=_revoke_sql(function, callers))


def _sets_search_path(config_list: list[str]) -> bool:
    return any(item.split("=", 1)[0].strip().lower() == "search_path" for item in config_list or [])


@check(name="function_search_path_mutable", category="security", severity="high",
       peers=("splinter:0011", "pgrls:SEC015"))
def function_search_path_mutable(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A SECURITY DEFINER function does not pin its search_path.

    Unqualified names in the body resolve through the caller's search_path, and a caller who can create objects in
    a schema on that path (or in pg_temp, searched first for relations) makes the function run their table or
    operator with the owner's rights. Only SECURITY DEFINER functions are reported: an invoker function runs with
    the caller's own rights. Splinter 0011 (function_search_path_mutable, which lists every function); pgrls
    SEC015.

    Why it matters: the owner's privileges, and its exemption from row-level security, go to whatever object the
    caller puts first on the path.

    How to fix: ``ALTER FUNCTION ... SET search_path = ''`` and qualify every name in the body (or set the path to
    the schemas it needs, pg_temp last).
    """
    platform = _platform(config)
    for function in catalog.records("functions"):
        if (not function["security_definer"] or function["schema"] in platform
                or _sets_search_path(function["config"])):
            continue
        signature = _signature(function)
        kind = "PROCEDURE" if function["kind"] == "procedure" else "FUNCTION"
        yield Finding(
            schema=function["schema"], table=None, column=None, object=signature,
            title=f"SECURITY DEFINER function {signature} has a mutable search_path",
            detail=(f"{signature} runs as {function['owner']} but resolves unqualified names through the caller's "
                    "search_path."),
            evidence={"owner": function["owner"], "config": list(function["config"]),
                      "execute_grantees": list(function["execute_grantees"])},
            remediation_sql=f"ALTER {kind} {_function_ident(function)} SET search_path = '';\n"
                            "-- then qualify every table and function name in its body")


@check(name="function_leakproof", category="security", severity="medium",
       peers=("pgrls:SEC017",))
def function_leakproof(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A user-defined function is marked LEAKPROOF.

    The planner runs LEAKPROOF functions (and operators built on them) before a policy's condition or a security
    barrier view's filter, on rows the policy would hide; a function that raises an error or logs its argument
    for some values then reveals those rows. Only a superuser can set the attribute, and PostgreSQL's own are
    reviewed for it; the platform schemas are not reported. pgrls SEC017.

    Why it matters: an error message or a timing difference becomes a channel that reads rows row-level security
    filters out.

    How to fix: ``ALTER FUNCTION ... NOT LEAKPROOF`` unless the function provably never fails or reveals its
    arguments (no errors, no logging, no side effects).
    """
    platform = _platform(config)
    for function in catalog.records("functions"):
        if not function["leakproof"] or function["schema"] in platform:
            continue
        signature = _signature(function)
        yield Finding(
            schema=function["schema"], table=None, column=None, object=signature,
            title=f"{signature} is marked LEAKPROOF",
            detail=(f"{signature} is LEAKPROOF, so the planner may call it on rows before the policies that hide "
                    "them are applied."),
            evidence={"owner": function["owner"], "language": function["language"]},
            remediation_sql=f"ALTER FUNCTION {_function_ident(function)} NOT LEAKPROOF;")


def _policy_functions(catalog: Catalog) -> dict[tuple[str, str], list[str]]:
    """(schema, function name) -> the policies ("schema.table.policy") whose expressions call it."""
    used: dict[tuple[str, str], list[str]] = {}
    for policy in catalog.records("policies"):
        for text in (policy["using_expression"], policy["with_check"]):
            for node, _ in expression_nodes(text):
                if isinstance(node, ast.FuncCall):
                    names = [n.sval for n in node.funcname if isinstance(n, ast.String)]
                    key = (names[0], names[1]) if len(names) == 2 else ("public", names[-1])
                    name = f"{policy['schema']}.{policy['table']}.{policy['name']}"
                    if name not in used.setdefault(key, []):
                        used[key].append(name)
    return used


@check(name="immutable_function_reads_session", category="security", severity="critical",
       peers=("pgrls:SEC046",))
def immutable_function_reads_session(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A function declared IMMUTABLE reads the session (auth.uid(), current_setting, current_user) and a policy calls
    it.

    The planner may evaluate an IMMUTABLE function once, while planning, and reuse the value: in a prepared or
    cached plan (PostgREST prepares its statements) the first caller's user id then filters every later caller's
    rows. The body is parsed; a function is reported when a policy calls it. pgrls SEC046.

    Why it matters: one user's identity is constant-folded into a plan that other users run, so they see (or
    change) that user's rows.

    How to fix: declare the function STABLE (``ALTER FUNCTION ... STABLE``): it is still evaluated once per query,
    never folded into a plan.
    """
    used = _policy_functions(catalog)
    for function in catalog.records("functions"):
        key = (function["schema"], function["name"])
        if function["volatility"] != "immutable" or key not in used:
            continue
        if not _reads_session(function):
            continue
        signature = _signature(function)
        yield Finding(
            schema=function["schema"], table=None, column=None, object=signature,
            title=f"IMMUTABLE function {signature} reads the session and is called by a policy",
            detail=(f"{signature} is IMMUTABLE but reads who is calling; the policies {', '.join(used[key])} call "
                    "it, so a cached plan can apply one user's identity to another."),
            evidence={"policies": used[key], "volatility": "immutable"},
            remediation_sql=f"ALTER FUNCTION {_function_ident(function)} STABLE;")


SESSION_FUNCTIONS = {"current_setting", "current_user", "session_user", "current_role"}


def _reads_session(function: dict) -> bool:
    """True when the body calls auth.uid()/jwt()/role()/email(), current_setting() or reads current_user."""
    texts = []
    if function["language"] == "sql":
        texts = [function["source"] or ""]
    elif function["language"] == "plpgsql":
        tree = parse_catalog_plpgsql(function)
        texts = [text if kind == "statement" else f"SELECT {text}"
                 for kind, text, _line, _whole in iter_plpgsql_queries(tree or {}) if kind != "target"]
    for text in texts:
        try:
            parsed = pglast.parse_sql(text)
        except pglast.parser.ParseError:
            continue
        for node in _walk(parsed):
            if _is_caller(node):
                return True
            if isinstance(node, ast.FuncCall) and node.funcname[-1].sval in SESSION_FUNCTIONS:
                return True
            if isinstance(node, ast.SQLValueFunction) and str(getattr(node.op, "name", node.op)).startswith(
                    ("SVFOP_CURRENT_USER", "SVFOP_SESSION_USER", "SVFOP_CURRENT_ROLE")):
                return True
    return False


# -- views and relations -------------------------------------------------------------------------------------------
def _rls_tables_read(catalog: Catalog, view: dict, seen: set[str] | None = None) -> list[dict]:
    """RLS tables a view reads, directly or through other owner-rights views."""
    seen = set() if seen is None else seen
    found = []
    for name in view["reads"]:
        if name in seen:
            continue
        seen.add(name)
        relation = catalog.relation(*_split(name))
        if relation is None:
            continue
        if relation["kind"] == "view" and not relation["security_invoker"]:
            found.extend(_rls_tables_read(catalog, relation, seen))
        elif relation["kind"] in ("table", "partitioned table") and relation["rls_enabled"]:
            found.append(relation)
    return found


@check(name="view_bypasses_rls", category="security", severity="critical",
       peers=("splinter:0010", "pgrls:VIEW001"))
def view_bypasses_rls(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A view the API roles can read runs as its owner over tables with row-level security.

    A view without ``security_invoker`` (PostgreSQL 15+) reads its tables with its owner's rights; when the owner
    bypasses RLS on a table it reads (superuser, BYPASSRLS, or the table's owner without FORCE ROW LEVEL SECURITY)
    and anon or authenticated hold SELECT on the view, the view shows every row. Critical when anon can read it,
    high when only authenticated can. Splinter 0010 (security_definer_view); pgrls VIEW001.

    Why it matters: the table's policies are skipped entirely: every tenant's rows are one ``GET /view`` away.

    How to fix: ``ALTER VIEW ... SET (security_invoker = true)`` (PostgreSQL 15+), or revoke SELECT on the view from
    the API roles; on older servers, filter by the caller inside the view.
    """
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    for view in catalog.records("views"):
        key = (view["schema"], view["name"])
        if view["kind"] != "view" or view["security_invoker"] or key not in readers:
            continue
        # auth.users read through a view is auth_users_exposed's finding
        bypassed = [t for t in _rls_tables_read(catalog, view) if _bypasses_rls(catalog, view["owner"], t)
                    and (t["schema"], t["name"]) != ("auth", "users")]
        if not bypassed:
            continue
        roles = readers[key]
        names = [f"{t['schema']}.{t['name']}" for t in bypassed]
        yield Finding(
            schema=view["schema"], table=view["name"], column=None,
            severity="critical" if _anonymous(roles, api_roles) else "high",
            title=f"View {view['schema']}.{view['name']} bypasses the row-level security of {', '.join(names)}",
            detail=(f"{view['schema']}.{view['name']} runs as {view['owner']}, who is not subject to the RLS of "
                    f"{', '.join(names)}, and {', '.join(roles)} can read it: the view shows every row."),
            evidence={"owner": view["owner"], "security_invoker": False, "rls_tables": names, "readers": roles,
                      "api_roles": api_roles},
            remediation_sql=f"ALTER VIEW {ident(view['schema'], view['name'])} SET (security_invoker = true);")


@check(name="auth_users_exposed", category="security", severity="critical",
       peers=("splinter:0002", "pgrls:SEC052"))
def auth_users_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A view or materialized view the API roles can read exposes Supabase's auth.users.

    Splinter 0002 (auth_users_exposed); pgrls SEC052. auth.users holds every account's email, phone and metadata;
    a view over it in an API schema, readable by anon or authenticated, publishes them (a view runs as its owner,
    who can read auth.users; the API roles cannot).

    Why it matters: anyone with the project's anon key lists every user's email address and sign-in data.

    How to fix: revoke SELECT on the view from the API roles, or replace it with a table of public profile fields
    kept in sync by a trigger and protected by RLS.
    """
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    schemas = set(_api_schemas(config))
    for view in catalog.records("views"):
        key = (view["schema"], view["name"])
        if view["schema"] not in schemas or "auth.users" not in view["reads"] or key not in readers:
            continue
        if view["kind"] == "view" and view["security_invoker"]:
            continue  # runs as the caller: the API roles cannot read auth.users themselves
        roles = readers[key]
        yield Finding(
            schema=view["schema"], table=view["name"], column=None,
            severity="critical" if _anonymous(roles, api_roles) else "high",
            title=f"{view['schema']}.{view['name']} exposes auth.users to {', '.join(roles)}",
            detail=(f"The {view['kind']} {view['schema']}.{view['name']} reads auth.users and {', '.join(roles)} "
                    "can select from it over the API."),
            evidence={"kind": view["kind"], "owner": view["owner"], "readers": roles, "reads": list(view["reads"])},
            remediation_sql=f"REVOKE SELECT ON {ident(view['schema'], view['name'])} FROM "
                            f"{ident_list(roles)}, PUBLIC;")


def _exposed_relations(catalog: Catalog, config: AuditConfig, kind: str) -> Iterator[tuple[dict, list[str]]]:
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    schemas = set(_api_schemas(config))
    for relation in catalog.records("relations"):
        key = (relation["schema"], relation["name"])
        if relation["kind"] == kind and relation["schema"] in schemas and key in readers:
            yield relation, readers[key]


@check(name="materialized_view_exposed", category="security", severity="high",
       peers=("splinter:0016", "pgrls:SEC054", "pgrls:VIEW003"))
def materialized_view_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A materialized view in an API schema is readable by the API roles.

    A materialized view stores the rows its owner could see at refresh time and has no row-level security of its
    own: whoever can select from it sees all of them. Critical when it stores rows of tables with RLS and anon can
    read it; high otherwise when anon can, medium when only authenticated can. Splinter 0016
    (materialized_view_in_api); pgrls SEC054, VIEW003.

    Why it matters: the snapshot holds every tenant's rows that the policies of its source tables would hide.

    How to fix: move it to a schema the API does not expose and read it through a function that filters by the
    caller, or revoke SELECT from the API roles.
    """
    api_roles = _api_roles(config)
    for view, roles in _exposed_relations(catalog, config, "materialized view"):
        rls = [f"{t['schema']}.{t['name']}" for t in _rls_tables_read(catalog, view)]
        anonymous = _anonymous(roles, api_roles)
        yield Finding(
            schema=view["schema"], table=view["name"], column=None,
            severity=_severity(anonymous, worst=bool(rls)),
            title=f"Materialized view {view['schema']}.{view['name']} is readable by {', '.join(roles)}",
            detail=(f"{view['schema']}.{view['name']} is in an API schema and {', '.join(roles)} can read it; a "
                    "materialized view has no row-level security"
                    + (f", and it stores rows of {', '.join(rls)}, whose policies it skips." if rls else ".")),
            evidence={"readers": roles, "rls_tables": rls, "reads": list(view["reads"]),
                      "api_schemas": _api_schemas(config)},
            remediation_sql=f"REVOKE SELECT ON {ident(view['schema'], view['name'])} FROM "
                            f"{ident_list(roles)}, PUBLIC;")


@check(name="foreign_table_exposed", category="security", severity="high",
       peers=("splinter:0017", "pgrls:SEC053"))
def foreign_table_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A foreign table in an API schema is readable by the API roles.

    Foreign tables do not support row-level security, so a grant on one is a grant on every row of the remote table,
    fetched with the credentials of the user mapping. High when anon can read it, medium when only authenticated
    can. Splinter 0017 (foreign_table_in_api); pgrls SEC053.

    Why it matters: the remote data is exposed in full to anyone holding the API key, bypassing both local RLS and
    the remote server's own access rules.

    How to fix: move the foreign table to a schema the API does not expose and read it through a function that
    checks the caller, or revoke SELECT from the API roles.
    """
    api_roles = _api_roles(config)
    for table, roles in _exposed_relations(catalog, config, "foreign table"):
        yield Finding(
            schema=table["schema"], table=table["name"], column=None,
            severity=_severity(_anonymous(roles, api_roles), worst=False),
            title=f"Foreign table {table['schema']}.{table['name']} is readable by {', '.join(roles)}",
            detail=(f"{table['schema']}.{table['name']} is a foreign table (no row-level security) in an API schema "
                    f"and {', '.join(roles)} can read it."),
            evidence={"readers": roles, "api_schemas": _api_schemas(config)},
            remediation_sql=f"REVOKE ALL ON {ident(table['schema'], table['name'])} FROM "
                            f"{ident_list(roles)}, PUBLIC;")


def _default_grants(catalog: Catalog, schema: str, owner: str, api_roles: list[str]) -> dict[str, list[str]]:
    """grantee -> privileges that ALTER DEFAULT PRIVILEGES gives the API roles on new tables ``owner`` creates in
    ``schema`` (schema-specific and global defaults)."""
    grantees = {*api_roles, "public"}
    grants: dict[str, set[str]] = {}
    for row in catalog.records("default_privileges"):
        if (row["object_type"] != "table" or row["role"] != owner or row["schema"] not in (None, schema)
                or row["grantee"] not in grantees):
            continue
        grants.setdefault(row["grantee"], set()).add(row["privilege"])
    return {g: sorted(p) for g, p in sorted(grants.items())}


@check(name="rls_disabled_exposed", category="security", severity="high",
       peers=("splinter:0013", "pgrls:SEC044", "pgrls:SEC049"))
def rls_disabled_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table with RLS off in an API schema holds no grant for the API roles today, but default privileges give them
    one on every table of that kind.

    ``rls_disabled`` reports tables the API roles hold a grant on; this check covers the tables where the grant is
    missing while the schema's default privileges (``ALTER DEFAULT PRIVILEGES``, which Supabase sets for anon and
    authenticated in public) would grant it: a database restored without its ACLs, built from migrations, or a table
    whose grant was revoked by hand. The table is one ``GRANT`` or one re-creation away from being readable with
    RLS off. The evidence names the default privileges that applied. pgrls SEC044, SEC049.

    Why it matters: access control rests on a grant being absent by accident; the next re-creation of the table (or
    a dump restored with the default ACLs) exposes every row to the API.

    How to fix: enable row-level security (and add policies) so the table is safe whatever the grants; or, for a
    backend-only table, move it out of the API schema.
    """
    api_roles = _api_roles(config)
    schemas = set(_api_schemas(config))
    readers = _table_readers(catalog, api_roles)
    privileges = catalog.privileges
    granted = {(s, t) for s, t, g in zip(privileges["schema"], privileges["table"], privileges["grantee"],
                                         strict=True) if g in {*api_roles, "public"}}
    for table in catalog.records("user_tables"):
        key = (table["schema"], table["name"])
        if (table["kind"] not in ("table", "partitioned table") or table["rls_enabled"] or table["schema"] not in schemas
                or key in granted or key in readers):
            continue
        defaults = _default_grants(catalog, table["schema"], table["owner"], api_roles)
        readable = {g: p for g, p in defaults.items() if "SELECT" in p}
        if not readable:
            continue
        roles = _low_trust(set(readable), api_roles)

        yield Finding(
            schema=table["schema"], table=table["name"], column=None,
            severity="high" if _anonymous(roles, api_roles) else "medium",
            title=f"{table['schema']}.{table['name']} has RLS off and the default privileges open it to "
                  f"{', '.join(roles)}",
            detail=(f"Row-level security is off on {table['schema']}.{table['name']}. The API roles hold no grant on "
                    f"it now, but the default privileges of {table['owner']} in {table['schema']} grant SELECT on "
                    f"new tables to {', '.join(sorted(readable))}: a restore or re-creation exposes every row."),
            evidence={"applied": "default privileges", "grants": {}, "default_privileges": defaults,
                      "owner": table["owner"], "api_schemas": sorted(schemas), "api_roles": api_roles},
            remediation_sql=f"ALTER TABLE {ident(table['schema'], table['name'])} ENABLE ROW LEVEL SECURITY;\n"
                            "-- then add a policy per role and command")


@check(name="partition_bypasses_rls", category="security", severity="high",
       peers=("pgrls:SEC041", "pgrls:SEC043"))
def partition_bypasses_rls(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A partition or inheritance child has RLS off while its parent has it on, and the API roles can read the child.

    Policies apply to queries on the parent; a query that names the partition (or the inheritance child) directly
    is checked against the child's own RLS setting, which is off. Critical when anon can read the child, high when
    only authenticated can. pgrls SEC041, SEC043.

    Why it matters: ``GET /events_2024`` returns every tenant's rows that ``GET /events`` filters.

    How to fix: enable row-level security on the child and give it the parent's policies, or revoke the API roles'
    grants on the child so it is reached only through the parent.
    """
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    for table in catalog.records("tables"):
        key = (table["schema"], table["name"])
        if table["rls_enabled"] or key not in readers:
            continue
        if table["parent_table"] is not None:
            parent_name, how = f"{table['parent_schema']}.{table['parent_table']}", "partition"
        elif table["inherits_from"] is not None:
            parent_name, how = table["inherits_from"], "inheritance child"
        else:
            continue
        parent = catalog.relation(*_split(parent_name))
        if parent is None or not parent["rls_enabled"]:
            continue
        roles = readers[key]
        yield Finding(
            schema=table["schema"], table=table["name"], column=None,
            severity="critical" if _anonymous(roles, api_roles) else "high",
            title=f"{how.capitalize()} {table['schema']}.{table['name']} bypasses the row-level security of "
                  f"{parent_name}",
            detail=(f"{parent_name} has row-level security on, but its {how} {table['schema']}.{table['name']} has "
                    f"it off and {', '.join(roles)} can read the {how} directly."),
            evidence={"parent": parent_name, "relationship": how, "readers": roles},
            remediation_sql=(f"ALTER TABLE {ident(table['schema'], table['name'])} ENABLE ROW LEVEL SECURITY;\n"
                             f"REVOKE ALL ON {ident(table['schema'], table['name'])} FROM "
                             f"{ident_list(roles)}, PUBLIC;"))


@check(name="publication_rls_disabled", category="security", severity="high",
       peers=("pgrls:SEC051",))
def publication_rls_disabled(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A table in a publication (Supabase Realtime) has row-level security off.

    Supabase Realtime streams changes of the tables in its publication (``supabase_realtime``) to subscribers and
    filters them by the table's policies; with RLS off every subscriber that may read the table receives every
    change. Reported for tables the API roles can read (a grant) in a publication; the publication is in the
    evidence.

    Why it matters: every insert, update and delete of every tenant is broadcast to any signed-in (or anonymous)
    subscriber.

    How to fix: enable row-level security on the table with policies for the subscribers, or drop it from the
    publication (``ALTER PUBLICATION ... DROP TABLE ...``).
    """
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    for table in catalog.records("tables"):
        key = (table["schema"], table["name"])
        if table["rls_enabled"] or not table["publications"] or key not in readers:
            continue
        roles = readers[key]
        publications = list(table["publications"])
        yield Finding(
            schema=table["schema"], table=table["name"], column=None,
            severity="high" if _anonymous(roles, api_roles) else "medium",
            title=f"{table['schema']}.{table['name']} is published ({', '.join(publications)}) with RLS off",
            detail=(f"{table['schema']}.{table['name']} is in the publication{'s' if len(publications) > 1 else ''} "
                    f"{', '.join(publications)} and has row-level security off: its changes reach every subscriber "
                    f"among {', '.join(roles)}."),
            evidence={"publications": publications, "readers": roles},
            remediation_sql=f"ALTER TABLE {ident(table['schema'], table['name'])} ENABLE ROW LEVEL SECURITY;")


@check(name="role_bypasses_rls", category="security", severity="high",
       peers=("pgrls:SEC016", "pgrls:SEC029"))
def role_bypasses_rls(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A login role that holds privileges in this database bypasses row-level security, directly or through roles
    it can SET ROLE to.

    Roles are shared by every database of the server, so a role is reported only when it, or a role it is a member
    of, holds a grant on a table or view of this database or owns one. Superusers and the platform's own roles
    (Supabase's postgres, service_role, supabase_admin, authenticator...) are not reported. pgrls SEC016, SEC029.

    Why it matters: an application or reporting login with BYPASSRLS (or a path to a role that has it) reads every
    tenant's rows; a leak of its password defeats every policy.

    How to fix: ``ALTER ROLE ... NOBYPASSRLS`` and grant the role only the tables it needs, or revoke its membership
    in the BYPASSRLS role.
    """
    roles = catalog.records("roles")
    trusted = set(DEFAULT_TRUSTED_ROLES)
    members = {r["name"]: list(r["member_of"]) for r in roles}
    bypass = {r["name"] for r in roles if r["bypass_rls"] or r["superuser"]}
    superusers = {r["name"] for r in roles if r["superuser"]}
    holders = set(catalog.privileges["grantee"]) | set(catalog.relations["owner"].dropna())
    for role in roles:
        if not role["can_login"] or role["superuser"] or role["name"] in trusted:
            continue
        path = _path_to(role["name"], bypass, members)
        if path is None or not (_reachable(role["name"], members) & holders):
            continue
        target = path[-1]
        through = f" through membership in {' -> '.join(path[1:])}" if len(path) > 1 else ""
        how = ("has BYPASSRLS" if len(path) == 1
               else f"can SET ROLE to {target}, which {'is a superuser' if target in superusers else 'has BYPASSRLS'}")
        yield Finding(
            schema=None, table=None, column=None, object=role["name"],
            severity="high" if len(path) == 1 else "medium",
            title=f"Login role {role['name']} bypasses row-level security{through}",
            detail=f"{role['name']} can log in and {how}: every policy is skipped for its queries.",
            evidence={"path": path, "trusted_roles": sorted(trusted)},
            remediation_sql=(f"ALTER ROLE {ident(role['name'])} NOBYPASSRLS;" if len(path) == 1
                             else f"REVOKE {ident(path[1])} FROM {ident(role['name'])};"))


def _reachable(start: str, members: dict[str, list[str]]) -> set[str]:
    """``start`` and every role it is a member of, directly or not."""
    seen, stack = {start}, [start]
    while stack:
        for parent in members.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


DEFAULT_TRUSTED_ROLES = ("postgres", "supabase_admin", "service_role", "authenticator", "supabase_auth_admin",
                         "supabase_storage_admin", "supabase_realtime_admin", "supabase_replication_admin",
                         "supabase_read_only_user", "supabase_functions_admin", "dashboard_user", "pgbouncer",
                         "supabase_etl_admin")


def _path_to(start: str, targets: set[str], members: dict[str, list[str]]) -> list[str] | None:
    """The shortest membership path from ``start`` to a role in ``targets`` ([start] when it is one)."""
    frontier, seen = [[start]], {start}
    while frontier:
        following = []
        for path in frontier:
            if path[-1] in targets:
                return path
            for parent in members.get(path[-1], []):
                if parent not in seen:
                    seen.add(parent)
                    following.append([*path, parent])
        frontier = following
    return None


@check(name="sensitive_column_exposed", category="security", severity="high",
       peers=("splinter:0023", "pgrls:SEC045"))
def sensitive_column_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A column named like a credential (password, secret, token, api_key, iban...) is readable by the API roles.

    Read access comes from a table grant or a column grant to anon, authenticated or PUBLIC on a table or view in an
    API schema. Row-level security does not help: it filters rows, not columns, so a user who may read their own row
    reads their own secrets, and a policy mistake reads everyone's. High when anon can read it, medium when only
    authenticated can; one step lower when the table has row-level security (each user then reads the rows the
    policies give them). Paging and sync cursors (``*sync_token``, ``*page_token``) are not secrets and are not
    reported. pgrls SEC045.

    Why it matters: secrets sent to the browser end up in logs, caches and client code; one permissive policy
    exposes every user's.

    How to fix: revoke SELECT on the column (``REVOKE SELECT ON t FROM anon, authenticated; GRANT SELECT (other
    columns) ...``), or move secrets to a table the API cannot read (or Supabase Vault).
    """
    api_roles = _api_roles(config)
    schemas = set(_api_schemas(config))
    readers = _table_readers(catalog, api_roles)
    secret, cursor = glob_matcher(list(SENSITIVE_COLUMNS)), glob_matcher(list(NOT_SENSITIVE))
    for column in catalog.records("columns"):
        if column["schema"] not in schemas or not secret(column["name"]) or cursor(column["name"]):
            continue
        key = (column["schema"], column["table"])
        roles = _low_trust(set(readers.get(key, [])) | set(column["select_grantees"]), api_roles)
        if not roles:
            continue
        how = "table grant" if key in readers else "column grant"
        relation = catalog.relation(column["schema"], column["table"]) or {}
        rls = bool(relation.get("rls_enabled"))
        yield Finding(
            schema=column["schema"], table=column["table"], column=column["name"],
            severity=_severity(_anonymous(roles, api_roles), worst=False, bad=not rls),
            title=f"{column['schema']}.{column['table']}.{column['name']} is readable by {', '.join(roles)}",
            detail=(f"{column['schema']}.{column['table']}.{column['name']} looks like a secret and "
                    f"{', '.join(roles)} can select it ({how})."),
            evidence={"readers": roles, "through": how, "rls_enabled": rls, "patterns": list(SENSITIVE_COLUMNS)},
            remediation_sql=(f"REVOKE SELECT ON {ident(column['schema'], column['table'])} FROM "
                             f"{ident_list(roles)};\n-- then GRANT SELECT (the other columns) ON "
                             f"{ident(column['schema'], column['table'])} TO {ident_list(roles)};"))



DEFAULT_OBJECT_TYPES = {"table": "TABLES", "function": "FUNCTIONS"}


@check(name="default_privileges_exposed", category="security", severity="medium",
       peers=("pgrls:SEC044",))
def default_privileges_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """Default privileges give the API roles (or PUBLIC) every new table or function a role creates in an API schema.

    ``ALTER DEFAULT PRIVILEGES ... GRANT ... ON TABLES TO anon, authenticated`` (Supabase sets it for postgres and
    supabase_admin in public) means a table created tomorrow is readable and writable over the API the moment it
    exists, and row-level security is off on a new table until someone enables it; on functions, every new
    SECURITY DEFINER function is callable over the API. One finding per creating role, schema (defaults without a
    schema apply in all of them) and object kind, naming the privileges each API role gets; medium when anon or
    PUBLIC gets them, low when only authenticated does, and info while every object they reached is protected
    (tables with RLS on, no SECURITY DEFINER function the API roles may call). ``rls_disabled_exposed`` reports the tables these defaults
    already reach; this check reports the defaults themselves. pgrls SEC044.

    Why it matters: access control depends on every future migration remembering ``ENABLE ROW LEVEL SECURITY``
    (or ``REVOKE EXECUTE``) in the same transaction; one forgotten statement publishes a table to anyone holding
    the anon key.

    How to fix: revoke the defaults from the API roles (``ALTER DEFAULT PRIVILEGES FOR ROLE ... IN SCHEMA ...
    REVOKE ALL ON TABLES FROM anon, authenticated``) and grant each table explicitly once its policies exist, or keep
    the defaults and add a migration check that every new table enables RLS.
    """
    api_roles = _api_roles(config)
    schemas = set(_api_schemas(config))
    grantees = {*api_roles, "public"}
    grouped: dict[tuple[str, str | None, str], dict[str, set[str]]] = {}
    for row in catalog.records("default_privileges"):
        schema = row["schema"] if isinstance(row["schema"], str) else None
        if row["object_type"] not in DEFAULT_OBJECT_TYPES or row["grantee"] not in grantees \
                or (schema is not None and schema not in schemas):
            continue
        grouped.setdefault((row["role"], schema, row["object_type"]), {}).setdefault(row["grantee"], set()).add(
            row["privilege"])
    for (role, schema, object_type), grants in sorted(grouped.items(), key=lambda item: (
            item[0][1] or "", item[0][0], item[0][2])):
        grantees = _low_trust(set(grants), api_roles)
        anonymous = _anonymous(grantees, api_roles)
        where = f"in {schema}" if schema else "in every schema"
        privileges = {g: sorted(p) for g, p in sorted(grants.items())}
        given = "; ".join(f"{g}: {', '.join(p)}" for g, p in privileges.items())
        if object_type == "table":
            open_now = sorted(f"{t['schema']}.{t['name']}" for t in catalog.records("tables")
                              if t["owner"] == role and t["schema"] in ({schema} if schema else schemas)
                              and not t["rls_enabled"])
            consequence = ("a new table is reachable over the API at once, with row-level security off until a "
                           "migration enables it")
        else:
            open_now = sorted(f"{f['schema']}.{f['name']}({f['arguments']})" for f in catalog.records("functions")
                              if f["owner"] == role and f["security_definer"]
                              and f["schema"] in ({schema} if schema else schemas)
                              and _low_trust(list(f["execute_grantees"]), api_roles))
            consequence = "every new function, SECURITY DEFINER ones included, is callable over the API"
        on = DEFAULT_OBJECT_TYPES[object_type]
        revoke = (f"ALTER DEFAULT PRIVILEGES FOR ROLE {ident(role)}"
                  + (f" IN SCHEMA {ident(schema)}" if schema else "")
                  + f" REVOKE ALL ON {on} FROM {', '.join(ident(g) if g != 'public' else 'PUBLIC' for g in privileges)};")
        yield Finding(
            schema=schema, table=None, column=None, object=f"{schema or '*'}:{object_type}s:{role}",
            # The defaults are a hazard for the next migration; they are a hole today only where an object they
            # reached is unprotected now (Supabase sets them on every project, and most keep the convention).
            severity=("medium" if anonymous else "low") if open_now else "info",
            title=f"New {object_type}s {role} creates {where} are granted to {', '.join(grantees)}",
            detail=(f"The default privileges of {role} {where} grant {given} on every new {object_type}: "
                    f"{consequence}."
                    + (f" Reached today and unprotected: {', '.join(open_now)}." if open_now else
                       f" Every {object_type} they reached so far is protected, so this is the hazard of the next "
                       "migration, not a hole today.")),
            evidence={"role": role, "schema": schema, "object_type": object_type, "default_privileges": privileges,
                      "grantees": grantees, "api_schemas": sorted(schemas), "api_roles": api_roles,
                      "unprotected_now": open_now},
            remediation_sql=revoke + f"\n-- then GRANT on each new {object_type} explicitly, once it is protected")


def _owner_bypasses(catalog: Catalog, function: dict, facts: BodyFacts) -> bool:
    """True when a SECURITY DEFINER function's owner skips the RLS of a table its body reads or writes (or of every
    table: superuser, BYPASSRLS)."""
    tables = [catalog.relation(*_split(name)) for name in sorted(facts.reads | facts.writes)]
    return _bypasses_rls(catalog, function["owner"], None) or any(
        t is not None and t["rls_enabled"] and _bypasses_rls(catalog, function["owner"], t) for t in tables)


@check(name="view_calls_security_definer", category="security", severity="high",
       peers=("pgrls:VIEW004",))
def view_calls_security_definer(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A view the API roles can read calls a SECURITY DEFINER function whose owner bypasses row-level security.

    The function runs as its owner whoever reads the view, and ``security_invoker`` does not change that: it makes
    the view's own table reads the caller's, not the function's. PostgreSQL checks EXECUTE on the function as the
    reader (so a function revoked from the API roles breaks the view instead), but not USAGE on the function's
    schema: a helper kept in a schema the API does not expose (``private``), which ``security_definer_exposed``
    does not report, is reached through a view in an exposed one. The functions come from the view's dependencies
    (``relations.calls``); the body is parsed as for ``security_definer_exposed``. Reported for the API roles that
    may both read the view and execute the function: high when anon can, medium when only authenticated can; one
    step lower when every statement of the function is tied to the caller (``auth.uid()``) and it writes nothing.
    Functions of the platform schemas are not reported. pgrls VIEW004.

    Why it matters: the view is a door to the function: ``GET /view`` runs its statements with the owner's rights
    for every row, past the policies of the tables it reads, wherever the function itself is kept.

    How to fix: make the function SECURITY INVOKER (``ALTER FUNCTION ... SECURITY INVOKER``) when the caller's own
    rights suffice, or filter inside the function by ``auth.uid()``; otherwise revoke EXECUTE on the function (or
    SELECT on the view) from the API roles.
    """
    api_roles = _api_roles(config)
    readers = _table_readers(catalog, api_roles)
    schemas = set(_api_schemas(config))
    platform = _platform(config)
    functions = {_signature(f): f for f in catalog.records("functions") if f["security_definer"]}
    for view in catalog.records("views"):
        key = (view["schema"], view["name"])
        if view["schema"] not in schemas or key not in readers:
            continue
        called, callers = [], set()
        for signature in view["calls"]:
            function = functions.get(signature)
            if function is None or function["schema"] in platform:
                continue
            executors = set(_low_trust(function["execute_grantees"], api_roles)) & set(readers[key])
            facts = body_facts(function)
            if executors and _owner_bypasses(catalog, function, facts):
                called.append((function, facts))
                callers |= executors
        if not called:
            continue
        roles = [r for r in api_roles if r in callers]
        anonymous = _anonymous(roles, api_roles)
        tied = all(f.parsed and f.calls_caller and not f.writes for _, f in called)
        names = [_signature(f) for f, _ in called]
        owners = sorted({f["owner"] for f, _ in called})
        yield Finding(
            schema=view["schema"], table=view["name"], column=None,
            severity=_severity(anonymous, worst=False, bad=not tied),
            title=f"{view['kind'].capitalize()} {view['schema']}.{view['name']} calls SECURITY DEFINER "
                  f"{', '.join(names)}",
            detail=(f"{', '.join(roles)} can read {view['schema']}.{view['name']}, which calls {', '.join(names)}; "
                    f"the function runs as {', '.join(owners)}, who bypasses row-level security, whatever the "
                    "view's security_invoker says."),
            evidence={"functions": names, "owners": owners, "readers": roles,
                      "security_invoker": bool(view["security_invoker"]),
                      "writes": sorted({t for _, f in called for t in f.writes}),
                      "reads": sorted({t for _, f in called for t in f.reads}),
                      "calls_auth_uid": [f.calls_caller for _, f in called], "api_roles": api_roles},
            remediation_sql="\n".join(
                [*(f"ALTER FUNCTION {_function_ident(f)} SECURITY INVOKER;" for f, _ in called),
                 "-- or, when the function must keep its owner's rights:",
                 *(f"-- {_revoke_sql(f, roles)}" for f, _ in called)]))


# -- Supabase's other API surfaces: GraphQL introspection, Storage ------------------------------------------------
def _graphql_enabled(catalog: Catalog) -> str | None:
    """How the GraphQL endpoint is known to be on: the pg_graphql extension, or Supabase's graphql_public schema
    (which the platform stub creates in its place); None when neither is there."""
    if "pg_graphql" in set(catalog.extensions["name"]):
        return "the pg_graphql extension is installed"
    if "graphql_public" in set(catalog.schemas["name"]):
        return "the graphql_public schema exists (Supabase's GraphQL endpoint)"
    return None


@check(name="graphql_schema_exposed", category="security", severity="info",
       peers=("splinter:0026", "splinter:0027"))
def graphql_schema_exposed(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """The GraphQL endpoint shows an API role the names, columns and relationships of every relation it can select.

    pg_graphql builds its schema from the calling role's privileges: a table, view, materialized view or foreign
    table that anon (or authenticated) may select from, by a table or a column grant, is listed in
    ``/graphql/v1`` introspection even when row-level security hides every row. One finding per API role that sees
    any relation outside the platform schemas, listing them. Information, as splinter rates it: every Supabase
    project grants anon SELECT by default, and the rows stay behind row-level security. Reported when pg_graphql is installed or Supabase's ``graphql_public`` schema
    exists.

    Why it matters: the whole data model, sensitive column names and the relations between tables are
    reconnaissance for an attacker, handed out before sign-in.

    How to fix: revoke SELECT from the role on the relations it should not discover; when the app does not use
    GraphQL, revoke the role's USAGE on ``graphql_public`` (or drop the pg_graphql extension).
    """
    enabled = _graphql_enabled(catalog)
    if enabled is None:
        return
    api_roles = _api_roles(config)
    platform = _platform(config)
    readers = _table_readers(catalog, api_roles)
    for row in catalog.records("columns"):
        for role in _low_trust(row["select_grantees"], api_roles):
            current = readers.setdefault((row["schema"], row["table"]), [])
            if role not in current:
                current.append(role)
    kinds = {r["schema"] + "." + r["name"]: r["kind"] for r in catalog.records("relations")}
    for role in api_roles:
        visible = sorted(f"{s}.{t}" for (s, t), roles in readers.items()
                         if role in roles and s not in platform
                         and kinds.get(f"{s}.{t}") in ("table", "view", "materialized view", "foreign table"))
        if not visible:
            continue
        shown = ", ".join(visible[:8]) + (f" and {len(visible) - 8} more" if len(visible) > 8 else "")
        yield Finding(
            schema=None, table=None, column=None, object=f"graphql:{role}",
            severity="info",
            title=f"{role} sees {len(visible)} relation{'s' if len(visible) != 1 else ''} in the GraphQL schema",
            detail=(f"GraphQL introspection shows {role} the structure of {shown}: {enabled}, and {role} may select "
                    "from them (row-level security hides rows, not the schema)."),
            evidence={"role": role, "relations": visible, "graphql": enabled, "api_roles": api_roles},
            # which relations the role should not discover is a decision, not a mechanical fix
            remediation_sql=None)


def _bucket_only(text: str | None) -> str | None:
    """The bucket of a policy expression that is exactly ``bucket_id = '<bucket>'``; "" for no condition or a
    constant true; None for anything else."""
    from auditlib.sqlparse import constant_value, operator_name, parse_expression

    if not text:
        return ""
    tree = parse_expression(text)
    if tree is None:
        return None
    if constant_value(tree) is True:
        return ""
    if isinstance(tree, ast.A_Expr) and operator_name(tree) == "=":
        for side, other in ((tree.lexpr, tree.rexpr), (tree.rexpr, tree.lexpr)):
            while isinstance(side, ast.TypeCast):
                side = side.arg
            value = constant_value(other)
            if isinstance(side, ast.ColumnRef) and side.fields[-1].sval == "bucket_id" and isinstance(value, str):
                return value
    return None


@check(name="storage_bucket_listable", category="security", severity="medium",
       peers=("splinter:0025", "pgrls:SEC050"))
def storage_bucket_listable(catalog: Catalog, config: AuditConfig) -> Iterator[Finding]:
    """A SELECT policy on storage.objects lets the API roles list every file of a bucket (or of every bucket).

    Supabase Storage answers list and download requests through the policies of ``storage.objects``. A permissive
    SELECT (or ALL) policy for anon, authenticated or PUBLIC whose condition is only ``bucket_id = '<bucket>'``
    (or nothing, or true) admits every object of that bucket to every caller: a public bucket serves its files by
    URL without such a policy, so the policy only adds listing; on a private bucket it makes every file readable.
    Whether a bucket is public is data, not schema, so the evidence names the bucket for a person to look up.
    Medium when anon (or PUBLIC) is admitted, low when only authenticated is.

    Why it matters: listing a bucket hands out every file name (invoices, contracts, avatars of every user), and
    with them the URLs of files nobody was meant to find.

    How to fix: scope the policy to the caller's own folder or rows (``(storage.foldername(name))[1] =
    auth.uid()::text``), or drop it when the bucket is public and the app never lists it.
    """
    api_roles = _api_roles(config)
    bypass = {r["name"] for r in catalog.records("roles") if r["superuser"] or r["bypass_rls"]}
    for policy in catalog.records("policies"):
        if (policy["schema"], policy["table"]) != ("storage", "objects") or policy["command"] not in ("SELECT", "ALL") \
                or not policy["permissive"]:
            continue
        roles = _low_trust([r for r in policy["roles"] if r not in bypass], api_roles)
        bucket = _bucket_only(policy["using_expression"])
        if not roles or bucket is None:
            continue
        which = f"bucket {bucket}" if bucket else "every bucket"
        yield Finding(
            # schema None: the storage schema is the platform's and left out of audits, but its policies are the
            # project's own
            schema=None, table=None, column=None, object=f"storage.objects.{policy['name']}",
            severity="medium" if _anonymous(roles, api_roles) else "low",
            title=f"Policy {policy['name']} lets {', '.join(roles)} list every file of {which}",
            detail=(f"The {policy['command']} policy {policy['name']} on storage.objects admits {', '.join(roles)} "
                    f"to every object of {which} ({policy['using_expression'] or 'no condition'}): they can list "
                    "and read every file there."),
            evidence={"policy": policy["name"], "bucket": bucket or None, "roles": list(policy["roles"]),
                      "using": policy["using_expression"], "command": policy["command"]},
            remediation_sql=(f"ALTER POLICY {ident(policy['name'])} ON storage.objects\n"
                             f"    USING ({'bucket_id = ' + literal(bucket) + ' AND ' if bucket else ''}"
                             "(storage.foldername(name))[1] = (SELECT auth.uid())::text);\n"
                             "-- or DROP POLICY when the bucket is public and the app never lists it"))
