"""One pattern entry of a song file → a checked `PatternDef`.

The kinds (steps, drum lanes, chords with or without rhythm, arpeggio, or a theme
through `use`) share rate, length, velocity, gate, swing, transpose and voicing;
every problem is reported with its position and reading goes on.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rig.song.events import PPQ
from rig.song.model import ALWAYS, ArpSpec, CCLane, LaneSteps, PatternDef, TrackDef
from rig.song.performance import read_cc, read_dynamics, read_echo, read_velocity, read_when
from rig.song.steps import ChordSlot, Step, check_bar_lines, parse_progression, parse_steps
from rig.source.errors import Pos, suggest
from rig.source.fields import MapReader, as_fraction, as_int, as_percent, as_str
from rig.source.yamltree import Node
from rig.theory.chords import VOICINGS, voice_chord
from rig.theory.errors import TheoryError

__all__ = ["PatternReader", "PATTERN_KEYS", "ARP_MODES", "MAX_GATE"]

PATTERN_KEYS = (
    "track", "steps", "lanes", "chords", "rhythm", "arp", "use", "rate", "length", "velocity",
    "gate", "swing", "transpose", "octave", "voicing", "about", "if", "every", "on", "accent",
    "humanize", "cc", "harmony", "offset", "echo",
)  # fmt: skip
LANE_KEYS = ("steps", "if", "every", "on")
ARP_KEYS = ("mode", "rate", "octaves", "gate", "chords")
ARP_MODES = ("up", "down", "updown", "downup", "random", "order")
MAX_GATE = 800  # % of a step: notes may ring into the following steps (piano, guitar)


class PatternReader:
    """Checks one pattern entry; the kinds share rate/length/velocity/gate/swing."""

    def __init__(self, song: Any, name: str, node: Node, key_pos: Pos):
        self.song = song
        self.problems = song.problems
        self.name = name
        self.node = node
        self.key_pos = key_pos
        self.what = f"pattern '{name}'"
        song._pattern_names.append(name)

    def read(self) -> PatternDef | None:
        what, problems = self.what, self.problems
        r = MapReader(self.node, problems, what, PATTERN_KEYS)
        if not r.ok:
            return None
        track = None
        if (n := r.get("track", required=True)) is not None and (
            tname := as_str(n, problems, what)
        ):
            track = self.song.tracks.get(tname)
            if track is None:
                problems.add(
                    n.pos,
                    f"{what}: unknown track '{tname}'{suggest(tname, self.song.tracks, 'tracks')}",
                )
        materials = [k for k in ("steps", "lanes", "chords", "use") if r.has(k)]
        if r.has("arp") and not (r.has("chords") or r.has("use")):
            arp_node = r.get("arp")
            if not (arp_node is not None and arp_node.is_map and "chords" in arp_node.value):
                problems.add(self.node.pos, f"{what}: 'arp' needs 'chords' (or 'use' a theme)")
                r.finish()
                return None
        material_keys = ("steps", "lanes", "chords", "use", "arp")
        misspelt = any(
            suggest(k, material_keys).startswith(" (did you")
            for k in r.items
            if k not in PATTERN_KEYS
        )
        if misspelt and not materials and not r.has("arp"):
            r.finish()  # the unknown-key error with its suggestion says it all
            return None
        if not materials and not r.has("arp"):
            problems.add(self.node.pos, f"{what}: needs one of steps, lanes, chords, arp or use")
            r.finish()
            return None
        if len(materials) > 1:
            problems.add(
                r.key_pos(materials[1]),
                f"{what}: give only one of steps, lanes, chords, use "
                f"(found {' and '.join(materials)})",
            )
            r.finish()
            return None

        rate = Fraction(1, 16)
        rate_node = r.get("rate")
        rate_given = rate_node is not None
        if rate_node is not None:
            n = rate_node
            rate = as_fraction(n, problems, f"{what}: rate") or rate
            self._on_grid(n, rate, f"{what}: rate")
        velocity, ramp = 100, None
        if (n := r.get("velocity")) is not None:
            velocity, ramp = read_velocity(n, problems, what)
        when = read_when(r, problems, what)
        offset = as_int(n, problems, f"{what}: offset", 0, 4096) if (n := r.get("offset")) else 0
        echo = read_echo(n, problems, what) if (n := r.get("echo")) is not None else None
        dynamics = read_dynamics(r, ramp, problems, what)
        cc: tuple[CCLane, ...] = ()
        if (n := r.get("cc")) is not None and track is not None:
            cc = read_cc(n, self.song._control_device(track), problems, what)
        swing = Fraction(1, 2)
        if (n := r.get("swing")) is not None:
            value = as_percent(n, problems, f"{what}: swing")
            if value is not None and not Fraction(1, 2) <= value <= Fraction(3, 4):
                problems.add(
                    n.pos, f"{what}: swing {n.value} is out of range 50%..75% (50% is straight)"
                )
            elif value is not None:
                swing = value
        transpose = 0
        if (n := r.get("transpose")) is not None:
            transpose = as_int(n, problems, f"{what}: transpose", -48, 48) or 0
        octave = 4
        if (n := r.get("octave")) is not None:
            given = as_int(n, problems, f"{what}: octave", -1, 8)
            octave = octave if given is None else given  # octave 0 is an octave, not "unset"
        voicing = "close"
        if (n := r.get("voicing")) is not None and (text := as_str(n, problems, what)):
            if text not in VOICINGS:
                problems.add(n.pos, f"{what}: unknown voicing '{text}'{suggest(text, VOICINGS)}")
            else:
                voicing = text
        length_node = r.get("length")

        kind = "steps"
        steps: list[Step] = []
        lanes: list[LaneSteps] = []
        slots: list[ChordSlot] = []
        prog_bars = 0
        rhythm: list[Step] | None = None
        arp: ArpSpec | None = None
        gate_default = Fraction(9, 10)

        use = r.get("use")
        theme = None
        if use is not None and (tname := as_str(use, problems, f"{what}: use")):
            theme = self.song.themes.get(tname)
            if theme is None:
                problems.add(
                    use.pos,
                    f"{what}: unknown theme '{tname}'{suggest(tname, self.song.themes, 'themes')}",
                )
        harmony = self._harmony(r.get("harmony"))
        if (n := r.get("steps")) is not None and as_str(n, problems, f"{what}: steps"):
            steps = parse_steps(n, problems, f"{what}: steps", degrees=harmony is not None)
        elif theme is not None and theme.kind == "steps":
            steps = list(theme.steps)
            if not rate_given and theme.rate is not None:
                rate = theme.rate
        if (n := r.get("lanes")) is not None:
            kind = "lanes"
            lanes = self._lanes(n, track)
        chords_node = r.get("chords")
        arp_node = r.get("arp")
        if arp_node is not None and arp_node.is_map and "chords" in arp_node.value:
            if chords_node is not None:
                problems.add(arp_node.key_pos["chords"], f"{what}: chords given twice")
            chords_node = arp_node.value["chords"]
        if chords_node is not None and (text := as_str(chords_node, problems, f"{what}: chords")):
            kind = "chords"
            slots = parse_progression(chords_node, problems, f"{what}: chords")
            prog_bars = text.count("|") + 1 - (1 if text.rstrip().endswith("|") else 0)
        elif theme is not None and theme.kind == "chords":
            kind = "chords"
            slots, prog_bars = list(theme.slots), theme.bars
        if (n := r.get("rhythm")) is not None:
            if use is not None and theme is None:
                pass  # the unknown theme is the error; don't guess what the rhythm was for
            elif kind != "chords" or arp_node is not None:
                problems.add(r.key_pos("rhythm"), f"{what}: 'rhythm' goes with 'chords' (not arp)")
            elif as_str(n, problems, f"{what}: rhythm"):
                rhythm = parse_steps(n, problems, f"{what}: rhythm", hits_only=True)
        if kind == "chords" and rhythm is None:
            gate_default = Fraction(1)
        if arp_node is not None:
            if kind != "chords":
                problems.add(r.key_pos("arp"), f"{what}: 'arp' plays chords, not steps")
            else:
                kind = "arp"
                arp = self._arp(arp_node)
        gate = gate_default
        if (n := r.get("gate")) is not None:
            value = as_percent(n, problems, f"{what}: gate", MAX_GATE)
            if value == 0:
                problems.add(n.pos, f"{what}: gate 0% would make every note silent")
            elif value is not None:
                gate = value
        for slot in slots:
            if slot.chord is None:
                continue
            try:
                voice_chord(slot.chord, octave, voicing)
            except TheoryError as exc:
                problems.add(slot.pos or self.node.pos, f"{what}: {exc.message}")
        if track is not None:
            if kind == "lanes" and not track.drums:
                problems.add(
                    r.key_pos("lanes"),
                    f"{what}: track '{track.name}' has no drum lanes (its device defines none)",
                )

        if harmony is not None and kind != "steps":
            problems.add(r.key_pos("harmony"), f"{what}: 'harmony' goes with 'steps'")
        elif harmony is not None:
            slots, prog_bars = harmony  # kept as the pattern's progression; kind stays steps

        # length: steps per loop (bars for a chord progression without rhythm)
        count = len(steps) if kind == "steps" else len(rhythm) if rhythm is not None else 0
        if kind == "lanes":
            count = max((len(lane.steps) for lane in lanes), default=0)
        length = count if kind != "chords" or rhythm is not None else prog_bars
        if kind == "arp":
            length = 0
        if length_node is not None:
            given = as_int(length_node, problems, f"{what}: length", 1, 4096)
            if given is not None:
                if kind == "lanes":
                    for lane in lanes:
                        if len(lane.steps) > given:
                            problems.add(
                                lane.steps[given].pos or length_node.pos,
                                f"{what}: lane {lane.lane} has {len(lane.steps)} steps; "
                                f"they don't fit length {given}",
                            )
                elif count > given:
                    first_extra = (steps or rhythm or [])[given].pos if count > given else None
                    problems.add(
                        first_extra or length_node.pos,
                        f"{what}: {count} steps don't fit length {given}",
                    )
                length = given
        meter = self.song.meter
        if kind == "steps":
            check_bar_lines(steps, rate, meter, problems, f"{what}: steps")
        for lane in lanes:
            check_bar_lines(lane.steps, rate, meter, problems, f"{what}: lane {lane.lane}")
        if rhythm is not None:
            check_bar_lines(rhythm, rate, meter, problems, f"{what}: rhythm")
        r.finish()
        if kind == "lanes" and length_node is None:
            length = 0
        if track is None:
            return None
        return PatternDef(
            name=self.name,
            track=track.name,
            kind=kind,
            rate=rate,
            length=length,
            velocity=velocity,
            gate=gate,
            swing=swing,
            transpose=transpose + track.transpose,
            octave=octave,
            voicing=voicing,
            steps=tuple(steps),
            lanes=tuple(lanes),
            progression=tuple(slots),
            progression_bars=prog_bars,
            rhythm=tuple(rhythm) if rhythm is not None else None,
            arp=arp,
            pos=self.key_pos,
            when=when,
            dynamics=dynamics,
            cc=cc,
            offset=offset or 0,
            echo=echo,
        )

    def _on_grid(self, node: Node, rate: Fraction, what: str) -> None:
        """A step rate must be a whole number of ticks (an arp's too: 1/1000000 is not)."""
        if (rate * 4 * PPQ).denominator != 1:
            self.problems.add(
                node.pos,
                f"{what}: {node.value} does not fit the tick grid ({PPQ} per beat); "
                "use a value like 1/16, 1/12 or 1/5",
            )

    def _harmony(self, node: Node | None) -> tuple[list[ChordSlot], int] | None:
        """`harmony: "Fm9 | Db"` or the name of a `chords` theme: what degree steps follow."""
        if node is None or not (text := as_str(node, self.problems, f"{self.what}: harmony")):
            return None
        theme = self.song.themes.get(text.strip())
        if theme is not None:
            if theme.kind != "chords":
                self.problems.add(node.pos, f"{self.what}: harmony: theme '{text}' has no chords")
                return None
            return list(theme.slots), theme.bars
        slots = parse_progression(node, self.problems, f"{self.what}: harmony")
        return slots, text.count("|") + 1 - (1 if text.rstrip().endswith("|") else 0)

    def _lanes(self, node: Node, track: TrackDef | None) -> list[LaneSteps]:
        out: list[LaneSteps] = []
        if not node.is_map:
            self.problems.add(node.pos, f'{self.what}: lanes: expected lane names like BD: "x..."')
            return out
        if not node.value:
            self.problems.add(node.pos, f"{self.what}: lanes: empty; give at least one lane")
            return out
        dev = self.song.ctx.devices.get(track.device) if track and track.device else None
        known = dev.lanes if dev is not None else {}
        for lane_name, lnode in node.value.items():
            kpos = node.key_pos[lane_name]
            label = f"{self.what}: lane {lane_name}"
            if dev is not None and known and lane_name not in known:
                self.problems.add(
                    kpos,
                    f"{self.what}: unknown lane '{lane_name}' for device {dev.name}"
                    f"{suggest(lane_name, known)}",
                )
                continue
            when = ALWAYS
            if lnode.is_map:  # {steps: "x...", if: 1:4, every: 8, on: [1]}
                lr = MapReader(lnode, self.problems, label, LANE_KEYS)
                when = read_when(lr, self.problems, label)
                snode = lr.get("steps", required=True)
                lr.finish()
                if snode is None:
                    continue
                lnode = snode
            if not as_str(lnode, self.problems, label):
                continue
            steps = parse_steps(lnode, self.problems, label, hits_only=True)
            if lane_name in known:
                lane = known[lane_name]
                out.append(LaneSteps(lane_name, lane.note, lane.channel, tuple(steps), when))
        return out

    def _arp(self, node: Node) -> ArpSpec | None:
        label = f"{self.what}: arp"
        r = MapReader(node, self.problems, label, ARP_KEYS)
        if not r.ok:
            return None
        mode = "up"
        if (n := r.get("mode")) is not None and (text := as_str(n, self.problems, label)):
            if text not in ARP_MODES:
                self.problems.add(
                    n.pos, f"{label}: unknown mode '{text}'{suggest(text, ARP_MODES)}"
                )
            else:
                mode = text
        rate = Fraction(1, 16)
        if (n := r.get("rate")) is not None:
            rate = as_fraction(n, self.problems, f"{label}: rate") or rate
            self._on_grid(n, rate, f"{label}: rate")
        octaves = 1
        if (n := r.get("octaves")) is not None:
            octaves = as_int(n, self.problems, f"{label}: octaves", 1, 4) or octaves
        gate = Fraction(1, 2)
        if (n := r.get("gate")) is not None:
            value = as_percent(n, self.problems, f"{label}: gate", MAX_GATE)
            if value == 0:
                self.problems.add(n.pos, f"{label}: gate 0% would make every note silent")
            elif value is not None:
                gate = value
        r.finish()
        return ArpSpec(mode, rate, octaves, gate)
