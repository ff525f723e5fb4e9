"""Load `patches/voices/*.yaml` into `VoiceSpec`s, reporting every mistake as file:line:col.

A voice's name is its file name without `.yaml` (``patches/voices/virus-pad.yaml``
is the voice ``virus-pad``), so a device or track names a voice the way it names
a file. Any number may instead name one of the voice's `params`; such names are
checked after the whole file is read, so params may come last.
"""

from __future__ import annotations

from pathlib import Path

from rig.dsp.loader.lanes import LaneReader
from rig.dsp.loader.synth import SynthReader
from rig.dsp.spec import MODES, EnvSpec, VoiceSpec
from rig.source import InputError, Problems, SourceError, load_yaml_file
from rig.source.fields import MapReader, as_bool, as_str

__all__ = ["load_voice", "load_voices", "voice_names", "MAX_VOICES"]

MAX_VOICES = 32

_TOP = (
    "description",
    "mode",
    "voices",
    "level",
    "velocity",
    "glide",
    "legato",
    "pan",
    "spread",
    "params",
    "oscillators",
    "filter",
    "amp",
    "filter_env",
    "lfos",
    "effects",
    "programs",
    "lanes",
)


def voice_names(directory: Path) -> list[str]:
    """The voices a directory offers (file stems), without reading them."""
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def load_voices(directory: Path) -> dict[str, VoiceSpec]:
    """Every voice in `directory`; all problems of all files are raised together."""
    voices: dict[str, VoiceSpec] = {}
    errors: list[SourceError] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            voices[path.stem] = load_voice(path)
        except InputError as exc:
            errors.extend(exc.errors)
    if errors:
        raise InputError(errors)
    return voices


def load_voice(path: Path, display: str | None = None) -> VoiceSpec:
    root = load_yaml_file(path, display)
    problems = Problems()
    spec = _Reader(path.stem, root, problems).voice()
    problems.raise_if_any()
    assert spec is not None
    return spec


class _Reader(SynthReader, LaneReader):
    """The whole file: its top-level keys, then a synth voice's parts or a drums voice's lanes."""

    def voice(self) -> VoiceSpec | None:
        r = MapReader(self.root, self.problems, "voice", _TOP)
        if not r.ok:
            return None
        mode = self.choice(r, "mode", "poly", MODES, "mode")
        params = self.read_params(r.get("params"))
        desc_node = r.get("description")
        description = (as_str(desc_node, self.problems, "description") or "") if desc_node else ""
        common = dict(
            name=self.name,
            source=self.root.pos.file,
            mode=mode,
            description=description,
            level=self.number(r, "level", -6.0, -60.0, 12.0),
            velocity=self.number(r, "velocity", 0.7, 0.0, 1.0),
            pan=self.number(r, "pan", 0.0, -1.0, 1.0),
            params=tuple(params),
        )
        if mode == "drums":
            lanes = self.read_lanes(r.get("lanes", required=True))
            for key in ("oscillators", "filter", "amp", "filter_env", "lfos", "glide", "legato"):
                if r.has(key):
                    self.problems.add(r.key_pos(key), f"{key}: a drums voice has lanes, not {key}")
            spec = VoiceSpec(voices=1, lanes=tuple(lanes), **common)
        else:
            if r.has("lanes"):
                self.problems.add(
                    r.key_pos("lanes"), f"lanes: only a drums voice has lanes (mode is {mode})"
                )
            voices_node = r.get("voices")
            voices = self.integer(r, "voices", 8 if mode == "poly" else 1, 1, MAX_VOICES)
            if mode == "mono" and voices_node is not None and voices != 1:
                self.problems.add(
                    voices_node.pos, f"voices: a mono voice plays one note at a time, not {voices}"
                )
                voices = 1
            legato_node = r.get("legato")
            legato = as_bool(legato_node, self.problems, "legato") if legato_node else True
            spec = VoiceSpec(
                voices=voices,
                glide=self.value(r, "glide", 0.0, 0.0, 5.0),
                legato=True if legato is None else legato,
                spread=self.number(r, "spread", 0.5, 0.0, 1.0),
                oscillators=tuple(
                    self.oscillators(r.get("oscillators", required=True))
                ),
                filter=self.read_filter(r.get("filter")),
                amp_env=self.read_env(r.get("amp"), "amp", EnvSpec(0.005, 0.1, 1.0, 0.1)),
                filter_env=self.read_env(
                    r.get("filter_env"), "filter_env", EnvSpec(0.005, 0.3, 0.0, 0.3)
                ),
                lfos=tuple(self.each(r.get("lfos"), "lfos", self.read_lfo)),
                **common,
            )
        effects = tuple(self.each(r.get("effects"), "effects", self.read_effect))
        programs = self.read_programs(r.get("programs"))
        r.finish()
        self.check_refs()
        # dataclasses.replace would re-run nothing useful; build the final spec once.
        return VoiceSpec(**{**_fields(spec), "effects": effects, "programs": tuple(programs)})


def _fields(spec: VoiceSpec) -> dict:
    return {name: getattr(spec, name) for name in VoiceSpec.__dataclass_fields__}
