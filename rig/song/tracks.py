"""The `tracks:` of a song: device or voice, MIDI channel (parts, explicit, or a free one
for software voices), transpose and latency, checked against the devices in the `Context`.
"""

from __future__ import annotations

from dataclasses import replace

from rig.song.context import LoaderBase
from rig.song.model import TrackDef
from rig.source.errors import suggest
from rig.source.fields import MapReader, as_int, as_str
from rig.source.yamltree import Node

__all__ = ["TrackReader", "TRACK_KEYS"]

TRACK_KEYS = ("device", "voice", "channel", "part", "transpose", "about")


class TrackReader(LoaderBase):
    """Reads `tracks:` into `self.tracks`."""

    def _tracks(self, node: Node) -> None:
        if not node.is_map:
            self.problems.add(node.pos, "tracks: expected a mapping of track names")
            return
        if not node.value:
            self.problems.add(node.pos, "tracks: a song needs at least one track")
        for name, tnode in node.value.items():
            what = f"track '{name}'"
            r = MapReader(tnode, self.problems, what, TRACK_KEYS)
            if not r.ok:
                continue
            device = voice = None
            dev = None
            if (n := r.get("device")) is not None and (device := as_str(n, self.problems, what)):
                dev = self.ctx.devices.get(device)
                if dev is None:
                    self.problems.add(
                        n.pos,
                        f"{what}: unknown device '{device}'"
                        + suggest(device, self.ctx.devices, "devices"),
                    )
                    device = None
            if (n := r.get("voice")) is not None and (voice := as_str(n, self.problems, what)):
                known = self.ctx.voices
                if known is not None and voice not in known:
                    self.problems.add(
                        n.pos, f"{what}: unknown voice '{voice}'{suggest(voice, known, 'voices')}"
                    )
            if not r.has("device") and not r.has("voice"):
                self.problems.add(tnode.pos, f"{what}: needs a 'device' or a 'voice'")
            channel = 0
            if dev is None:
                self._auto_channel.append(name)
            else:
                channel = self.ctx.channels.get(dev.name, dev.channel)
            if (n := r.get("part")) is not None:
                hi = dev.parts if dev is not None else 16
                part = as_int(n, self.problems, f"{what}: part", 1, hi)
                if dev is not None and part is not None:
                    if channel + part - 1 > 15:
                        self.problems.add(
                            n.pos, f"{what}: part {part} on channel {channel + 1} passes channel 16"
                        )
                    else:
                        channel += part - 1
            if (n := r.get("channel")) is not None:
                explicit = as_int(n, self.problems, f"{what}: channel", 1, 16)
                if explicit is not None:
                    channel = explicit - 1
                if name in self._auto_channel:
                    self._auto_channel.remove(name)
            transpose = 0
            if (n := r.get("transpose")) is not None:
                transpose = as_int(n, self.problems, f"{what}: transpose", -48, 48) or 0
            r.finish()
            latency = 0.0
            if dev is not None:
                latency = self.ctx.latency_ms.get(dev.name, dev.latency_ms)
                voice = voice or dev.stand_in
            self.tracks[name] = TrackDef(
                name=name,
                device=device,
                voice=voice,
                channel=channel,
                drums=bool(dev is not None and dev.lanes),
                latency_ms=latency,
                transpose=transpose,
                pos=node.key_pos[name],
            )
        self._assign_voice_channels()

    def _assign_voice_channels(self) -> None:
        """Give each software-voice track without a `channel` a channel no other track uses.

        Exported MIDI files and GM synths then keep the voice apart from the hardware parts.
        """
        used = {t.channel for n, t in self.tracks.items() if n not in self._auto_channel}
        for track in self.tracks.values():
            dev = self.ctx.devices.get(track.device) if track.device else None
            if dev is not None:
                used.update(lane.channel for lane in dev.lanes.values() if lane.channel is not None)
        free = [c for c in range(16) if c not in used]
        for name in self._auto_channel:
            if name in self.tracks and free:
                self.tracks[name] = replace(self.tracks[name], channel=free.pop(0))
