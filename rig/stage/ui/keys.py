"""The live UI's keys: what each action is called on screen, which ones the footer
shows, and config.yaml's key names as textual names them."""

from __future__ import annotations

from collections.abc import Mapping

from textual.keys import _character_to_key

from rig.config import KEY_ACTIONS

__all__ = ["ACTION_LABELS", "FOOTER_ACTIONS", "key_map"]

ACTION_LABELS: dict[str, str] = {
    "play": "play",
    "stop": "stop",
    "continue": "continue",
    "next": "next",
    "launch": "launch",
    "cue_up": "cue ↑",
    "cue_down": "cue ↓",
    "cancel": "cancel",
    "section": "jump",
    "section_prev": "section ←",
    "section_next": "section →",
    "track_prev": "track ←",
    "track_next": "track →",
    "mute": "mute",
    "solo": "solo",
    "quantize": "quantize",
    "nudge_up": "tempo +",
    "nudge_down": "tempo −",
    "tap": "tap",
    "fill": "fill",
    "panic": "panic",
    "keys": "keys",
    "quit": "quit",
}
# The footer shows these: they fit 80 columns, 22 keys do not; `keys` (?) lists all.
FOOTER_ACTIONS = frozenset(
    ("play", "stop", "next", "launch", "cancel", "mute", "panic", "keys", "quit")
)


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
