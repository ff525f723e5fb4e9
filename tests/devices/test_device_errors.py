"""Bad device files: every problem reported at once, as exact file:line:col: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.devices import load_device, load_devices
from rig.source import InputError

# A valid minimal device; tests append (or replace) lines.
HEAD = """\
device: synth
name: Some Synth
voices: 4
stand_in: some-voice
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_device(path)
    return [str(e) for e in info.value.errors]


def test_minimal_device_defaults(tmp_path: Path) -> None:
    device = load_device(write(tmp_path, "synth.yaml", HEAD))
    assert (device.name, device.title, device.channel, device.parts, device.voices) == (
        "synth", "Some Synth", 0, 1, 4
    )  # fmt: skip
    assert dict(device.ccs) == {}
    assert not device.is_drum
    assert (device.programs.count, device.programs.banks, device.programs.bank_select) == (
        128, 1, "none"
    )  # fmt: skip
    assert (device.latency_ms, device.clock, device.note_low, device.note_high) == (
        0.0, False, 0, 127
    )  # fmt: skip
    assert str(device.source) == f"{tmp_path / 'synth.yaml'}:1:1"


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "chanel: 2\n")
    assert errors_of(path) == [
        f"{path}:5:1: device 'synth': unknown key 'chanel' (did you mean 'channel'?)"
    ]


def test_cc_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "cc:\n  cutoff: 130\n")
    assert errors_of(path) == [f"{path}:6:11: cc 'cutoff': 130 is out of range 0..127"]


def test_cc_channel_mode_message(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "cc:\n  local: {cc: 122}\n")
    assert errors_of(path) == [
        f"{path}:6:15: cc 'local': 122 is the channel mode message Local Control, not a "
        "controller (120..127 are reserved by MIDI; rig sends them itself)"
    ]


def test_duplicate_cc_number(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "cc:\n  cutoff: 74\n  brightness: 74\n")
    assert errors_of(path) == [
        f"{path}:7:15: cc 'brightness': CC 74 is already named 'cutoff' (line 6)"
    ]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "voices: 6\n")
    assert errors_of(path) == [f"{path}:5:1: duplicate key 'voices' (first at line 3)"]


def test_id_must_equal_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD.replace("device: synth", "device: synht"))
    assert errors_of(path) == [
        f"{path}:1:9: device: id 'synht' must equal the file name 'synth' (rename one of them)"
    ]


def test_bad_channel(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "channel: 17\n")
    assert errors_of(path) == [f"{path}:5:10: channel: 17 is out of range 1..16"]


def test_parts_past_channel_16(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "channel: 3\nparts: 16\n")
    assert errors_of(path) == [
        f"{path}:6:8: parts: 16 parts from channel 3 would need channels up to 18; MIDI has 16"
    ]


def test_bad_lane_note_and_channel(tmp_path: Path) -> None:
    text = HEAD + "lanes:\n  BD: 128\n  SD: {note: 38, channel: 0}\n"
    path = write(tmp_path, "synth.yaml", text)
    assert errors_of(path) == [
        f"{path}:6:7: lane 'BD': note: 128 is out of range 0..127",
        f"{path}:7:27: lane 'SD': channel: 0 is out of range 1..16",
    ]


def test_duplicate_lane_note(tmp_path: Path) -> None:
    # channel 10 given explicitly and via the device channel: the same place.
    text = HEAD + "channel: 10\nlanes:\n  BD: 36\n  KICK: {note: 36, channel: 10}\n"
    path = write(tmp_path, "synth.yaml", text)
    assert errors_of(path) == [
        f"{path}:8:16: lane 'KICK': note 36 on channel 10 is already lane 'BD' (line 7)"
    ]


def test_wrong_types(tmp_path: Path) -> None:
    text = HEAD.replace("voices: 4", "voices: six") + "clock: yes\ncc: [cutoff]\n"
    path = write(tmp_path, "synth.yaml", text)
    assert errors_of(path) == [
        f"{path}:3:9: voices: expected a whole number, got 'six'",
        f"{path}:5:8: clock: expected true or false, got 'yes'",
        f"{path}:6:5: cc: expected a mapping (key: value), got a list",
    ]


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", "# nothing yet\n")
    assert errors_of(path) == [f"{path}:1:1: file is empty"]


def test_missing_required_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", "device: synth\nchannel: 2\n")
    assert errors_of(path) == [
        f"{path}:1:1: device 'synth': missing 'name'",
        f"{path}:1:1: device 'synth': missing 'stand_in'",
        f"{path}:1:1: device 'synth': missing 'voices'",
    ]


def test_programs_bank_select_with_suggestion(tmp_path: Path) -> None:
    text = HEAD + "programs: {count: 128, banks: 4, bank_select: mbs}\n"
    path = write(tmp_path, "synth.yaml", text)
    assert errors_of(path) == [
        f"{path}:5:47: programs: unknown bank_select 'mbs' (did you mean 'msb'?)"
    ]


def test_banks_need_bank_select(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "programs: {banks: 4}\n")
    assert errors_of(path) == [
        f"{path}:5:19: programs: 4 banks need a bank_select of msb, lsb or msb+lsb; "
        "bank_select none reaches 1"
    ]


def test_named_cc_on_bank_select(tmp_path: Path) -> None:
    text = HEAD + "programs: {banks: 4, bank_select: lsb}\ncc: {bank: 32, cutoff: 0}\n"
    path = write(tmp_path, "synth.yaml", text)
    # CC 0 is free here: only CC 32 is sent by bank_select lsb.
    assert errors_of(path) == [
        f"{path}:6:12: cc 'bank': 32 is Bank Select LSB, which programs (bank_select: lsb) "
        "sends itself"
    ]


def test_cc_bounds(tmp_path: Path) -> None:
    text = HEAD + "cc:\n  a: {cc: 1, min: 100, max: 20}\n  b: {cc: 2, default: 5, min: 10}\n"
    text += "  c: {cc: 3, mni: 1}\n  d: {min: 1}\n"
    path = write(tmp_path, "synth.yaml", text)
    assert errors_of(path) == [
        f"{path}:6:19: cc 'a': min 100 is above max 20",
        f"{path}:7:23: cc 'b': default 5 is outside min..max 10..127",
        f"{path}:8:14: cc 'c': unknown key 'mni' (did you mean 'min'?)",
        f"{path}:9:6: cc 'd': missing 'cc'",
    ]


def test_bad_cc_name(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "cc:\n  filter cutoff: 74\n")
    assert errors_of(path) == [
        f"{path}:6:3: cc 'filter cutoff': a name may hold only letters, digits and _, starting "
        "with a letter (songs write it as track.name)"
    ]


def test_note_range(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "notes: {low: 97, high: 36}\n")
    assert errors_of(path) == [f"{path}:5:8: notes: low 97 is above high 36"]


def test_tab_indentation(tmp_path: Path) -> None:
    path = write(tmp_path, "synth.yaml", HEAD + "cc:\n\tcutoff: 74\n")
    assert errors_of(path) == [f"{path}:6:1: tab used for indentation; use spaces"]


def test_load_devices_reports_every_file_at_once(tmp_path: Path) -> None:
    good = write(tmp_path, "synth.yaml", HEAD)
    bad1 = write(tmp_path, "drums.yaml", HEAD.replace("synth", "drums") + "voices: 2\n")
    bad2 = write(tmp_path, "bass.yaml", HEAD.replace("device: synth", "device: base"))
    yml = write(tmp_path, "pad.yml", HEAD)
    write(tmp_path, "README.md", "not a device\n")
    with pytest.raises(InputError) as info:
        load_devices(tmp_path)
    assert [str(e) for e in info.value.errors] == sorted(
        [
            f"{bad2}:1:9: device: id 'base' must equal the file name 'bass' (rename one of them)",
            f"{bad1}:5:1: duplicate key 'voices' (first at line 3)",
            f"{yml}:1:1: device files must end in .yaml (rename to pad.yaml)",
        ]
    )
    yml.unlink()
    bad1.unlink()
    bad2.unlink()
    assert list(load_devices(tmp_path)) == ["synth"]
    assert load_devices(tmp_path)["synth"] == load_device(good)


def test_missing_devices_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_devices(tmp_path / "nope")
    assert str(info.value) == f"{tmp_path / 'nope'}:1:1: devices folder not found"
