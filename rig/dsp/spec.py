"""Software voices as plain, frozen data: what a `patches/voices/*.yaml` file says.

The loader (`rig.dsp.loader`) validates YAML into these models; the pyo builders
(`rig.dsp.synth`, `rig.dsp.drums`) turn them into audio objects. Nothing here
imports pyo, so songs and device files can be checked against the voice list on a
machine without an audio stack.

A number in a voice may instead name a parameter (``cutoff: cutoff``): the value
then follows that parameter, which CC automation and program changes move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = [
    "Value",
    "ParamSpec",
    "OscSpec",
    "FilterSpec",
    "EnvSpec",
    "LfoSpec",
    "EffectSpec",
    "ProgramSpec",
    "ToneSpec",
    "NoiseSpec",
    "MetalSpec",
    "LaneSpec",
    "VoiceSpec",
    "WAVES",
    "FILTERS",
    "LFO_WAVES",
    "LFO_TARGETS",
    "EFFECTS",
    "EFFECTS_SETTINGS",
    "MODES",
    "NOISE_FILTERS",
]

# A literal number, or the name of one of the voice's parameters.
Value = float | str

WAVES = ("saw", "square", "triangle", "sine", "pulse", "supersaw", "harmonics", "string", "noise")
FILTERS = ("lowpass24", "lowpass", "highpass", "bandpass", "none")
# "drift": a smooth random wander (new random target `rate` times a second, glided to):
# a tape machine's wow, a slow analogue drift.
LFO_WAVES = ("sine", "triangle", "square", "saw", "drift")
LFO_TARGETS = ("pitch", "cutoff", "amp", "width")
EFFECTS = ("drive", "filter", "chorus", "delay", "reverb", "formant")
MODES = ("poly", "mono", "drums")
NOISE_FILTERS = ("lowpass", "highpass", "bandpass")


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A named, automatable parameter; a CC value 0..127 maps onto lo..hi."""

    name: str
    value: float
    lo: float
    hi: float
    curve: str = "lin"  # "lin" or "exp" (exp for frequencies and times: even steps per octave)
    cc: int | None = None  # answers this CC number when an event carries no name
    aliases: tuple[str, ...] = ()

    def from_cc(self, cc_value: int) -> float:
        x = min(127, max(0, cc_value)) / 127.0
        if self.curve == "exp":
            return self.lo * math.pow(self.hi / self.lo, x)
        return self.lo + (self.hi - self.lo) * x

    def clamp(self, value: float) -> float:
        return min(self.hi, max(self.lo, value))


@dataclass(frozen=True, slots=True)
class OscSpec:
    wave: str
    level: Value = 1.0
    octave: int = 0
    semitones: float = 0.0
    cents: float = 0.0
    detune: Value = 0.5  # supersaw spread 0..1
    mix: Value = 0.7  # supersaw: side saws against the centre one, 0..1
    width: Value = 0.5  # pulse width 0..1 (0.5 = square)
    harmonics: tuple[float, ...] = ()  # partial amplitudes for wave 'harmonics'
    decay: Value = 2.0  # string: seconds for the string to ring down


@dataclass(frozen=True, slots=True)
class FilterSpec:
    kind: str = "lowpass24"
    cutoff: Value = 8000.0  # Hz
    resonance: Value = 0.0  # 0..1
    env: Value = 0.0  # filter envelope depth, in octaves above the cutoff
    keytrack: float = 0.0  # 0..1: 1 moves the cutoff one octave per octave played


@dataclass(frozen=True, slots=True)
class EnvSpec:
    attack: Value = 0.005
    decay: Value = 0.1
    sustain: Value = 1.0
    release: Value = 0.1
    curve: float = 1.0  # 1 = straight segments; above 1 they bend (a fast-then-slow decay)


@dataclass(frozen=True, slots=True)
class LfoSpec:
    wave: str = "sine"
    rate: Value = 5.0  # Hz
    depth: Value = 0.0  # pitch: semitones; cutoff: octaves; amp, width: 0..1
    to: str = "pitch"


@dataclass(frozen=True, slots=True)
class EffectSpec:
    kind: str
    settings: tuple[tuple[str, Value], ...] = ()

    def get(self, key: str, default: Value) -> Value:
        for name, value in self.settings:
            if name == key:
                return value
        return default


# The settings each effect takes, with defaults (also the loader's list of known keys).
EFFECTS_SETTINGS: dict[str, dict[str, float]] = {
    "drive": {"amount": 0.5, "mix": 1.0},
    "filter": {"cutoff": 8000.0, "resonance": 0.0},
    "chorus": {"rate": 0.5, "depth": 0.5, "mix": 0.5},
    "delay": {"time": 0.375, "feedback": 0.35, "mix": 0.25},
    "reverb": {"size": 0.7, "damp": 0.5, "mix": 0.3},
    # Three resonances of a vocal tract, Hz (an open "ah" by default), over the dry sound.
    "formant": {"f1": 700.0, "f2": 1150.0, "f3": 2700.0, "mix": 0.8},
}


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    number: int  # 0..127, as on the wire
    name: str
    values: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class ToneSpec:
    """A drum's pitched part: a sine that sweeps down from freq+sweep to freq."""

    freq: float = 60.0
    sweep: float = 0.0  # Hz above freq at the hit
    sweep_time: float = 0.05
    decay: float = 0.3
    level: float = 1.0


@dataclass(frozen=True, slots=True)
class NoiseSpec:
    filter: str = "bandpass"
    freq: float = 2000.0
    q: float = 1.0
    decay: float = 0.15
    level: float = 1.0
    bursts: int = 1  # a clap: several quick hits before the tail
    spacing: float = 0.01


@dataclass(frozen=True, slots=True)
class MetalSpec:
    """The 808-style bank of six square waves, shared by every metallic lane."""

    tune: float = 1.0  # scales the bank's frequencies
    freq: float = 7000.0  # highpass/bandpass centre
    decay: float = 0.08
    level: float = 1.0
    cowbell: bool = False  # only two of the squares, band-passed: a cowbell


@dataclass(frozen=True, slots=True)
class LaneSpec:
    name: str
    note: int
    tone: ToneSpec | None = None
    noise: NoiseSpec | None = None
    metal: MetalSpec | None = None
    level: float = 1.0
    pan: float = 0.0  # -1 left .. 1 right
    choke: tuple[str, ...] = ()  # lanes this one silences (closed hat chokes open hat)

    @property
    def length(self) -> float:
        """Seconds until the lane is silent after a hit."""
        parts = [0.0]
        if self.tone:
            parts.append(self.tone.decay)
        if self.noise:
            parts.append(self.noise.decay + self.noise.bursts * self.noise.spacing)
        if self.metal:
            parts.append(self.metal.decay)
        return max(parts)


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    name: str
    source: str  # the file it came from, for messages
    mode: str = "poly"
    voices: int = 8
    description: str = ""
    level: float = -6.0  # dB
    velocity: float = 0.7  # how much velocity scales the level, 0..1
    glide: Value = 0.0  # seconds (mono voices)
    legato: bool = True  # mono: overlapping notes glide without restarting the envelopes
    pan: float = 0.0
    spread: float = 0.5  # poly: voices spread across the stereo field, 0..1
    params: tuple[ParamSpec, ...] = ()
    oscillators: tuple[OscSpec, ...] = ()
    filter: FilterSpec = field(default_factory=FilterSpec)
    amp_env: EnvSpec = field(default_factory=EnvSpec)
    filter_env: EnvSpec = field(default_factory=EnvSpec)
    lfos: tuple[LfoSpec, ...] = ()
    effects: tuple[EffectSpec, ...] = ()
    programs: tuple[ProgramSpec, ...] = ()
    lanes: tuple[LaneSpec, ...] = ()

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name or name in p.aliases:
                return p
        return None

    def param_for_cc(self, name: str, number: int) -> ParamSpec | None:
        """The parameter a ControlChange drives: by the device's CC name, else by number."""
        if name:
            found = self.param(name)
            if found is not None:
                return found
        for p in self.params:
            if p.cc is not None and p.cc == number:
                return p
        return None

    def program(self, number: int) -> ProgramSpec | None:
        for prog in self.programs:
            if prog.number == number:
                return prog
        return None

    def resolve(self, value: Value, values: dict[str, float] | None = None) -> float:
        """A Value as a number: a literal, or a parameter's (current or default) value."""
        if isinstance(value, str):
            if values is not None and value in values:
                return values[value]
            spec = self.param(value)
            return spec.value if spec else 0.0
        return float(value)

    def upper(self, value: Value) -> float:
        """The largest value a Value can take (a parameter's hi), for tail estimates."""
        if isinstance(value, str):
            spec = self.param(value)
            return spec.hi if spec else 0.0
        return float(value)

    def tail_seconds(self) -> float:
        """How long the voice can ring after its last note-off, at most (before trimming)."""
        if self.mode == "drums":
            tail = max((lane.length for lane in self.lanes), default=0.0)
        else:
            tail = self.upper(self.amp_env.release)
            if any(o.wave == "string" for o in self.oscillators):
                tail = max(tail, 0.05)
        for fx in self.effects:
            if fx.kind == "reverb":
                tail += 1.0 + 8.0 * self.upper(fx.get("size", 0.7))
            elif fx.kind == "delay":
                feedback = min(0.95, self.upper(fx.get("feedback", 0.35)))
                time = self.upper(fx.get("time", 0.375))
                # Echoes fall by `feedback` each repeat: repeats to reach -80 dB.
                repeats = math.log(1e-4) / math.log(feedback) if feedback > 0 else 1.0
                tail += time * repeats
            elif fx.kind == "chorus":
                tail += 0.05
        return tail + 0.1
