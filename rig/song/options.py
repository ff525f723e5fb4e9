"""A section's options beyond its patterns: `automate:` (CC values and ramps by the
device's CC names) and `program:` changes, each checked against the track's device.
"""

from __future__ import annotations

from rig.song.context import LoaderBase
from rig.song.model import Automation, ProgramSpec, TrackDef
from rig.source.errors import Pos, suggest
from rig.source.fields import MapReader, as_bool, as_int
from rig.source.yamltree import Node

__all__ = ["SectionOptions"]


class SectionOptions(LoaderBase):
    """Reads a section's `automate:` and `program:` entries."""

    def _automate(self, node: Node | None, what: str) -> list[Automation]:
        out: list[Automation] = []
        if node is None:
            return out
        if not node.is_map:
            self.problems.add(node.pos, f"{what}: automate: expected track.control: value")
            return out
        for target, vnode in node.value.items():
            kpos = node.key_pos[target]
            track_name, dot, control = target.partition(".")
            if not dot or not control:
                self.problems.add(kpos, f"{what}: automate: '{target}' should be track.control")
                continue
            track = self.tracks.get(track_name)
            if track is None:
                self.problems.add(
                    kpos,
                    f"{what}: automate: unknown track '{track_name}'"
                    + suggest(track_name, self.tracks),
                )
                continue
            dev = self._control_device(track)
            if dev is None:
                self.problems.add(kpos, f"{what}: automate: track '{track_name}' has no CC names")
                continue
            if control not in dev.ccs:
                col = Pos(kpos.file, kpos.line, kpos.col + len(track_name) + 1)
                self.problems.add(
                    col,
                    f"unknown CC '{control}' for device {dev.name}{suggest(control, dev.ccs)}",
                )
                continue
            cc = dev.ccs[control]
            label = f"{what}: {target}"
            hold = False
            if vnode.is_map:
                keys = ("from", "to", "over", "value", "hold")
                r = MapReader(vnode, self.problems, label, keys)
                if (n := r.get("hold")) is not None:
                    hold = bool(as_bool(n, self.problems, f"{label} hold"))
                if (vn := r.get("value")) is not None:
                    if r.has("from") or r.has("to") or r.has("over"):
                        self.problems.add(vn.pos, f"{label}: give 'value' or 'from'/'to', not both")
                    value = as_int(vn, self.problems, label, cc.min, cc.max)
                    r.finish()
                    if value is not None:
                        out.append(
                            Automation(track_name, control, cc.number, value, None, None,
                                       hold, cc.default, kpos)
                        )  # fmt: skip
                    continue
                fnode, tnode = r.get("from", required=True), r.get("to", required=True)
                start = (
                    as_int(fnode, self.problems, f"{label} from", cc.min, cc.max) if fnode else None
                )
                end = as_int(tnode, self.problems, f"{label} to", cc.min, cc.max) if tnode else None
                over = self._bars(n, f"{label} over") if (n := r.get("over")) else None
                r.finish()
                if start is not None and end is not None:
                    out.append(
                        Automation(track_name, control, cc.number, start, end, over,
                                   hold, cc.default, kpos)
                    )  # fmt: skip
            else:
                value = as_int(vnode, self.problems, label, cc.min, cc.max)
                if value is not None:
                    out.append(
                        Automation(track_name, control, cc.number, value, None, None,
                                   False, cc.default, kpos)
                    )  # fmt: skip
        return out

    def _control_device(self, track: TrackDef):  # noqa: ANN202 - a Device or None
        if track.device is not None:
            return self.ctx.devices.get(track.device)
        # Software voices follow General MIDI CC numbers, so they borrow the GM CC names.
        return self.ctx.devices.get("gm")

    def _programs(self, node: Node | None, what: str) -> list[ProgramSpec]:
        out: list[ProgramSpec] = []
        if node is None:
            return out
        if not node.is_map:
            self.problems.add(node.pos, f"{what}: program: expected track: number")
            return out
        for track_name, vnode in node.value.items():
            kpos = node.key_pos[track_name]
            label = f"{what}: program for '{track_name}'"
            track = self.tracks.get(track_name)
            if track is None:
                self.problems.add(
                    kpos,
                    f"{what}: program: unknown track '{track_name}'"
                    + suggest(track_name, self.tracks),
                )
                continue
            dev = self.ctx.devices.get(track.device) if track.device else None
            count = dev.programs.count if dev is not None else 128
            if dev is not None and count == 0:
                self.problems.add(vnode.pos, f"{label}: device {dev.name} has no programs")
                continue
            msb = lsb = None
            if vnode.is_map:
                r = MapReader(vnode, self.problems, label, ("program", "bank", "bank_lsb"))
                pnode = r.get("program", required=True)
                program = as_int(pnode, self.problems, label, 0, count - 1) if pnode else None
                if (n := r.get("bank")) is not None:
                    msb = as_int(n, self.problems, f"{label}: bank", 0, 127)
                if (n := r.get("bank_lsb")) is not None:
                    lsb = as_int(n, self.problems, f"{label}: bank_lsb", 0, 127)
                r.finish()
            else:
                program = as_int(vnode, self.problems, label, 0, count - 1)
            if program is not None:
                out.append(ProgramSpec(track_name, program, msb, lsb))
        return out
