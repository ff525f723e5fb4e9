"""The config's own field check: one of a fixed set of names."""

from __future__ import annotations

from collections.abc import Collection

from rig.source import Node, Problems, suggest
from rig.source.fields import as_str

__all__ = ["choice"]


def choice(
    node: Node | None, problems: Problems, what: str, options: Collection[str], default: str
) -> str:
    """`node`'s text when it is one of `options`; `default` when absent or wrong (reported)."""
    if node is None:
        return default
    text = as_str(node, problems, what)
    if text is None:
        return default
    if text not in options:
        problems.add(node.pos, f"{what}: unknown '{text}'{suggest(text, options)}")
        return default
    return text
