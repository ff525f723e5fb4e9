"""The real device files in patches/devices/ load, and say what the reference says."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.config import default_patches_dir
from rig.devices import Device, load_device, load_devices

DEVICES_DIR = default_patches_dir() / "devices"
RYTM_ORDER = ["BD", "SD", "RS", "CP", "BT", "LT", "MT", "HT", "CH", "OH", "CY", "CB"]


@pytest.fixture(scope="module")
def devices() -> dict[str, Device]:
    return load_devices(DEVICES_DIR)


def test_every_device_file_loads(devices: dict[str, Device]) -> None:
    assert sorted(devices) == ["gm", "juno60", "monopoly", "rytm", "virus"]
    for path in DEVICES_DIR.glob("*.yaml"):
        assert load_device(path) == devices[path.stem]


@pytest.mark.parametrize(
    ("device", "stand_in"),
    [
        ("virus", "virus-pad"),
        ("juno60", "juno-poly"),
        ("monopoly", "monopoly-bass"),
        ("rytm", "rytm-kit"),
        ("gm", "gm-piano"),
    ],
)
def test_stand_in_names(devices: dict[str, Device], device: str, stand_in: str) -> None:
    assert devices[device].stand_in == stand_in


def test_rytm_lanes_are_notes_0_to_11_on_the_device_channel(devices: dict[str, Device]) -> None:
    rytm = devices["rytm"]
    assert rytm.is_drum
    assert list(rytm.lanes) == RYTM_ORDER  # pad order, hardware.md §3.4
    assert [rytm.lanes[name].note for name in RYTM_ORDER] == list(range(12))
    assert rytm.lane("BD").note == 0
    assert rytm.lane("SD").note == 1
    assert rytm.lane("CB").note == 11
    assert all(lane.channel is None for lane in rytm.lanes.values())
    assert rytm.lane_channel(rytm.lane("BD")) == rytm.channel
    assert rytm.lane_channel(rytm.lane("BD"), base=9) == 9  # config.yaml override


def test_rytm_ccs_match_the_reference(devices: dict[str, Device]) -> None:
    rytm = devices["rytm"]
    expected = {
        "trig_note": 3, "velocity": 4, "length": 5, "machine": 15, "level": 95, "mute": 94,
        "solo": 93, "scene": 92, "cutoff": 74, "resonance": 75, "amp_decay": 80,
        "delay_send": 82, "reverb_send": 83, "pan": 10, "volume": 7, "lfo_depth": 109,
    }  # fmt: skip
    assert {name: rytm.cc(name).number for name in expected} == expected
    perf = [rytm.cc(f"perf{i}").number for i in range(1, 13)]
    assert perf == [35, 36, 37, 39, 40, 41, 42, 43, 44, 45, 46, 47]
    assert rytm.voices == 8
    assert rytm.clock is True
    assert (rytm.programs.count, rytm.programs.bank_select) == (128, "none")


def test_gm_drums_on_channel_10(devices: dict[str, Device]) -> None:
    gm = devices["gm"]
    notes = {name: lane.note for name, lane in gm.lanes.items()}
    assert notes == {
        "BD": 36, "SD": 38, "RS": 37, "CP": 39, "BT": 41, "LT": 45, "MT": 47, "HT": 50,
        "CH": 42, "OH": 46, "CY": 49, "CB": 56,
    }  # fmt: skip
    assert {lane.channel for lane in gm.lanes.values()} == {9}
    assert gm.lane_channel(gm.lane("BD"), base=3) == 9  # an explicit lane channel stays
    assert set(gm.lanes) == set(RYTM_ORDER)  # same lane names: songs can swap the two
    ccs = {name: gm.cc(name).number for name in gm.ccs}
    assert {k: ccs[k] for k in ("volume", "pan", "expression", "sustain", "reverb", "chorus")} == {
        "volume": 7, "pan": 10, "expression": 11, "sustain": 64, "reverb": 91, "chorus": 93
    }  # fmt: skip
    assert (ccs["cutoff"], ccs["resonance"], ccs["attack"], ccs["release"]) == (74, 71, 73, 72)
    assert gm.programs.count == 128
    assert gm.parts == 16


def test_virus_is_multitimbral_with_page_a_ccs(devices: dict[str, Device]) -> None:
    virus = devices["virus"]
    assert (virus.channel, virus.parts) == (0, 16)
    assert virus.part_channel(1) == 0
    assert virus.part_channel(16) == 15
    assert virus.part_channel(2, base=4) == 5
    with pytest.raises(ValueError):
        virus.part_channel(17)
    numbers = {name: virus.cc(name).number for name in virus.ccs}
    assert numbers["cutoff"] == 40
    assert numbers["cutoff2"] == 41
    assert numbers["resonance"] == 42
    assert numbers["filter_env_amount"] == 44
    assert [numbers[k] for k in ("attack", "decay", "sustain", "release")] == [59, 60, 61, 63]
    assert numbers["osc_balance"] == 33
    assert numbers["detune"] == 26
    assert numbers["pan"] == 10
    assert virus.cc("pan").default == 64
    assert not virus.is_drum
    assert virus.programs.banks == 4


def test_retrofits(devices: dict[str, Device]) -> None:
    mono = devices["monopoly"]
    assert mono.cc("cutoff").number == 1  # Midipoly
    assert mono.cc("portamento").number == 5
    assert mono.voices == 4
    assert mono.programs.count == 0
    juno = devices["juno60"]
    assert (juno.note_low, juno.note_high) == (36, 97)  # Juno-66
    assert juno.voices == 6
    assert juno.cc("cutoff").number == 17


def test_unknown_cc_suggests(devices: dict[str, Device]) -> None:
    with pytest.raises(KeyError, match=r"device 'virus' has no CC 'cutof' \(did you mean 'cutoff'"):
        devices["virus"].cc("cutof")


def test_no_cc_in_the_channel_mode_range(devices: dict[str, Device]) -> None:
    for device in devices.values():
        assert all(0 <= c.number < 120 for c in device.ccs.values()), device.name


def test_models_are_frozen(devices: dict[str, Device]) -> None:
    virus = devices["virus"]
    with pytest.raises(AttributeError):
        virus.channel = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        virus.ccs["x"] = virus.cc("cutoff")  # type: ignore[index]


def test_source_points_at_the_file(devices: dict[str, Device]) -> None:
    assert Path(devices["rytm"].source.file).name == "rytm.yaml"
