"""The JavaScript/TypeScript reader (tree-sitter): one parsed file's chains, strings, declarations and the values
they refer to, followed through variables, helper functions and relative imports."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from auditlib.codescan.collector import _CHAIN_NAMES, MESSAGE_FUNCTIONS, MESSAGE_RECEIVERS, Collector
from auditlib.codescan.sql import sql_keyword
from auditlib.codescan.values import _MAX_DEPTH, DYNAMIC, Arr, Entry, Link, Obj, Opaque, Text

if TYPE_CHECKING:
    from auditlib.codescan.scanner import Scanner

_JS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                           "function", "arrow_function", "generator_function", "method_definition"})
_JS_SCOPES = frozenset({"program", "statement_block", "class_body", "switch_case", "switch_default"})
_JS_WRAPPERS = frozenset({"parenthesized_expression", "await_expression", "as_expression", "satisfies_expression",
                          "non_null_expression", "type_assertion"})
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


# The node kinds the scan reads, found by tree-sitter's query engine (in C) rather than a walk over every node.
_JS_QUERY = ("(call_expression) @call (pair) @pair (comment) @comment (string) @string (template_string) @string "
             "(binary_expression) @binary (variable_declarator) @declarator")
# an initializer that starts a query: the variable may be refined later (q = q.eq(...))
_QUERY_BUILDER = re.compile(rb"\.\s*(?:from|table|schema|rpc)\s*[(<`]")


@cache
def _js_language(grammar: str):
    """The tree-sitter language, parser and query for javascript (JSX included), typescript or tsx."""
    try:
        import tree_sitter
        import tree_sitter_javascript
        import tree_sitter_typescript
    except ImportError as error:  # pragma: no cover - the packages are dependencies
        raise RuntimeError("The code scan needs the tree-sitter, tree-sitter-javascript and tree-sitter-typescript "
                           "packages; reinstall auditlib.") from error
    language = tree_sitter.Language({"javascript": tree_sitter_javascript.language,
                                     "typescript": tree_sitter_typescript.language_typescript,
                                     "tsx": tree_sitter_typescript.language_tsx}[grammar]())
    return tree_sitter.Parser(language), tree_sitter.Query(language, _JS_QUERY), tree_sitter.QueryCursor


def _is_js_object(node) -> bool:
    return node.type == "object"

def _js_unescape(escape: str) -> str:
    body = escape[1:]
    if body[:1] in _JS_ESCAPES and len(body) == 1:
        return _JS_ESCAPES[body]
    if body[:1] in ("x", "u"):
        digits = body[1:].strip("{}")
        try:
            return chr(int(digits, 16))
        except ValueError:
            return ""
    return "" if body.startswith(("\n", "\r")) else body  # line continuation, or \' \" \\ \`


class JsModule:
    """One parsed JavaScript/TypeScript file: chains, strings, declarations and the values they refer to."""

    def __init__(self, scanner: Scanner, file: str, source: bytes, grammar: str):
        self.scanner = scanner
        self.file = file
        self.grammar = grammar
        self.tree = _js_language(grammar)[0].parse(source)
        self.root = self.tree.root_node
        self._builders: set[str] = set()
        self._imports: dict[str, tuple[str, str]] | None = None
        self._declarations: dict[int, dict[str, list[tuple[int, Any, bool]]]] = {}
        self._parameter_names: dict[int, set[str]] = {}

    @staticmethod
    def text_of(node) -> str:
        return node.text.decode("utf-8", "replace")

    @staticmethod
    def line_of(node) -> int:
        return node.start_point[0] + 1

    # -- the walk ----------------------------------------------------------------------------------------------
    def analyse(self, collector: Collector) -> None:
        """Read comments, outermost call chains, object pairs and strings that may be SQL."""
        _, query, cursor = _js_language(self.grammar)
        found = cursor(query).captures(self.root)
        for node in found.get("comment", ()):
            collector.comment(self.file, self.line_of(node), self.text_of(node))
        for node in found.get("declarator", ()):
            value, name = node.child_by_field_name("value"), node.child_by_field_name("name")
            if value is not None and name is not None and value.type in ("call_expression", "await_expression") \
                    and _QUERY_BUILDER.search(value.text):
                self._builders.add(self.text_of(name))
        query_args = set()
        for node in found.get("call", ()):
            if self._outermost(node):
                self._chain(node, collector)
            self._declaration_call(node, collector)
            if (argument := self._first_argument(node)) is not None and argument.type == "identifier" and \
                    self._callee_name(node) in collector.sql_calls:
                query_args.add(self.text_of(argument))
        for node in found.get("pair", ()):
            self._pair(node, collector)
        candidates = [n for n in found.get("string", ()) if not self._inside_concatenation(n)]
        candidates += [n for n in found.get("binary", ()) if self._operator(n) == "+" and
                       not self._inside_concatenation(n) and self._concatenates_strings(n)]
        for node in candidates:
            self._sql_candidate(node, collector, query_args)

    def _operator(self, node) -> str:
        operator = node.child_by_field_name("operator")
        return operator.type if operator is not None else ""

    def _concatenates_strings(self, node) -> bool:
        """``'a' + b + 'c'``: a + whose operands (through nested +) include a string or template literal."""
        stack = [node]
        while stack:
            current = stack.pop()
            while current.type == "parenthesized_expression" and current.named_children:
                current = current.named_children[0]
            if current.type in ("string", "template_string"):
                return True
            if current.type == "binary_expression" and self._operator(current) == "+":
                stack.extend(c for c in (current.child_by_field_name("left"), current.child_by_field_name("right"))
                             if c is not None)
        return False

    def _inside_concatenation(self, node) -> bool:
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        return parent is not None and parent.type == "binary_expression" and self._operator(parent) == "+"

    def _outermost(self, call) -> bool:
        """A call is read as a chain from its outermost call: ``a.b().c()`` once, not also as ``a.b()``."""
        parent = call.parent
        while parent is not None and parent.type in _JS_WRAPPERS - {"await_expression"}:
            call, parent = parent, parent.parent
        if parent is None or parent.type != "member_expression" or parent.child_by_field_name("object") != call:
            return True
        grand = parent.parent
        return grand is None or grand.type != "call_expression" or grand.child_by_field_name("function") != parent

    def _first_argument(self, call):
        arguments = call.child_by_field_name("arguments")
        if arguments is None:
            return None
        named = [c for c in arguments.named_children if c.type != "comment"]
        return named[0] if named and arguments.type == "arguments" else None

    def _callee_name(self, call) -> str:
        function = call.child_by_field_name("function")
        if function is None:
            return ""
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            return self.text_of(prop) if prop is not None else ""
        return self.text_of(function) if function.type == "identifier" else ""

    def _callee_receiver(self, call) -> str:
        """The leftmost identifier of a call's callee: ``console`` for ``console.log``."""
        node = call.child_by_field_name("function")
        while node is not None and node.type == "member_expression":
            node = node.child_by_field_name("object")
        return self.text_of(node) if node is not None and node.type == "identifier" else ""

    def _links(self, node, depth: int = 0) -> tuple[list[Link], str | None]:
        """Flatten ``a.b('x').c`` into links, outermost last; the root's identifier name (None for other roots).

        A query kept in a variable and refined later (``let q = supabase.from('t'); q = q.eq('c', 1)``, ``const crm
        = supabase.schema('crm')``) gets the links of the variable's initializer in front. Chains that name no
        table or function (most calls in a program) come back empty, before any Link is built.
        """
        steps = []   # (property node, argument nodes or None for a property access)
        while True:
            if node.type in _JS_WRAPPERS:
                inner = node.named_children
                if not inner:
                    break
                node = inner[0]
            elif node.type == "call_expression":
                function = node.child_by_field_name("function")
                # tree-sitter-typescript reads `await a.b<T>(x)` as `(await a.b)<T>(x)`: look through the await
                while function is not None and function.type in _JS_WRAPPERS and function.named_children:
                    function = function.named_children[0]
                if function is None or function.type != "member_expression":
                    break
                steps.append((function.child_by_field_name("property"), node.child_by_field_name("arguments")))
                node = function.child_by_field_name("object")
            elif node.type == "member_expression":
                steps.append((node.child_by_field_name("property"), None))
                node = node.child_by_field_name("object")
            else:
                break
        steps.reverse()
        names = [self.text_of(prop) for prop, _ in steps]
        earlier: list[Link] = []
        root = None
        if node is not None and node.type == "identifier":
            root = self.text_of(node)
            declared = self._lookup(root, node) if depth < 2 and root in self._builders else None
            if declared and declared[2] is not None and declared[2].type == "call_expression" and \
                    declared[1] is self:
                earlier, root = self._links(declared[2], depth + 1)
        elif node is not None and node.type == "this":
            root = "this"
        if depth == 0 and not earlier and not _CHAIN_NAMES.intersection(names):
            return [], root
        links = [*earlier, *(self._link(prop, name, arguments) for (prop, arguments), name in
                             zip(steps, names, strict=True))]
        return links, root

    def _link(self, prop, name: str, arguments) -> Link:
        """A Link for ``.name(arguments)``; ``arguments`` None for a property access (``supabase.storage``)."""
        if arguments is None:
            return Link(name, self.file, self.line_of(prop), None, self.value, _is_js_object)
        args = [arguments] if arguments.type == "template_string" else \
            [c for c in arguments.named_children if c.type != "comment"]
        return Link(name, self.file, self.line_of(prop), args, self.value, _is_js_object)

    def _chain(self, call, collector: Collector) -> None:
        links, root = self._links(call)
        if any(link.args is not None for link in links):
            collector.chain(links, root)

    def _declaration_call(self, call, collector: Collector) -> None:
        """pgTable('t', {...}) (Drizzle) and @Entity('t') / @Entity({ name, schema }) (TypeORM)."""
        function = call.child_by_field_name("function")
        if function is None or function.type != "identifier" or self.text_of(function) not in ("pgTable", "Entity"):
            return
        argument = self._first_argument(call)
        if argument is None:
            return
        value = self.value(argument)
        if isinstance(value, Obj):
            keys = {e.key: e.value for e in value.entries}
            collector.declared_table(self.file, self.line_of(argument), keys.get("name"), keys.get("schema"))
        else:
            collector.declared_table(self.file, self.line_of(argument), value)

    def _pair(self, node, collector: Collector) -> None:
        key_node, value_node = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key_node is None or value_node is None:
            return
        key = self._key(key_node)
        if key is None:
            return
        if key == "tableName" and value_node.type == "string":  # Sequelize options { tableName, schema }
            siblings = {self._key(p.child_by_field_name("key")): p.child_by_field_name("value")
                        for p in node.parent.named_children if p.type == "pair"}
            schema = siblings.get("schema")
            collector.declared_table(self.file, self.line_of(value_node), self.value(value_node),
                                     self.value(schema) if schema is not None else None)
        text, member = None, None
        while value_node.type == "binary_expression" and self._operator(value_node) in ("??", "||"):
            value_node = value_node.child_by_field_name("left")
        if value_node.type == "string":
            value = self.value(value_node)
            text = value.value if isinstance(value, Text) else None
        elif value_node.type == "member_expression":
            prop = value_node.child_by_field_name("property")
            member = self.text_of(prop) if prop is not None else None
        collector.pair(self.file, self.line_of(key_node), key, text, member)

    def _sql_candidate(self, node, collector: Collector, query_args: set[str]) -> None:
        first = node
        while first.type in ("binary_expression", "parenthesized_expression") and first.named_children:
            first = first.child_by_field_name("left") if first.type == "binary_expression" else first.named_children[0]
        if first.type not in ("string", "template_string") or sql_keyword(self._text(first).value) is None:
            return  # cheap test first: SQL starts with its keyword, in the first literal
        value = self.value(node)
        if not isinstance(value, Text) or sql_keyword(value.value) is None:
            return
        context = node
        while context.parent is not None and context.parent.type in ("parenthesized_expression", "binary_expression"):
            context = context.parent
        parent = context.parent
        in_query_call = False
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression":
                if self._callee_receiver(call) in MESSAGE_RECEIVERS or self._callee_name(call) in MESSAGE_FUNCTIONS:
                    return
                in_query_call = self._first_argument(call) == context and \
                    self._callee_name(call) in collector.sql_calls
            elif call is not None and call.type == "new_expression":
                return  # new Error('…'): a message
        elif parent is not None and parent.type == "call_expression":  # a tagged template: sql`select …`
            callee = self._callee_name(parent)
            in_query_call = callee.lower().endswith("sql") or callee in collector.sql_calls
        elif parent is not None and parent.type == "variable_declarator":
            name = self.text_of(parent.child_by_field_name("name"))
            in_query_call = bool(re.search(r"sql|query", name, re.IGNORECASE)) or name in query_args
        elif parent is not None and parent.type == "throw_statement":
            return
        collector.sql(value, in_query_call)

    # -- values ------------------------------------------------------------------------------------------------
    def _key(self, node) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier", "number", "private_property_identifier"):
            return self.text_of(node)
        if node.type == "string":
            value = self.value(node)
            return value.value if isinstance(value, Text) and not value.dynamic else None
        return None  # computed: [expr]

    def _text(self, node) -> Text:
        parts, spans, length = [], [], 0
        for child in node.children:
            if child.type == "string_fragment":
                piece, multiline = self.text_of(child), True
            elif child.type == "escape_sequence":
                piece, multiline = _js_unescape(self.text_of(child)), False
            elif child.type == "template_substitution":
                piece, multiline = DYNAMIC, False
            else:
                continue
            spans.append((length, self.line_of(child), multiline))
            parts.append(piece)
            length += len(piece)
        return Text("".join(parts), self.file, spans or [(0, self.line_of(node), False)])

    def value(self, node, depth: int = 0) -> Any:
        """What an expression is: Text, Obj, Arr, or Opaque; variables and helper calls are followed."""
        if node is None:
            return None
        kind = node.type
        if depth > _MAX_DEPTH:
            return Opaque(self.file, self.line_of(node))
        if kind in ("string", "template_string"):
            return self._text(node)
        if kind in _JS_WRAPPERS:
            inner = [c for c in node.named_children if c.type != "comment"]
            return self.value(inner[0], depth) if inner else Opaque(self.file, self.line_of(node))
        if kind == "binary_expression":
            operator = self._operator(node)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator == "+":
                a, b = self.value(left, depth + 1), self.value(right, depth + 1)
                if isinstance(a, Text) or isinstance(b, Text):
                    return self._as_text(a, left) + self._as_text(b, right)
            elif operator in ("??", "||"):
                return self.value(left, depth + 1)
        elif kind == "object":
            return self._object(node, depth)
        elif kind == "array":
            return Arr([self.value(c, depth + 1) for c in node.named_children if c.type != "comment"], self.file,
                       self.line_of(node))
        elif kind in ("identifier", "shorthand_property_identifier"):
            declared = self._lookup(self.text_of(node), node)
            if declared is not None and declared[0] == "value":
                module, init = declared[1], declared[2]
                return module.value(init, depth + 1) if init is not None else None
        elif kind == "call_expression":
            return self._call_value(node, depth)
        elif kind == "member_expression":
            prop = node.child_by_field_name("property")
            return Opaque(self.file, self.line_of(node), self.text_of(prop) if prop is not None else None)
        return Opaque(self.file, self.line_of(node))

    def _as_text(self, value: Any, node) -> Text:
        if isinstance(value, Text):
            return value
        return Text(DYNAMIC, self.file, [(0, self.line_of(node), False)])

    def _object(self, node, depth: int) -> Obj:
        entries = []
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                entries.append(Entry(self._key(key_node), self.file, self.line_of(key_node),
                                     self.value(child.child_by_field_name("value"), depth + 1)))
            elif child.type == "shorthand_property_identifier":
                entries.append(Entry(self.text_of(child), self.file, self.line_of(child), self.value(child,
                                                                                                     depth + 1)))
            elif child.type == "spread_element":
                inner = [c for c in child.named_children if c.type != "comment"]
                spread = self.value(inner[0], depth + 1) if inner else None
                if isinstance(spread, Obj):
                    entries.extend(spread.entries)
        return Obj(entries, self.file, self.line_of(node))

    def _call_value(self, call, depth: int) -> Any:
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        args = [c for c in arguments.named_children if c.type != "comment"] if arguments is not None and \
            arguments.type == "arguments" else []
        if function is not None and function.type == "identifier":
            target = self._function(function)
            if target is not None:
                return target[0].returns(target[1], depth + 1)
        elif function is not None and function.type == "member_expression" and args:
            prop = self.text_of(function.child_by_field_name("property"))
            if prop == "map":  # rows.map((row) => ({...})): an array of what the callback returns
                callback = args[0]
                target = (self, callback) if callback.type in _JS_FUNCTIONS else \
                    self._function(callback) if callback.type == "identifier" else None
                if target is not None:
                    return Arr([target[0].returns(target[1], depth + 1)], self.file, self.line_of(call))
        return Opaque(self.file, self.line_of(call))

    def returns(self, function, depth: int) -> Any:
        """What a function returns (the union of the objects of its return statements)."""
        key = (self.file, function.start_byte)
        if key in self.scanner.active or depth > _MAX_DEPTH:
            return Opaque(self.file, self.line_of(function))
        self.scanner.active.add(key)
        try:
            body = function.child_by_field_name("body")
            if body is None:
                return Opaque(self.file, self.line_of(function))
            if body.type != "statement_block":
                return self.value(body, depth)
            values = []
            stack = list(body.named_children)
            while stack:
                node = stack.pop()
                if node.type in _JS_FUNCTIONS:
                    continue
                if node.type == "return_statement":
                    inner = [c for c in node.named_children if c.type != "comment"]
                    if inner:
                        values.append(self.value(inner[0], depth))
                    continue
                stack.extend(node.named_children)
            if len(values) == 1:
                return values[0]
            objects = [v for v in values if isinstance(v, Obj)]
            if objects:
                return Obj([e for o in objects for e in o.entries], objects[0].file, objects[0].line)
            return Opaque(self.file, self.line_of(function))
        finally:
            self.scanner.active.discard(key)

    # -- scopes ------------------------------------------------------------------------------------------------
    def _function(self, identifier) -> tuple[JsModule, Any] | None:
        declared = self._lookup(self.text_of(identifier), identifier)
        if declared is None:
            return None
        module, node = declared[1], declared[2]
        if node is not None and node.type in _JS_FUNCTIONS:
            return module, node
        return None

    def _lookup(self, name: str, at) -> tuple[str, JsModule, Any] | None:
        """The declaration ``name`` refers to at node ``at``: ("value", module, initializer) — functions included —
        or None (a parameter, a global, or not found)."""
        scope = at.parent
        while scope is not None:
            if scope.type in _JS_FUNCTIONS and name in self._parameters(scope):
                return None
            if scope.type in _JS_SCOPES:
                found = self._declared_in(scope, name, at.start_byte)
                if found is not None:
                    return "value", self, found
            scope = scope.parent
        source = self.imports().get(name)
        if source is not None:
            module = self.scanner.js_module(self.file, source[0])
            if module is not None:
                found = module._declared_in(module.root, source[1], float("inf"))
                if found is not None:
                    return "value", module, found
        return None

    def _declared_in(self, block, name: str, before: float):
        """The initializer of the last ``name`` declared in ``block`` before offset ``before`` (a function
        declaration wherever it is: it is hoisted)."""
        index = self._declarations.get(block.id)
        if index is None:
            index = self._declarations[block.id] = self._index_block(block)
        best = None
        for start, node, hoisted in index.get(name, ()):
            if hoisted:
                return node
            if start < before:
                best = node
        return best

    def _index_block(self, block) -> dict[str, list[tuple[int, Any, bool]]]:
        index: dict[str, list[tuple[int, Any, bool]]] = {}
        for statement in block.named_children:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                else statement
            if declaration is None:
                continue
            if declaration.type in ("function_declaration", "generator_function_declaration"):
                declared = declaration.child_by_field_name("name")
                if declared is not None:
                    index.setdefault(self.text_of(declared), []).append((declaration.start_byte, declaration, True))
            elif declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    declared = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" \
                        else None
                    if declared is not None and declared.type == "identifier":
                        index.setdefault(self.text_of(declared), []).append(
                            (declarator.start_byte, declarator.child_by_field_name("value"), False))
        return index

    def _parameters(self, function) -> set[str]:
        names = self._parameter_names.get(function.id)
        if names is not None:
            return names
        params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
        names, stack = set(), [params] if params is not None else []
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                names.add(self.text_of(node))
            elif node.type not in ("type_annotation",):
                stack.extend(node.named_children)
        self._parameter_names[function.id] = names
        return names

    def imports(self) -> dict[str, tuple[str, str]]:
        """local name -> (module specifier, exported name) for ES imports of the file."""
        if self._imports is None:
            self._imports = {}
            for statement in self.root.named_children:
                if statement.type != "import_statement":
                    continue
                source = statement.child_by_field_name("source")
                if source is None:
                    continue
                specifier = self._text(source).value
                for clause in statement.named_children:
                    if clause.type != "import_clause":
                        continue
                    for part in clause.named_children:
                        if part.type == "named_imports":
                            for spec in part.named_children:
                                if spec.type != "import_specifier":
                                    continue
                                imported = spec.child_by_field_name("name")
                                local = spec.child_by_field_name("alias") or imported
                                self._imports[self.text_of(local)] = (specifier, self.text_of(imported))
        return self._imports

