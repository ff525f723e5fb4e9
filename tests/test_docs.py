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
