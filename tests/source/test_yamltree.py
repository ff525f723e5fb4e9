"""rig.source.yamltree: YAML → Node trees that remember file:line:col.

Positions are 1-based. Scalars are typed predictably for hand-written files: only
true/false are booleans (a lane called NO or a value `on` stays text), and `Node.at(i)`
finds the column of character i inside a one-line string, quoted or not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.source import InputError, Node, Pos, load_yaml_file, parse_yaml

TEXT = """\
cue: Inferno
tempo:   96
tracks:
  bass: {device: monopoly, part: 2}
  pad:
    device: "virus"
lanes: ['x...', "..x.", x.x.]
"""


def errors(text: str, name: str = "f.yaml") -> list[str]:
    with pytest.raises(InputError) as info:
        parse_yaml(text, name)
    return [str(e) for e in info.value.errors]


@pytest.fixture
def tree() -> Node:
    return parse_yaml(TEXT, "songs/x.yaml")


def test_plain_values(tree: Node) -> None:
    assert tree.plain() == {
        "cue": "Inferno",
        "tempo": 96,
        "tracks": {"bass": {"device": "monopoly", "part": 2}, "pad": {"device": "virus"}},
        "lanes": ["x...", "..x.", "x.x."],
    }


def test_key_positions(tree: Node) -> None:
    assert tree.pos == Pos("songs/x.yaml", 1, 1)
    assert {k: (p.line, p.col) for k, p in tree.key_pos.items()} == {
        "cue": (1, 1), "tempo": (2, 1), "tracks": (3, 1), "lanes": (7, 1),
    }  # fmt: skip
    tracks = tree.value["tracks"]
    assert (tracks.key_pos["bass"].line, tracks.key_pos["bass"].col) == (4, 3)
    bass = tracks.value["bass"]
    assert (bass.key_pos["device"].line, bass.key_pos["device"].col) == (4, 10)
    assert (bass.key_pos["part"].line, bass.key_pos["part"].col) == (4, 28)


def test_value_positions(tree: Node) -> None:
    assert str(tree.value["cue"].pos) == "songs/x.yaml:1:6"
    assert str(tree.value["tempo"].pos) == "songs/x.yaml:2:10"  # after the extra blanks
    assert str(tree.value["tracks"].pos) == "songs/x.yaml:4:3"  # a block mapping starts at its key
    bass = tree.value["tracks"].value["bass"]
    assert str(bass.pos) == "songs/x.yaml:4:9"  # the '{'
    assert str(bass.value["device"].pos) == "songs/x.yaml:4:18"
    assert str(bass.value["part"].pos) == "songs/x.yaml:4:34"
    assert str(tree.value["tracks"].value["pad"].value["device"].pos) == "songs/x.yaml:6:13"
    lanes = tree.value["lanes"]
    assert [str(n.pos) for n in lanes.value] == [
        "songs/x.yaml:7:9", "songs/x.yaml:7:17", "songs/x.yaml:7:25",
    ]  # fmt: skip


def test_kinds(tree: Node) -> None:
    assert tree.is_map and not tree.is_list and not tree.is_scalar
    assert tree.value["lanes"].is_list
    assert tree.value["cue"].is_scalar


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        ("NO", "NO"),
        ("no", "no"),
        ("on", "on"),
        ("OFF", "OFF"),
        ("yes", "yes"),
        ("Y", "Y"),
        ("'true'", "true"),
        ('"false"', "false"),
        ("12", 12),
        ("-3", -3),
        ("+4", 4),
        ("1_000", 1000),
        ("0", 0),
        ("007", "007"),  # no octal surprises: leading zeros stay text
        ("0x10", "0x10"),  # no hex either
        ("2.5", 2.5),
        (".5", 0.5),
        ("'12'", "12"),
        ("4/4", "4/4"),
        ("1/16", "1/16"),
        ("54%", "54%"),
        ("~", None),
        ("null", None),
        ("", None),
        ("C#4", "C#4"),
        ("x... ..x.", "x... ..x."),
        ("2020-01-01", "2020-01-01"),  # no dates
        ("12:30", "12:30"),  # no sexagesimal numbers
    ],
)
def test_scalar_typing(text: str, value: object) -> None:
    got = parse_yaml(f"v: {text}\n", "f.yaml").value["v"].value
    assert got == value and type(got) is type(value)


def test_lane_names_stay_text_as_keys() -> None:
    tree = parse_yaml("lanes: {NO: x, ON: '.', Y: x, 1: x}\n", "f.yaml")
    assert list(tree.value["lanes"].value) == ["NO", "ON", "Y", "1"]


@pytest.mark.parametrize(
    ("line", "offset", "col"),
    [
        ("s: C2 . H2 .", 5, 9),  # plain: text starts at col 4
        ("s: 'C2 . H2 .'", 5, 10),  # single quotes: text starts at col 5
        ('s: "C2 . H2 ."', 5, 10),  # double quotes: the same
        ("s:    'C2 . H2 .'", 0, 8),  # blanks before the value
        ("m: {s: 'C2 . H2 .'}", 5, 14),  # inside a flow mapping
        ("l: [a, 'C2 . H2 .']", 5, 14),  # inside a flow list
    ],
)
def test_at_gives_the_column_of_a_character(line: str, offset: int, col: int) -> None:
    tree = parse_yaml(line + "\n", "f.yaml")
    node = tree.value[line[0]]
    if node.is_map:
        node = node.value["s"]
    elif node.is_list:
        node = node.value[1]
    assert node.at(offset) == Pos("f.yaml", 1, col)
    assert line[col - 1 : col - 1 + 2] == node.value[offset : offset + 2]


def test_at_falls_back_to_the_value_start_when_the_text_differs() -> None:
    # An escape makes the source text differ from the value: no column inside it.
    tree = parse_yaml('s: "C2\\tH2"\n', "f.yaml")
    assert tree.value["s"].at(3) == Pos("f.yaml", 1, 4)


@pytest.mark.parametrize(
    "text",
    [
        "b: |\n  C2 .\n  E2 H2\n",
        "b: >-\n  C2 .\n  E2 H2\n",
        "b: C2 .\n  E2 H2\n",
        "b: 'C2 .\n  E2 H2'\n",
        'b: "C2 .\n  E2 H2"\n',
    ],
)
def test_at_finds_a_word_in_a_multi_line_string(text: str) -> None:
    node = parse_yaml(text, "f.yaml").value["b"]
    offset = node.value.index("H2")
    line = text.count("\n", 0, text.index("H2")) + 1
    assert node.at(offset) == Pos("f.yaml", line, 6)
    assert node.at(offset + 1) == Pos("f.yaml", line, 7)


def test_at_on_a_number_is_its_position() -> None:
    node = parse_yaml("n:   42\n", "f.yaml").value["n"]
    assert node.at(1) == node.pos == Pos("f.yaml", 1, 6)


def test_duplicate_keys_at_every_level() -> None:
    assert errors("a: 1\nb: {x: 1, x: 2}\na: 3\n") == [
        "f.yaml:2:11: duplicate key 'x' (first at line 2)",
        "f.yaml:3:1: duplicate key 'a' (first at line 1)",
    ]


def test_tab_indentation() -> None:
    assert errors("a:\n\tb: 1\n  c: 2\n \t d: 3\n") == [
        "f.yaml:2:1: tab used for indentation; use spaces",
        "f.yaml:4:2: tab used for indentation; use spaces",
    ]


def test_tab_inside_a_value_is_fine() -> None:
    assert parse_yaml("a: 'x\ty'\n", "f.yaml").plain() == {"a": "x\ty"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n", "f.yaml:2:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"),
        ("a: 1\n b: 2\n", "f.yaml:2:3: YAML syntax error: mapping values are not allowed here"),
        ("a: *x\n", "f.yaml:1:4: YAML syntax error: found undefined alias 'x'"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: YAML syntax error: but found another document"),
        ("", "f.yaml:1:1: file is empty"),
        ("# only a comment\n", "f.yaml:1:1: file is empty"),
        ("? [a, b]\n: 1\n", "f.yaml:1:3: a key must be a plain name"),
        ("base: &b {x: 1}\nc: {<<: *b}\n", "f.yaml:2:5: merge keys '<<' are not supported"),
    ],
)
def test_yaml_problems(text: str, message: str) -> None:
    assert errors(text) == [message]


def test_control_character_points_at_itself() -> None:
    assert errors("a: 1\nb: x\x1fy\n") == [
        "f.yaml:2:5: YAML syntax error: unacceptable character #x001f: "
        "special characters are not allowed"
    ]


def test_lists_and_scalars_as_the_root() -> None:
    assert parse_yaml("- a\n- b\n", "f.yaml").plain() == ["a", "b"]
    assert parse_yaml("hello\n", "f.yaml").plain() == "hello"


def test_load_file_uses_the_display_name(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("\ufeffa: 1\n", encoding="utf-8")  # a BOM is skipped
    node = load_yaml_file(path, "songs/s.yaml")
    assert node.plain() == {"a": 1}
    assert node.value["a"].pos == Pos("songs/s.yaml", 1, 4)
    assert load_yaml_file(path).pos.file == str(path)


def test_load_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml_file(tmp_path / "missing.yaml", "m.yaml")
    assert [str(e) for e in info.value.errors] == ["m.yaml:1:1: file not found"]
    with pytest.raises(InputError) as info:
        load_yaml_file(tmp_path, "d")
    assert [str(e) for e in info.value.errors] == ["d:1:1: is a directory, not a file"]
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("a: 1\nb: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_yaml_file(bad, "l.yaml")
    assert [str(e) for e in info.value.errors] == ["l.yaml:2:7: file is not UTF-8 text"]
