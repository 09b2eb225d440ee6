"""Values: what an expression of the scanned code is, as far as a static reading can tell (a string, an object,
an array, or something only known at run time), and one step of a method chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DYNAMIC = "\x00"  # stands for a part of a string computed at run time (a template substitution, an f-string field)
_MAX_DEPTH = 6          # how far a value is followed through variables and helper functions


@dataclass
class Text:
    """A string value; run-time parts are DYNAMIC. ``spans`` map offsets to lines: (offset, line, newlines in the
    piece are real source lines)."""

    value: str
    file: str
    spans: list[tuple[int, int, bool]]

    @property
    def line(self) -> int:
        return self.spans[0][1]

    @property
    def dynamic(self) -> bool:
        return DYNAMIC in self.value

    def line_at(self, offset: int) -> int:
        start, line, multiline = self.spans[0]
        for span in self.spans:
            if span[0] <= offset:
                start, line, multiline = span
        return line + (self.value.count("\n", start, offset) if multiline else 0)

    def __add__(self, other: Text) -> Text:
        shift = len(self.value)
        return Text(self.value + other.value, self.file, [*self.spans, *((o + shift, ln, m) for o, ln, m in
                                                                          other.spans)])


@dataclass
class Entry:
    """One key of an object literal (``key`` None when computed at run time)."""

    key: str | None
    file: str
    line: int
    value: Any


@dataclass
class Obj:
    entries: list[Entry]
    file: str
    line: int


@dataclass
class Arr:
    items: list[Any]
    file: str
    line: int


@dataclass
class Opaque:
    """A value the scan cannot read; ``member`` is the property name of ``x.prop`` (for field mappings)."""

    file: str
    line: int
    member: str | None = None


@dataclass
class Link:
    """One step of a method chain: ``.name(args)``, or a property access ``.name`` (``args`` None)."""

    name: str
    file: str
    line: int
    args: list[Any] | None
    convert: Callable[[Any], Any]
    is_object: Callable[[Any], bool] = lambda node: False      # is this argument node an object literal?
    keywords: dict[str, Any] = field(default_factory=dict)   # Python keyword arguments (nodes)
    _values: dict[int, Any] = field(default_factory=dict)

    def arg(self, index: int) -> Any:
        """The value of positional argument ``index`` (None when absent)."""
        if self.args is None or index >= len(self.args):
            return None
        if index not in self._values:
            self._values[index] = self.convert(self.args[index])
        return self._values[index]

    def text(self, index: int) -> Text | None:
        value = self.arg(index)
        return value if isinstance(value, Text) else None

    def option(self, names: tuple[str, ...]) -> Text | None:
        """A string option: a keyword argument (Python) or a key of the last object argument (JavaScript)."""
        for name in names:
            if name in self.keywords:
                value = self.convert(self.keywords[name])
                return value if isinstance(value, Text) else None
        if self.args and self.is_object(self.args[-1]):
            last = self.arg(len(self.args) - 1)
            if isinstance(last, Obj):
                for entry in last.entries:
                    if entry.key in names and isinstance(entry.value, Text):
                        return entry.value
        return None
