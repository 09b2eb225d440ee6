"""The Python reader (the standard ``ast``): one parsed file's supabase-py chains, SQL strings, ORM declarations and
field mappings, and the values they refer to."""

from __future__ import annotations

import ast as pyast
import io
import re
import tokenize
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from auditlib.codescan.collector import MESSAGE_FUNCTIONS, MESSAGE_RECEIVERS, Collector
from auditlib.codescan.sql import sql_keyword
from auditlib.codescan.values import _MAX_DEPTH, DYNAMIC, Arr, Entry, Link, Obj, Opaque, Text

if TYPE_CHECKING:
    from auditlib.codescan.scanner import Scanner

_PY_FUNCTIONS = (pyast.FunctionDef, pyast.AsyncFunctionDef, pyast.Lambda)


def _is_py_object(node) -> bool:
    return isinstance(node, pyast.Dict) or isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name) and \
        node.func.id == "dict"


class PyModule:
    """One parsed Python file: supabase-py chains, SQL strings, ORM declarations and field mappings."""

    def __init__(self, scanner: Scanner, file: str, tree: pyast.Module, source: str):
        self.scanner = scanner
        self.file = file
        self.tree = tree
        self.source = source
        self.parents: dict[int, pyast.AST] = {}
        for node in pyast.walk(tree):
            for child in pyast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self._assignments: dict[int, dict[str, list[tuple[tuple[int, int], pyast.AST]]]] = {}

    def parent(self, node: pyast.AST) -> pyast.AST | None:
        return self.parents.get(id(node))

    def analyse(self, collector: Collector) -> None:
        candidates, query_args = [], set()
        for node in pyast.walk(self.tree):
            if isinstance(node, pyast.Call):
                if self._outermost(node):
                    self._chain(node, collector)
                self._declaration_call(node, collector)
                if node.args and isinstance(node.args[0], pyast.Name) and self._callee_name(node) in \
                        collector.sql_calls:
                    query_args.add(node.args[0].id)
            elif isinstance(node, pyast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    self._pair(key, value, collector)
            elif isinstance(node, pyast.ClassDef):
                self._class(node, collector)
            if self._string_candidate(node):
                candidates.append(node)
        for node in candidates:
            self._sql_candidate(node, collector, query_args)
        self._comments(collector)

    def _comments(self, collector: Collector) -> None:
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.source).readline):
                if token.type == tokenize.COMMENT:
                    collector.comment(self.file, token.start[0], token.string)
        except (tokenize.TokenError, SyntaxError):
            pass

    def _string_candidate(self, node: pyast.AST) -> bool:
        parent = self.parent(node)
        if isinstance(node, pyast.Constant) and isinstance(node.value, str):
            if isinstance(parent, (pyast.Expr, pyast.JoinedStr, pyast.FormattedValue)):
                return False  # a docstring, or a piece of an f-string
        elif not isinstance(node, pyast.JoinedStr) and not (isinstance(node, pyast.BinOp) and
                                                              isinstance(node.op, pyast.Add)):
            return False
        return not (isinstance(parent, pyast.BinOp) and isinstance(parent.op, pyast.Add))

    def _outermost(self, call: pyast.Call) -> bool:
        parent = self.parent(call)
        if not isinstance(parent, pyast.Attribute) or parent.value is not call:
            return True
        grand = self.parent(parent)
        return not (isinstance(grand, pyast.Call) and grand.func is parent)

    @staticmethod
    def _callee_name(call: pyast.Call) -> str:
        if isinstance(call.func, pyast.Attribute):
            return call.func.attr
        return call.func.id if isinstance(call.func, pyast.Name) else ""

    @staticmethod
    def _callee_receiver(call: pyast.Call) -> str:
        node = call.func
        while isinstance(node, pyast.Attribute):
            node = node.value
        return node.id if isinstance(node, pyast.Name) else ""

    def _links(self, node: pyast.AST, depth: int = 0) -> tuple[list[Link], str | None]:
        """Flatten ``a.b('x').c`` into links, outermost last, and the root's name; a query kept in a variable and
        refined (``query = supabase.table('t'); query = query.eq('c', 1)``) gets the earlier links in front."""
        links: list[Link] = []
        while True:
            if isinstance(node, pyast.Await):
                node = node.value
            elif isinstance(node, pyast.Call) and isinstance(node.func, pyast.Attribute):
                links.append(Link(node.func.attr, self.file, node.func.end_lineno or node.lineno, list(node.args),
                                  self.value, _is_py_object, {k.arg: k.value for k in node.keywords if k.arg}))
                node = node.func.value
            elif isinstance(node, pyast.Attribute):
                links.append(Link(node.attr, self.file, node.end_lineno or node.lineno, None, self.value))
                node = node.value
            else:
                break
        links.reverse()
        if not isinstance(node, pyast.Name):
            return links, None
        declared = self._lookup(node.id, node) if depth < 4 and links else None
        if declared is not None and declared[0] == "value" and declared[1] is self and \
                isinstance(declared[2], (pyast.Call, pyast.Await)):
            earlier, root = self._links(declared[2], depth + 1)
            if any(link.args is not None for link in earlier):
                return [*earlier, *links], root
        return links, node.id

    def _chain(self, call: pyast.Call, collector: Collector) -> None:
        links, root = self._links(call)
        if any(link.args is not None for link in links):
            collector.chain(links, root)

    def _declaration_call(self, call: pyast.Call, collector: Collector) -> None:
        """SQLAlchemy ``Table('t', metadata, …, schema='s')``."""
        if self._callee_name(call) != "Table" or len(call.args) < 2:
            return
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        collector.declared_table(self.file, call.lineno, self.value(call.args[0]),
                                 self.value(keywords["schema"]) if "schema" in keywords else None)

    def _class(self, node: pyast.ClassDef, collector: Collector) -> None:
        """``__tablename__`` (+ ``__table_args__ = {'schema': …}``) and Django's ``class Meta: db_table``."""
        assigned = self._class_assignments(node)
        schema = None
        args = assigned.get("__table_args__")
        if args is not None:
            value = self.value(args)
            candidates = [value] if isinstance(value, Obj) else [i for i in value.items if isinstance(i, Obj)] \
                if isinstance(value, Arr) else []
            for obj in candidates:
                schema = next((e.value for e in obj.entries if e.key == "schema"), schema)
        for name in ("__tablename__", "db_table"):
            if name in assigned and (name != "db_table" or node.name == "Meta"):
                collector.declared_table(self.file, assigned[name].lineno, self.value(assigned[name]), schema)

    @staticmethod
    def _class_assignments(node: pyast.ClassDef) -> dict[str, pyast.AST]:
        found = {}
        for statement in node.body:
            if isinstance(statement, pyast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], pyast.Name):
                found[statement.targets[0].id] = statement.value
            elif isinstance(statement, pyast.AnnAssign) and isinstance(statement.target, pyast.Name) and \
                    statement.value is not None:
                found[statement.target.id] = statement.value
        return found

    def _pair(self, key: pyast.AST | None, value: pyast.AST, collector: Collector) -> None:
        if not (isinstance(key, pyast.Constant) and isinstance(key.value, str)):
            return
        while isinstance(value, pyast.BoolOp) and isinstance(value.op, pyast.Or):
            value = value.values[0]
        text = value.value if isinstance(value, pyast.Constant) and isinstance(value.value, str) else None
        member = value.attr if isinstance(value, pyast.Attribute) else None
        if isinstance(value, pyast.Subscript) and isinstance(value.slice, pyast.Constant) and \
                isinstance(value.slice.value, str):
            member = value.slice.value  # row["rate_card_item_id"]
        collector.pair(self.file, key.lineno, key.value, text, member)

    def _sql_candidate(self, node: pyast.AST, collector: Collector, query_args: set[str]) -> None:
        value = self.value(node)
        if not isinstance(value, Text) or sql_keyword(value.value) is None:
            return
        context, parent = node, self.parent(node)
        while isinstance(parent, pyast.BinOp):  # "…%s" % args, "…".format(): the string is the query
            context, parent = parent, self.parent(parent)
        in_query_call = False
        if isinstance(parent, pyast.Attribute) and parent.attr == "format":
            context, parent = self.parent(parent), self.parent(self.parent(parent))
        if isinstance(parent, pyast.Call):
            if self._callee_receiver(parent) in MESSAGE_RECEIVERS or self._callee_name(parent) in MESSAGE_FUNCTIONS:
                return
            if isinstance(self.parent(parent), pyast.Raise):
                return
            in_query_call = bool(parent.args) and parent.args[0] is context and \
                self._callee_name(parent) in collector.sql_calls
        elif isinstance(parent, (pyast.Assign, pyast.AnnAssign)):
            targets = parent.targets if isinstance(parent, pyast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, pyast.Name)]
            in_query_call = any(re.search(r"sql|query", n, re.IGNORECASE) or n in query_args for n in names)
        collector.sql(value, in_query_call)

    # -- values ------------------------------------------------------------------------------------------------
    def value(self, node: pyast.AST | None, depth: int = 0) -> Any:
        if node is None:
            return None
        line = getattr(node, "lineno", 1)
        if depth > _MAX_DEPTH:
            return Opaque(self.file, line)
        if isinstance(node, pyast.Constant) and isinstance(node.value, str):
            end = getattr(node, "end_lineno", line) or line
            return Text(node.value, self.file, [(0, line, end > line)])
        if isinstance(node, pyast.JoinedStr):
            parts = [p.value if isinstance(p, pyast.Constant) and isinstance(p.value, str) else DYNAMIC
                     for p in node.values]
            return Text("".join(parts), self.file, [(0, line, (node.end_lineno or line) > line)])
        if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Add):
            a, b = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            if isinstance(a, Text) or isinstance(b, Text):
                as_text = [v if isinstance(v, Text) else Text(DYNAMIC, self.file, [(0, line, False)]) for v in (a, b)]
                return as_text[0] + as_text[1]
        if isinstance(node, pyast.BinOp) and isinstance(node.op, pyast.Mod):
            return self.value(node.left, depth + 1)
        if isinstance(node, pyast.Await):
            return self.value(node.value, depth)
        if isinstance(node, pyast.BoolOp) and isinstance(node.op, pyast.Or):
            return self.value(node.values[0], depth + 1)
        if isinstance(node, pyast.Dict):
            entries = []
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:  # **other
                    spread = self.value(value, depth + 1)
                    if isinstance(spread, Obj):
                        entries.extend(spread.entries)
                    continue
                name = key.value if isinstance(key, pyast.Constant) and isinstance(key.value, str) else None
                entries.append(Entry(name, self.file, key.lineno, self.value(value, depth + 1)))
            return Obj(entries, self.file, line)
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name) and node.func.id == "dict":
            return Obj([Entry(k.arg, self.file, k.value.lineno, self.value(k.value, depth + 1))
                        for k in node.keywords if k.arg], self.file, line)
        if isinstance(node, (pyast.List, pyast.Tuple)):
            return Arr([self.value(e, depth + 1) for e in node.elts], self.file, line)
        if isinstance(node, (pyast.ListComp, pyast.GeneratorExp)):
            return Arr([self.value(node.elt, depth + 1)], self.file, line)
        if isinstance(node, pyast.Name):
            declared = self._lookup(node.id, node)
            if declared is not None and declared[0] == "value":
                return declared[1].value(declared[2], depth + 1)
        if isinstance(node, pyast.Call) and isinstance(node.func, pyast.Name):
            declared = self._lookup(node.func.id, node)
            if declared is not None and declared[0] == "function":
                return declared[1].returns(declared[2], depth + 1)
        if isinstance(node, pyast.Attribute):
            return Opaque(self.file, line, node.attr)
        return Opaque(self.file, line)

    def returns(self, function: pyast.AST, depth: int) -> Any:
        key = (self.file, id(function))
        if key in self.scanner.active or depth > _MAX_DEPTH:
            return Opaque(self.file, function.lineno)
        self.scanner.active.add(key)
        try:
            if isinstance(function, pyast.Lambda):
                return self.value(function.body, depth)
            values = [self.value(n.value, depth) for n in self._own_nodes(function) if isinstance(n, pyast.Return)
                      and n.value is not None]
            if len(values) == 1:
                return values[0]
            objects = [v for v in values if isinstance(v, Obj)]
            if objects:
                return Obj([e for o in objects for e in o.entries], objects[0].file, objects[0].line)
            return Opaque(self.file, function.lineno)
        finally:
            self.scanner.active.discard(key)

    @staticmethod
    def _own_nodes(scope: pyast.AST) -> Iterator[pyast.AST]:
        """The nodes of a function or module body, not those of nested functions and classes."""
        stack = list(pyast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, (*_PY_FUNCTIONS, pyast.ClassDef)):
                stack.extend(pyast.iter_child_nodes(node))

    def _lookup(self, name: str, at: pyast.AST) -> tuple[str, PyModule, pyast.AST] | None:
        """("value", module, expression) for a variable, ("function", module, def) for a function, or None."""
        scope = self.parent(at)
        position = (getattr(at, "lineno", 0), getattr(at, "col_offset", 0))
        while scope is not None:
            if isinstance(scope, (*_PY_FUNCTIONS, pyast.Module)):
                if isinstance(scope, _PY_FUNCTIONS):
                    arguments = scope.args
                    if name in {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}:
                        return None
                found = self._assigned(scope, name, position)
                if found is not None:
                    return found
            scope = self.parent(scope)
        return self._imported(name)

    def _assigned(self, scope: pyast.AST, name: str, before: tuple[int, int]):
        table = self._assignments.get(id(scope))
        if table is None:
            table = {}
            for node in self._own_nodes(scope):
                # an assignment is in force after it ends: in `q = q.eq(…)` the q on the right is the earlier one
                end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
                if isinstance(node, pyast.Assign):
                    for target in node.targets:
                        if isinstance(target, pyast.Name):
                            table.setdefault(target.id, []).append((end, node.value))
                elif isinstance(node, pyast.AnnAssign) and isinstance(node.target, pyast.Name) and node.value:
                    table.setdefault(node.target.id, []).append((end, node.value))
            for node in getattr(scope, "body", []) if isinstance(scope, (pyast.Module, pyast.FunctionDef,
                                                                          pyast.AsyncFunctionDef)) else []:
                if isinstance(node, (pyast.FunctionDef, pyast.AsyncFunctionDef)):
                    table.setdefault(node.name, []).append(((0, 0), node))  # callable anywhere in its scope
            self._assignments[id(scope)] = table
        candidates = [(p, v) for p, v in table.get(name, []) if p < before]
        if not candidates:
            return None
        value = max(candidates, key=lambda c: c[0])[1]
        if isinstance(value, (pyast.FunctionDef, pyast.AsyncFunctionDef, pyast.Lambda)):
            return "function", self, value
        return "value", self, value

    def _imported(self, name: str):
        """A function imported from another scanned file (``from .mappers import to_row``)."""
        for node in self.tree.body:
            if not isinstance(node, pyast.ImportFrom):
                continue
            for alias in node.names:
                if (alias.asname or alias.name) != name:
                    continue
                module = self.scanner.py_module(self.file, node.module or "", node.level)
                if module is not None:
                    found = module._assigned(module.tree, alias.name, (10 ** 9, 0))
                    if found is not None:
                        return found
        return None

