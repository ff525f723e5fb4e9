"""The live UI's keys: what each action is called on screen, which ones the footer
shows (both from `rig.config.actions.LIVE_ACTIONS`), and config.yaml's key names as
textual names them."""

from __future__ import annotations

from collections.abc import Mapping

from textual.keys import _character_to_key

from rig.config import KEY_ACTIONS
from rig.config.actions import LIVE_ACTIONS

__all__ = ["ACTION_LABELS", "FOOTER_ACTIONS", "key_map"]

# What the footer and the `?` list call each keyed action, and the ones the footer
# shows (they fit 80 columns, 22 keys do not; `?` lists all): from the one table.
ACTION_LABELS: dict[str, str] = {a.name: a.label for a in LIVE_ACTIONS if a.key is not None}
FOOTER_ACTIONS = frozenset(a.name for a in LIVE_ACTIONS if a.footer)


def _key_name(key: str) -> str:
    """A key from config.yaml as textual names it: "[" → left_square_bracket."""
    key = key.strip()
    if key == " ":
        return "space"
    if len(key) == 1 and not key.isalnum():
        return _character_to_key(key)
    return key


def key_map(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """action → textual key: the defaults with config.yaml's overrides."""
    keys = dict(KEY_ACTIONS)
    keys.update(overrides or {})
    return {action: _key_name(key) for action, key in keys.items()}
