"""Voice files: the shipped stand-ins load, and mistakes are reported as file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.dsp.loader import load_voice, load_voices
from rig.dsp.spec import ParamSpec
from rig.source import InputError

VOICES = Path(__file__).resolve().parents[2] / "patches" / "voices"
DEVICES = Path(__file__).resolve().parents[2] / "patches" / "devices"

REQUIRED = [
    "virus-pad", "juno-poly", "monopoly-bass", "rytm-kit", "gm-piano", "piano", "guitar", "horns",
    "nylon-guitar", "lead-voice",
]  # fmt: skip


def test_every_stand_in_loads():
    voices = load_voices(VOICES)
    assert set(REQUIRED) <= set(voices)
    assert voices["monopoly-bass"].mode == "mono"
    assert voices["juno-poly"].voices == 6
    assert len(voices["monopoly-bass"].oscillators) == 4


def test_every_device_has_its_stand_in():
    voices = load_voices(VOICES)
    for path in DEVICES.glob("*.yaml"):
        stand_in = [ln for ln in path.read_text().splitlines() if ln.startswith("stand_in:")]
        if stand_in:
            name = stand_in[0].split(":", 1)[1].split("#")[0].strip()
            assert name in voices, f"{path.name}: stand_in {name}"


def test_rytm_kit_lanes_are_notes_0_to_11_in_rytm_order():
    kit = load_voice(VOICES / "rytm-kit.yaml")
    lanes = sorted(kit.lanes, key=lambda lane: lane.note)
    assert [lane.name for lane in lanes] == [
        "BD", "SD", "RS", "CP", "BT", "LT", "MT", "HT", "CH", "OH", "CY", "CB",
    ]  # fmt: skip
    assert [lane.note for lane in lanes] == list(range(12))


def test_voice_parameters_answer_the_devices_cc_names():
    virus = load_voice(VOICES / "virus-pad.yaml")
    for name in ("cutoff", "resonance", "attack", "decay", "sustain", "release"):
        assert virus.param_for_cc(name, 0) is not None, name
    assert virus.param_for_cc("filter_env_amount", 0).name == "env_amount"
    assert virus.param_for_cc("", 40).name == "cutoff"  # by number when the name is missing
    juno = load_voice(VOICES / "juno-poly.yaml")
    assert juno.param_for_cc("cutoff", 17).name == "cutoff"
    bass = load_voice(VOICES / "monopoly-bass.yaml")
    assert bass.param_for_cc("portamento", 5).name == "glide"


def test_cc_values_map_onto_the_parameter_range():
    lin = ParamSpec("mix", 0.5, 0.0, 1.0)
    assert lin.from_cc(0) == 0.0 and lin.from_cc(127) == 1.0
    exp = ParamSpec("cutoff", 1000, 100.0, 10000.0, "exp")
    assert exp.from_cc(0) == pytest.approx(100.0)
    assert exp.from_cc(127) == pytest.approx(10000.0)
    assert exp.from_cc(64) == pytest.approx(1000.0, rel=0.02)  # the middle is the middle octave


def test_programs_are_presets_of_parameter_values():
    piano = load_voice(VOICES / "piano.yaml")
    warped = piano.program(1)
    assert warped is not None and warped.name == "warped piano"
    assert dict(warped.values)["reverb"] == 0.6
    assert piano.program(99) is None


GOOD = """\
mode: poly
params:
  cutoff: {value: 1000, min: 50, max: 8000, curve: exp}
oscillators:
  - {wave: saw}
filter: {type: lowpass24, cutoff: cutoff}
"""


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_voice(path, display="voices/bad.yaml")
    return [str(e) for e in info.value.errors]


def test_the_good_example_loads(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    assert load_voice(path).name == "good"


def test_unknown_wave_is_reported_with_a_suggestion(tmp_path):
    text = GOOD.replace("{wave: saw}", "{wave: sqare}")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:5:12: oscillators[1].wave: unknown wave 'sqare' (did you mean 'square'?)"
    ]


def test_unknown_parameter_reference(tmp_path):
    text = GOOD.replace("cutoff: cutoff}", "cutoff: cutof}")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:6:35: filter.cutoff: unknown parameter 'cutof' (did you mean 'cutoff'?)"
    ]


def test_misspelt_key(tmp_path):
    text = GOOD.replace("filter: {type", "filter: {tpye")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:6:10: filter: unknown key 'tpye' (did you mean 'type'?)"
    ]


def test_parameter_default_outside_its_range(tmp_path):
    text = GOOD.replace("value: 1000", "value: 9000")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:3:19: params.cutoff.value: 9000 is outside 50..8000"
    ]


def test_exp_curve_needs_a_positive_minimum(tmp_path):
    text = GOOD.replace("min: 50", "min: 0")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:3:11: params.cutoff: an exp curve needs min above 0, got 0"
    ]


def test_number_out_of_range_and_unknown_mode_reported_together(tmp_path):
    text = GOOD.replace("mode: poly", "mode: polly").replace(
        "{wave: saw}", "{wave: saw, octave: 9}"
    )
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:1:7: mode: unknown mode 'polly' (did you mean 'poly'?)",
        "voices/bad.yaml:5:25: oscillators[1].octave: 9 is out of range -4..4",
    ]


def test_mono_voice_with_several_voices(tmp_path):
    text = GOOD.replace("mode: poly", "mode: mono\nvoices: 4")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:2:9: voices: a mono voice plays one note at a time, not 4"
    ]


def test_missing_oscillators(tmp_path):
    text = GOOD.replace("oscillators:\n  - {wave: saw}\n", "")
    assert _errors(tmp_path, text) == ["voices/bad.yaml:1:1: voice: missing 'oscillators'"]


def test_drum_lane_errors(tmp_path):
    text = """\
mode: drums
lanes:
  BD: {note: 0, tone: {freq: 50, decay: 0.4}}
  SD: {note: 0, noise: {filter: bandpas, decay: 0.2}}
  CH: {note: 2, choke: [OHH]}
"""
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:4:14: lanes.SD.note: note 0 is already lane 'BD'",
        "voices/bad.yaml:4:33: lanes.SD.noise.filter: unknown filter 'bandpas' "
        "(did you mean 'bandpass'?)",
        "voices/bad.yaml:5:7: lanes.CH: a lane needs a tone, noise or metal part",
        "voices/bad.yaml:5:25: choke: unknown lane 'OHH' (known: BD, CH, SD)",
    ]


def test_program_errors(tmp_path):
    text = GOOD + "programs:\n  x1: {name: a}\n  3: {name: b, cutof: 100}\n  4: {cutoff: 1}\n"
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:8:3: programs: 'x1' is not a program number 0..127",
        "voices/bad.yaml:9:16: programs.3: unknown key 'cutof' (did you mean 'cutoff'?)",
        "voices/bad.yaml:10:15: programs.4.cutoff: 1 is out of range 50.0..8000.0",
    ]


def test_yaml_syntax_and_duplicate_keys_keep_their_position(tmp_path):
    text = GOOD.replace("mode: poly", "mode: poly\nmode: mono")
    assert _errors(tmp_path, text) == [
        "voices/bad.yaml:2:1: duplicate key 'mode' (first at line 1)"
    ]


def test_errors_of_several_files_come_together(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.replace("saw}", "saww}"))
    (tmp_path / "b.yaml").write_text(GOOD.replace("lowpass24", "lowpass48"))
    with pytest.raises(InputError) as info:
        load_voices(tmp_path)
    assert [e.pos.file.rsplit("/", 1)[-1] for e in info.value.errors] == ["a.yaml", "b.yaml"]
