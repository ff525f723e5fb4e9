"""A set file's `live:` block: live tweaks kept for the next show (rig.song.kept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.song.kept import Kept
from rig.song.setlist import load_setlist, write_kept
from rig.source import InputError

REPO = Path(__file__).resolve().parents[2]
SET = """# The night. Comments and layout stay as written.
set: Night
cues:
  - {song: a.yaml, next: bar}   # opener
  - b.yaml
"""


def night(tmp_path: Path) -> Path:
    song = (REPO / "songs" / "rivalry.yaml").read_text(encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(song, encoding="utf-8")
    path = tmp_path / "night.yaml"
    path.write_text(SET, encoding="utf-8")
    return path


def test_kept_tweaks_round_trip_and_the_rest_of_the_file_stays(tmp_path: Path) -> None:
    path = night(tmp_path)
    assert load_setlist(path).kept is None
    kept = Kept(cue=1, quantize="section", mute=("bass", "lead 2"), tempo={1: 121.5})
    write_kept(load_setlist(path), kept)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SET)
    assert text[len(SET) :] == (
        "live:  # kept from rig live (w): the next show of this set starts with these\n"
        "  cue: 2\n  quantize: section\n  mute: [bass, lead 2]\n  solo: []\n"
        "  tempo: {2: 121.5}\n"
    )
    again = load_setlist(path)
    assert again.kept == kept
    # Keeping again replaces the block (no second `live:`), the rest byte for byte.
    write_kept(again, Kept(cue=0, quantize="bar"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SET) and text.count("live:") == 1
    assert load_setlist(path).kept == Kept(cue=0, quantize="bar")


def test_a_bad_live_block_is_an_error_with_its_place(tmp_path: Path) -> None:
    path = night(tmp_path)
    path.write_text(SET + "live:\n  cue: 5\n  quantize: bras\n  tempo: {7: 120}\n")
    with pytest.raises(InputError) as err:
        load_setlist(path)
    text = str(err.value)
    assert f"{path.name}:7:8: live: cue: 5 is out of range 1..2" in text
    assert "8:13: live: quantize: unknown 'bras' (known: bar, beat, cue, now, section)" in text
    assert "live: tempo: no cue 7 (the set has 2)" in text
    path.write_text("live: {cue: 1}\n" + SET)
    with pytest.raises(InputError, match="live: must be the last key of the set"):
        load_setlist(path)


def test_a_block_that_would_not_load_never_replaces_the_file(tmp_path: Path) -> None:
    path = night(tmp_path)
    setlist = load_setlist(path)
    with pytest.raises(InputError):
        write_kept(setlist, Kept(cue=9))  # the set has 2 cues
    assert path.read_text(encoding="utf-8") == SET
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "night.yaml"]
