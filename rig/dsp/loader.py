"""Load `patches/voices/*.yaml` into `VoiceSpec`s, reporting every mistake as file:line:col.

A voice's name is its file name without `.yaml` (``patches/voices/virus-pad.yaml``
is the voice ``virus-pad``), so a device or track names a voice the way it names
a file. Any number may instead name one of the voice's `params`; such names are
checked after the whole file is read, so params may come last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rig.dsp.spec import (
    EFFECTS,
    EFFECTS_SETTINGS,
    FILTERS,
    LFO_TARGETS,
    LFO_WAVES,
    MODES,
    NOISE_FILTERS,
    WAVES,
    EffectSpec,
    EnvSpec,
    FilterSpec,
    LaneSpec,
    LfoSpec,
    MetalSpec,
    NoiseSpec,
    OscSpec,
    ParamSpec,
    ProgramSpec,
    ToneSpec,
    Value,
    VoiceSpec,
)
from rig.source import InputError, Node, Problems, SourceError, load_yaml_file, suggest
from rig.source.fields import MapReader, as_bool, as_int, as_list, as_map, as_number, as_str

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


class _Reader:
    def __init__(self, name: str, root: Node, problems: Problems):
        self.name = name
        self.root = root
        self.problems = problems
        self.params: dict[str, ParamSpec] = {}
        # Param references seen while reading, checked once all params are known.
        self.refs: list[tuple[str, Node, str]] = []

    # -- small helpers -------------------------------------------------------------

    @staticmethod
    def what(r: MapReader, key: str) -> str:
        # Top-level keys are reported by their own name ("mode: ..."), not "voice.mode".
        return key if r.what == "voice" else f"{r.what}.{key}"

    def number(self, r: MapReader, key: str, default: float, lo: float, hi: float) -> float:
        node = r.get(key)
        if node is None:
            return default
        value = as_number(node, self.problems, self.what(r, key), lo, hi)
        return default if value is None else value

    def integer(self, r: MapReader, key: str, default: int, lo: int, hi: int) -> int:
        node = r.get(key)
        if node is None:
            return default
        value = as_int(node, self.problems, self.what(r, key), lo, hi)
        return default if value is None else value

    def value(self, r: MapReader, key: str, default: Value, lo: float, hi: float) -> Value:
        """A number in lo..hi, or the name of a parameter."""
        node = r.get(key)
        if node is None:
            return default
        what = self.what(r, key)
        if isinstance(node.value, str):
            self.refs.append((node.value, node, what))
            return node.value
        value = as_number(node, self.problems, what, lo, hi)
        return default if value is None else value

    def choice(
        self, r: MapReader, key: str, default: str, options: tuple[str, ...], kind: str
    ) -> str:
        node = r.get(key)
        if node is None:
            return default
        what = self.what(r, key)
        text = as_str(node, self.problems, what)
        if text is None:
            return default
        if text not in options:
            self.problems.add(node.pos, f"{what}: unknown {kind} '{text}'{suggest(text, options)}")
            return default
        return text

    def each(self, node: Node | None, what: str, read: Callable[[Node, str], object]) -> list:
        if node is None:
            return []
        items = as_list(node, self.problems, what)
        if items is None:
            return []
        out = [read(item, f"{what}[{i + 1}]") for i, item in enumerate(items)]
        return [x for x in out if x is not None]

    # -- the file ------------------------------------------------------------------

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
                    self.each(r.get("oscillators", required=True), "oscillators", self.read_osc)
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

    def read_params(self, node: Node | None) -> list[ParamSpec]:
        if node is None or not self._is_map(node, "params"):
            return []
        out = []
        for name, pnode in node.value.items():
            what = f"params.{name}"
            r = MapReader(
                pnode, self.problems, what, ("value", "min", "max", "curve", "cc", "aliases")
            )
            if not r.ok:
                continue
            lo = self.number(r, "min", 0.0, -1e6, 1e6)
            hi = self.number(r, "max", 1.0, -1e6, 1e6)
            curve = self.choice(r, "curve", "lin", ("lin", "exp"), "curve")
            value_node = r.get("value", required=True)
            value = lo
            if value_node is not None:
                v = as_number(value_node, self.problems, f"{what}.value")
                if v is not None:
                    if not lo <= v <= hi:
                        self.problems.add(
                            value_node.pos, f"{what}.value: {v:g} is outside {lo:g}..{hi:g}"
                        )
                    value = v
            if lo >= hi:
                self.problems.add(pnode.pos, f"{what}: min {lo:g} must be below max {hi:g}")
            if curve == "exp" and lo <= 0:
                self.problems.add(pnode.pos, f"{what}: an exp curve needs min above 0, got {lo:g}")
            cc_node = r.get("cc")
            cc = as_int(cc_node, self.problems, f"{what}.cc", 0, 127) if cc_node else None
            aliases: list[str] = []
            alias_node = r.get("aliases")
            if alias_node is not None:
                for item in as_list(alias_node, self.problems, f"{what}.aliases") or []:
                    text = as_str(item, self.problems, f"{what}.aliases")
                    if text:
                        aliases.append(text)
            r.finish()
            spec = ParamSpec(name, value, lo, hi, curve, cc, tuple(aliases))
            self.params[name] = spec
            out.append(spec)
        return out

    def _is_map(self, node: Node, what: str) -> bool:
        return as_map(node, self.problems, what) is not None

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

    def read_programs(self, node: Node | None) -> list[ProgramSpec]:
        if node is None or not self._is_map(node, "programs"):
            return []
        out = []
        for key, pnode in node.value.items():
            kpos = node.key_pos[key]
            if not key.isdigit() or not 0 <= int(key) <= 127:
                self.problems.add(kpos, f"programs: '{key}' is not a program number 0..127")
                continue
            what = f"programs.{key}"
            r = MapReader(pnode, self.problems, what, ("name", *self.params))
            if not r.ok:
                continue
            name_node = r.get("name")
            name = (as_str(name_node, self.problems, f"{what}.name") or "") if name_node else ""
            values = []
            for pname, vnode in r.items.items():
                if pname == "name" or pname not in self.params:
                    continue
                p = self.params[pname]
                v = as_number(vnode, self.problems, f"{what}.{pname}", p.lo, p.hi)
                if v is not None:
                    values.append((pname, v))
            r.finish()
            out.append(ProgramSpec(int(key), name or f"program {key}", tuple(values)))
        return out

    def read_lanes(self, node: Node | None) -> list[LaneSpec]:
        if node is None or not self._is_map(node, "lanes"):
            return []
        out: list[LaneSpec] = []
        notes: dict[int, str] = {}
        chokes: list[tuple[str, Node]] = []
        for name, lnode in node.value.items():
            what = f"lanes.{name}"
            r = MapReader(
                lnode,
                self.problems,
                what,
                ("note", "tone", "noise", "metal", "level", "pan", "choke"),
            )
            if not r.ok:
                continue
            note_node = r.get("note", required=True)
            note = self.integer(r, "note", 0, 0, 127)
            if note_node is not None and isinstance(note_node.value, int) and note in notes:
                self.problems.add(
                    note_node.pos, f"{what}.note: note {note} is already lane '{notes[note]}'"
                )
            notes.setdefault(note, name)
            tone = self.read_part(
                r.get("tone"),
                f"{what}.tone",
                ToneSpec,
                {
                    "freq": (20.0, 8000.0),
                    "sweep": (0.0, 8000.0),
                    "sweep_time": (0.001, 2.0),
                    "decay": (0.005, 10.0),
                    "level": (0.0, 4.0),
                },
            )
            noise = self.read_part(
                r.get("noise"),
                f"{what}.noise",
                NoiseSpec,
                {
                    "filter": NOISE_FILTERS,
                    "freq": (20.0, 20000.0),
                    "q": (0.1, 50.0),
                    "decay": (0.005, 10.0),
                    "level": (0.0, 4.0),
                    "bursts": (1, 8),
                    "spacing": (0.001, 0.1),
                },
            )
            metal = self.read_part(
                r.get("metal"),
                f"{what}.metal",
                MetalSpec,
                {
                    "tune": (0.25, 4.0),
                    "freq": (200.0, 20000.0),
                    "decay": (0.005, 10.0),
                    "level": (0.0, 4.0),
                    "cowbell": bool,
                },
            )
            if tone is None and noise is None and metal is None and r.ok:
                self.problems.add(lnode.pos, f"{what}: a lane needs a tone, noise or metal part")
            choke_node = r.get("choke")
            choke: list[str] = []
            if choke_node is not None:
                items = choke_node.value if choke_node.is_list else [choke_node]
                for item in items:
                    text = as_str(item, self.problems, f"{what}.choke")
                    if text:
                        choke.append(text)
                        chokes.append((text, item))
            out.append(
                LaneSpec(
                    name=name,
                    note=note,
                    tone=tone,
                    noise=noise,
                    metal=metal,
                    level=self.number(r, "level", 1.0, 0.0, 4.0),
                    pan=self.number(r, "pan", 0.0, -1.0, 1.0),
                    choke=tuple(choke),
                )
            )
            r.finish()
        names = [lane.name for lane in out]
        for text, item in chokes:
            if text not in names:
                self.problems.add(item.pos, f"choke: unknown lane '{text}'{suggest(text, names)}")
        return out

    def read_part(self, node: Node | None, what: str, cls: type, fields: dict) -> object | None:
        if node is None:
            return None
        r = MapReader(node, self.problems, what, tuple(fields))
        if not r.ok:
            return None
        kwargs: dict[str, object] = {}
        for key, rule in fields.items():
            if not r.has(key):
                continue
            if rule is bool:
                value = as_bool(r.get(key), self.problems, f"{what}.{key}")
                if value is not None:
                    kwargs[key] = value
            elif isinstance(rule[0], str):
                kwargs[key] = self.choice(r, key, rule[0], rule, "filter")
            elif isinstance(rule[0], int) and not isinstance(rule[0], float):
                kwargs[key] = self.integer(r, key, rule[0], *rule)
            else:
                kwargs[key] = self.number(r, key, 0.0, *rule)
        r.finish()
        return cls(**kwargs)

    def check_refs(self) -> None:
        for name, node, what in self.refs:
            if name not in self.params:
                self.problems.add(
                    node.pos,
                    f"{what}: unknown parameter '{name}'{suggest(name, self.params, 'params')}",
                )


def _fields(spec: VoiceSpec) -> dict:
    return {name: getattr(spec, name) for name in VoiceSpec.__dataclass_fields__}
