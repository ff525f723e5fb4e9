"""A drums voice's lanes: one note each, built from a tone, a noise and a metal part,
with choke groups between lanes."""

from __future__ import annotations

from rig.dsp.loader.fields import FieldReader
from rig.dsp.spec import NOISE_FILTERS, LaneSpec, MetalSpec, NoiseSpec, ToneSpec
from rig.source import Node, suggest
from rig.source.fields import MapReader, as_bool, as_str

__all__ = ["LaneReader"]


class LaneReader(FieldReader):
    """Reads the lanes of a drums voice."""

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
