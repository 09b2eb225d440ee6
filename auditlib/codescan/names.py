"""Names: camelCase and snake_case, SQL/PostgREST identifiers and column expressions."""

from __future__ import annotations

import re

from auditlib.codescan.values import DYNAMIC

_IDENTIFIER = re.compile(r"[A-Za-z_][\w$]*")
_CAMEL = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+")


def is_camel(name: str) -> bool:
    """True for lowerCamelCase names (rateCardItemId), False for snake_case and single words."""
    return bool(_CAMEL.fullmatch(name))


def snake_case(name: str) -> str:
    """rateCardItemId → rate_card_item_id, userID → user_id."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _identifier(text: str) -> str | None:
    """A plain or double-quoted SQL/PostgREST name, unquoted; None for anything else."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        return text[1:-1] or None
    return text if _IDENTIFIER.fullmatch(text) else None


def _column_name(text: str) -> str | None:
    """The column of a PostgREST column expression: ``col::text`` → col, ``data->a->>b`` → data."""
    text = re.split(r"->>?", text.split("::", 1)[0], maxsplit=1)[0]
    return _identifier(text)


def _column_path(text: str) -> tuple[tuple[str, ...], str] | None:
    """``rel.col`` (a filter on an embedded relation) → (("rel",), "col"); json paths and casts dropped."""
    if DYNAMIC in text:
        return None
    head = re.split(r"->>?", text.split("::", 1)[0], maxsplit=1)[0].strip()
    parts = [_identifier(p) for p in head.split(".")] if head else [None]
    if any(p is None for p in parts):
        return None
    return tuple(parts[:-1]), parts[-1]

