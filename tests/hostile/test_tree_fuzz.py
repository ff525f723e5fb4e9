"""Hypothesis fuzzers on the YAML tree: any tree or text gives a song or positioned errors.

- `test_song_trees`: a valid song with random sub-trees grafted in at random places
  (huge and negative numbers, NaN, control characters, deep lists, rates off the
  grid, empty maps) is dumped to YAML, loaded and compiled.
- `test_yaml_texts`: random text from YAML's structural characters, anchors and
  aliases included, goes through `parse_yaml`.

Either outcome is fine, a song or an InputError whose every error has a file, a
line and a column and prints no raw control character; anything else (a traceback,
a RecursionError, a ValueError) fails. Each example must finish within DEADLINE:
the time budget CI runs them under.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.source import InputError, parse_yaml
from rig.source.limits import MAX_DEPTH, MAX_NODES

REPO = Path(__file__).resolve().parents[2]
DEADLINE = timedelta(seconds=20)  # per example, generous for a loaded 2-core CI machine
BUDGET = settings(
    max_examples=150,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

BASE: dict[str, Any] = {
    "cue": "Fuzz",
    "tempo": 120,
    "tracks": {"keys": {"voice": "piano"}, "drums": {"device": "rytm"}},
    "patterns": {
        "p": {"track": "keys", "steps": "C4 . E4 ."},
        "d": {"track": "drums", "lanes": {"BD": "x...", "SD": "..x."}},
        "a": {"track": "keys", "arp": {"chords": "Am | F", "rate": "1/16"}},
    },
    "sections": [{"name": "A", "bars": 2, "play": ["p", "d", "a"]}],
}

KEYS = [
    "cue", "tempo", "meter", "key", "seed", "tracks", "patterns", "sections", "track", "steps",
    "lanes", "chords", "rhythm", "arp", "use", "rate", "length", "velocity", "gate", "swing",
    "transpose", "octave", "voicing", "bars", "play", "mute", "automate", "program", "mode",
    "octaves", "device", "voice", "channel", "part", "include", "themes", "BD", "SD",
]  # fmt: skip
WORDS = [
    "C4", "G9", "C-1", "x", "X", ".", "~", "|", "1/16", "1/7680", "1/1000000", "1/7", "0",
    "60%", "800%", "0%", "Am | F", "Xm7b99", "C4+E4+G4", "C4:200", "C4>99", "up", "random",
    "4/4", "0/4", "7/8", "rytm", "piano", "nosuch", "\x1b[2J", "\u202e", "東京", "🎹", "",
]  # fmt: skip

scalars = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_paths(value, (*prefix, index)))
    return out


def _graft(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return root


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def assert_clean(exc: InputError) -> None:
    assert exc.errors
    for error in exc.errors:
        assert error.pos.file and error.pos.line >= 1 and error.pos.col >= 1, error
        assert not _RAW_CONTROL.search(str(error)), repr(str(error))


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(REPO / "config.yaml")


@BUDGET
@given(data=st.data())
def test_song_trees(data: st.DataObject, project: Project, tmp_path: Path) -> None:
    song = _copy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(song)[1:]))
        song = _graft(song, path, data.draw(trees))
    text = yaml.safe_dump(song, allow_unicode=True, sort_keys=False)
    folder = tmp_path / "songs"
    folder.mkdir(exist_ok=True)
    file = folder / "fuzz.yaml"
    file.write_text(text, encoding="utf-8")
    try:
        arrangement = project.arrangement(file)
    except InputError as exc:
        assert_clean(exc)
        return
    for event in arrangement.events:  # what survived compiles to real MIDI values
        note = getattr(event, "note", None)
        assert note is None or 0 <= note <= 127
    assert math.isfinite(arrangement.duration_seconds)


yaml_text = st.lists(
    st.sampled_from(list("[]{},:&*!|>-?'\"#\n ab1") + ["  ", "&a ", "*a", "- ", ": "]),
    max_size=80,
).map("".join)


@BUDGET
@given(text=yaml_text)
def test_yaml_texts(text: str) -> None:
    try:
        parse_yaml(text, "f.yaml")
    except InputError as exc:
        assert_clean(exc)


@BUDGET
@given(
    depth=st.integers(0, 200),
    width=st.integers(1, 12),
    levels=st.integers(1, 12),
)
def test_alias_towers(depth: int, width: int, levels: int) -> None:
    """Anchors of `width` aliases stacked `levels` high under `depth` brackets: bounded."""
    lines = ["l0: &l0 [x, x]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    lines.append("deep: " + "[" * depth + f"*l{levels - 1}" + "]" * depth)
    sizes = [3]
    for _ in range(1, levels):
        sizes.append(1 + width * sizes[-1])
    expanded = 1 + sum(sizes) + depth + sizes[-1]  # the root, the anchors, the deep copy
    over = depth + 1 > MAX_DEPTH or expanded > MAX_NODES
    try:
        parse_yaml("\n".join(lines) + "\n", "f.yaml")
    except InputError as exc:
        assert_clean(exc)
        assert over, exc
        assert all("(the limit)" in e.message for e in exc.errors)
    else:
        assert not over
