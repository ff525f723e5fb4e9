"""A synth voice's parts: oscillators, filter, envelopes, LFOs, and the effects any
voice may end in."""

from __future__ import annotations

from rig.dsp.loader.fields import FieldReader
from rig.dsp.spec import (
    EFFECTS,
    EFFECTS_SETTINGS,
    FILTERS,
    LFO_TARGETS,
    LFO_WAVES,
    WAVES,
    EffectSpec,
    EnvSpec,
    FilterSpec,
    LfoSpec,
    OscSpec,
)
from rig.source import Node, suggest
from rig.source.fields import MapReader, as_list, as_number, as_str

__all__ = ["SynthReader"]


class SynthReader(FieldReader):
    """Reads the parts of a poly or mono voice."""

    def oscillators(self, node: Node | None) -> list:
        """At least one oscillator: an empty list would load a voice that never sounds."""
        if node is not None and node.is_list and not node.value:
            self.problems.add(node.pos, "oscillators: a voice needs at least one oscillator")
        return self.each(node, "oscillators", self.read_osc)

    def read_osc(self, node: Node, what: str) -> OscSpec | None:
        keys = (
            "wave",
            "level",
            "octave",
            "semitones",
            "cents",
            "detune",
            "mix",
            "width",
            "harmonics",
            "decay",
        )
        r = MapReader(node, self.problems, what, keys)
        if not r.ok:
            return None
        wave_node = r.get("wave", required=True)
        wave = self.choice(r, "wave", "saw", WAVES, "wave")
        harmonics: list[float] = []
        h_node = r.get("harmonics")
        if h_node is not None:
            for item in as_list(h_node, self.problems, f"{what}.harmonics") or []:
                h = as_number(item, self.problems, f"{what}.harmonics", 0.0, 1.0)
                if h is not None:
                    harmonics.append(h)
        if wave == "harmonics" and wave_node is not None and not harmonics:
            self.problems.add(wave_node.pos, f"{what}: wave 'harmonics' needs a harmonics list")
        spec = OscSpec(
            wave=wave,
            level=self.value(r, "level", 1.0, 0.0, 4.0),
            octave=self.integer(r, "octave", 0, -4, 4),
            semitones=self.number(r, "semitones", 0.0, -48.0, 48.0),
            cents=self.number(r, "cents", 0.0, -100.0, 100.0),
            detune=self.value(r, "detune", 0.5, 0.0, 1.0),
            mix=self.value(r, "mix", 0.7, 0.0, 1.0),
            width=self.value(r, "width", 0.5, 0.02, 0.98),
            harmonics=tuple(harmonics),
            decay=self.value(r, "decay", 2.0, 0.01, 30.0),
        )
        r.finish()
        return spec

    def read_filter(self, node: Node | None) -> FilterSpec:
        if node is None:
            return FilterSpec(kind="none")
        r = MapReader(
            node, self.problems, "filter", ("type", "cutoff", "resonance", "env", "keytrack")
        )
        if not r.ok:
            return FilterSpec(kind="none")
        spec = FilterSpec(
            kind=self.choice(r, "type", "lowpass24", FILTERS, "filter type"),
            cutoff=self.value(r, "cutoff", 8000.0, 20.0, 20000.0),
            resonance=self.value(r, "resonance", 0.0, 0.0, 1.0),
            env=self.value(r, "env", 0.0, -8.0, 8.0),
            keytrack=self.number(r, "keytrack", 0.0, 0.0, 1.0),
        )
        r.finish()
        return spec

    def read_env(self, node: Node | None, what: str, default: EnvSpec) -> EnvSpec:
        if node is None:
            return default
        r = MapReader(node, self.problems, what, ("attack", "decay", "sustain", "release", "curve"))
        if not r.ok:
            return default
        spec = EnvSpec(
            attack=self.value(r, "attack", default.attack, 0.0, 30.0),
            decay=self.value(r, "decay", default.decay, 0.0, 30.0),
            sustain=self.value(r, "sustain", default.sustain, 0.0, 1.0),
            release=self.value(r, "release", default.release, 0.0, 30.0),
            curve=self.number(r, "curve", default.curve, 0.1, 8.0),
        )
        r.finish()
        return spec

    def read_lfo(self, node: Node, what: str) -> LfoSpec | None:
        r = MapReader(node, self.problems, what, ("wave", "rate", "depth", "to"))
        if not r.ok:
            return None
        r.get("to", required=True)
        spec = LfoSpec(
            wave=self.choice(r, "wave", "sine", LFO_WAVES, "LFO wave"),
            rate=self.value(r, "rate", 5.0, 0.01, 50.0),
            depth=self.value(r, "depth", 0.0, -12.0, 12.0),
            to=self.choice(r, "to", "pitch", LFO_TARGETS, "LFO target"),
        )
        r.finish()
        return spec

    def read_effect(self, node: Node, what: str) -> EffectSpec | None:
        base = MapReader(node, self.problems, what, ("type",))
        if not base.ok:
            return None
        type_node = base.get("type", required=True)
        if type_node is None:
            return None
        kind = as_str(type_node, self.problems, f"{what}.type")
        if kind is None:
            return None
        if kind not in EFFECTS:
            self.problems.add(
                type_node.pos, f"{what}.type: unknown effect '{kind}'{suggest(kind, EFFECTS)}"
            )
            return None
        defaults = EFFECTS_SETTINGS[kind]
        r = MapReader(node, self.problems, f"{what} ({kind})", ("type", *defaults))
        # Times are seconds, everything else 0..1; feedback stays below 1 so echoes die out.
        limits = {
            "time": (0.001, 2.0),
            "rate": (0.01, 20.0),
            "feedback": (0.0, 0.95),
            "cutoff": (20.0, 20000.0),
            "f1": (80.0, 5000.0),
            "f2": (80.0, 5000.0),
            "f3": (80.0, 5000.0),
        }
        settings = tuple(
            (key, self.value(r, key, default, *limits.get(key, (0.0, 1.0))))
            for key, default in defaults.items()
        )
        r.finish()
        return EffectSpec(kind, settings)
