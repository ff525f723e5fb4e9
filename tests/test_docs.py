"""README.md and config.yaml agree with the one place each fact lives in the code."""

from __future__ import annotations

import re
from pathlib import Path

from rig.config import KEY_ACTIONS
from rig.control.protocol import ADDRESSES

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
CONFIG = (REPO / "config.yaml").read_text(encoding="utf-8")


def osc_table() -> set[str]:
    """Every address in the first column of README's OSC table."""
    rows = [line for line in README.splitlines() if line.startswith("| `/rig/")]
    return {addr for row in rows for addr in re.findall(r"`(/rig/\w+)`", row.split("|")[1])}


def test_readme_lists_every_osc_address() -> None:
    assert osc_table() == set(ADDRESSES)


def test_config_yaml_lists_every_key_action() -> None:
    # The commented `keys:` section: "#   action: key   # what it does".
    start = CONFIG.index("# keys:\n")
    block = CONFIG[start : CONFIG.index("\n\n", start)]
    listed = re.findall(r"^#   (\w+): ", block, re.MULTILINE)
    assert listed == list(KEY_ACTIONS)


def test_readme_parts_table_names_every_room() -> None:
    rooms = ["rig/engine", "rig/voices", "rig/control", "rig/stage", "rig/probe"]
    table = README[README.index("## The parts") :]
    assert [room for room in rooms if f"`{room}`" not in table] == []
    assert "rig/commands/bench" in table


def test_readme_live_actions_table_is_the_code_table() -> None:
    """The live actions are one table (rig/config/actions.py); README shows exactly it."""
    from rig.config.actions import markdown_table

    start = README.index("<!-- live-actions:")
    block = README[README.index("\n", start) + 1 : README.index("<!-- /live-actions -->")]
    assert block.strip() == markdown_table()


def test_every_surface_comes_from_the_one_action_table() -> None:
    from rig.config import CONTROLLER_ACTIONS
    from rig.config.actions import LIVE_ACTIONS
    from rig.stage.ui.keys import ACTION_LABELS

    assert {a.osc for a in LIVE_ACTIONS if a.osc} <= set(ADDRESSES)
    assert set(KEY_ACTIONS) == set(ACTION_LABELS) == {a.name for a in LIVE_ACTIONS if a.key}
    assert set(CONTROLLER_ACTIONS) == {a.name for a in LIVE_ACTIONS if a.controller}
    # Every controller action reaches the engine: it names an OSC address.
    assert all(a.osc for a in LIVE_ACTIONS if a.controller)
    # The UI has a handler for every key action (a row without one would be a dead key).
    from rig.stage.ui.app import LiveApp

    assert [a for a in KEY_ACTIONS if not hasattr(LiveApp, f"action_ui_{a}")] == []
