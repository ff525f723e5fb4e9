"""A synthesised drum kit in pyo: one lane per drum, each triggered by its own MIDI note.

Lanes are built from three parts, as on analogue drum machines: a *tone* (a sine
swept down in pitch: kicks, toms, the body of a snare), *noise* through a filter
(snare wires, claps with their bursts, rimshot clicks) and *metal*, the 808's bank
of six detuned square waves shared by hats, cymbal and cowbell. Each lane is
monophonic: a new hit restarts it, and a lane may choke others (closed hat → open hat).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from rig.dsp.curves import Envelope
from rig.dsp.instrument import Instrument
from rig.dsp.spec import LaneSpec, VoiceSpec
from rig.dsp.sums import summed
from rig.dsp.switch import Switch
from rig.dsp.waves import Wave, WaveBank

__all__ = ["DrumInstrument", "METAL_FREQS"]

# The TR-808's six square-wave oscillators (Hz); its cowbell uses the last two.
METAL_FREQS = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
_MARGIN = 0.05
SUSTAIN_FLOOR = 1e-4


def _decay_env(pyo: ModuleType, decay: float, add: float = 0.0) -> Envelope:
    # A curve of 2.5 bends the decay into the fast-then-slow fall of an analogue VCA. A
    # curved envelope with sustain exactly 0 emits one NaN at the end of the decay
    # (measured with pyo's Adsr.setExp; a square root of the same rounding below 0 does
    # too), which poisons every filter and reverb after it: sustain at -80 dB instead.
    return Envelope(pyo, 2.5, 0.001, decay, SUSTAIN_FLOOR, 0.01, add=add)


class _Lane:
    def __init__(self, pyo: ModuleType, spec: LaneSpec, kit: _KitSources):
        self.spec = spec
        self.objects: list[Any] = []
        self.amp_envs: list[Any] = []  # triggered by a hit, cut by a choke
        self.mod_envs: list[Any] = []  # pitch sweeps: triggered, not cut
        self._set_gains: list[Callable[[float], None]] = []  # velocity, C setters
        parts: list[Any] = []
        track = self.objects.append
        if spec.tone:
            tone = spec.tone
            amp = self._env(_decay_env(pyo, tone.decay))
            freq: Any = tone.freq
            if tone.sweep > 0:
                # The pitch envelope itself is the frequency: freq + sweep at the hit.
                sweep = _decay_env(pyo, tone.sweep_time, add=tone.freq)
                sweep.set_gain(tone.sweep)
                self.mod_envs.append(sweep.adsr)
                self.objects.extend(sweep.parts)
                freq = sweep.out
            osc = pyo.Sine(freq=freq, mul=amp)
            track(osc)
            parts.append(osc * tone.level)
        if spec.noise:
            noise = spec.noise
            env = self._burst_env(pyo, noise.decay, noise.bursts, noise.spacing)
            if noise.filter == "bandpass":
                filt = pyo.ButBP(kit.noise, freq=noise.freq, q=noise.q, mul=env)
            elif noise.filter == "highpass":
                filt = pyo.ButHP(kit.noise, freq=noise.freq, mul=env)
            else:
                filt = pyo.ButLP(kit.noise, freq=noise.freq, mul=env)
            track(filt)
            parts.append(filt * noise.level)
        if spec.metal:
            metal = spec.metal
            env = self._env(_decay_env(pyo, metal.decay))
            source = kit.cowbell if metal.cowbell else kit.metal
            if metal.cowbell:
                filt = pyo.ButBP(source, freq=metal.freq, q=3.0, mul=env)
            else:
                filt = pyo.ButHP(source, freq=metal.freq, mul=env)
            track(filt)
            parts.append(filt * metal.level)
        for part in parts:
            track(part)
        out = parts[0] if len(parts) == 1 else summed(pyo, parts, 1, track)
        gain = spec.level
        self.left = pyo.Sig(out, mul=gain * min(1.0, 1.0 - spec.pan))
        self.right = pyo.Sig(out, mul=gain * min(1.0, 1.0 + spec.pan))
        track(self.left)
        track(self.right)
        self.uses_metal = spec.metal is not None
        self.active = True
        self.deadline = 0.0
        self._switch: tuple[Switch, Switch, Switch] | None = None

    def _env(self, env: Envelope) -> Any:
        """A velocity-scaled envelope's signal; its curve's parts run with the lane."""
        self.amp_envs.append(env.adsr)
        self._set_gains.append(env.set_gain)
        self.objects.extend(env.parts)
        return env.out

    def _burst_env(self, pyo: ModuleType, decay: float, bursts: int, spacing: float) -> Any:
        if bursts <= 1:
            return self._env(_decay_env(pyo, decay))
        # A clap: several hands a few ms apart, each a quick spike, then the room tail.
        points = [(0.0, 0.0)]
        t = 0.0
        for _ in range(bursts - 1):
            points += [(t + 0.0005, 1.0), (t + spacing * 0.9, 0.15)]
            t += spacing
        points += [(t + 0.0005, 1.0), (t + decay, 0.0)]
        clap = pyo.Linseg(points)
        self.amp_envs.append(clap)
        self._set_gains.extend(stream.setMul for stream in clap._base_objs)
        return clap

    def _switches(self) -> tuple[Switch, Switch, Switch]:
        # C-level play/stop (rig.dsp.switch), made once every object exists.
        if self._switch is None:
            self._switch = (
                Switch(self.objects),
                Switch([*self.amp_envs, *self.mod_envs]),
                Switch(self.amp_envs),
            )
        return self._switch

    def hit(self, gain: float, at: float) -> None:
        objects, envs, _ = self._switches()
        if not self.active:
            objects.on()
            self.active = True
        for set_gain in self._set_gains:  # C setters: no pyo argument checks live
            set_gain(gain)
        envs.on()
        self.deadline = at + self.spec.length + _MARGIN

    def choke(self, at: float) -> None:
        self._switches()[2].off()
        self.deadline = min(self.deadline, at + 0.02 + _MARGIN)

    def sleep(self) -> None:
        if self.active:
            self._switches()[0].off()
            self.active = False


class _KitSources:
    """Sources every lane shares: one white noise, the metal bank, the cowbell pair."""

    def __init__(self, pyo: ModuleType, spec: VoiceSpec, rests: Any, waves: WaveBank):
        self.noise = rests(waves.noise())  # runs only while the kit sounds
        metal_lanes = [lane.metal for lane in spec.lanes if lane.metal]
        tune = metal_lanes[0].tune if metal_lanes else 1.0
        freqs = [f * tune for f in METAL_FREQS]
        # pyo's LFO squares (sharpness 1), read from tables (rig.dsp.waves): the same shape
        # for a fraction of the CPU, each frequency fixed so each table is exact.
        bank = [Wave(waves, "square", f, 1.0, mul=1 / 6) for f in freqs] if metal_lanes else []
        self.bank = [wave.out for wave in bank]
        self.streams: list[Any] = [*self.bank]
        self.metal = self.cowbell = None
        if self.bank:
            self.metal = summed(pyo, self.bank, 1, self.streams.append)
            self.cowbell = summed(pyo, self.bank[4:], 1, self.streams.append)
        self.active = True


class DrumInstrument(Instrument):
    def __init__(self, pyo: ModuleType, spec: VoiceSpec, moving: frozenset[str] | None = None):
        super().__init__(pyo, spec, moving)
        self.kit = _KitSources(pyo, spec, self.rests, self.waves)
        self.lanes = [_Lane(pyo, lane, self.kit) for lane in spec.lanes]
        self.by_note = {lane.spec.note: lane for lane in self.lanes}
        self.by_name = {lane.spec.name: lane for lane in self.lanes}
        left = summed(pyo, [lane.left for lane in self.lanes], 1, self.rests)
        right = summed(pyo, [lane.right for lane in self.lanes], 1, self.rests)
        dry = summed(pyo, [left, right], 2, self.rests)
        for lane in self.lanes:
            lane.sleep()
        self._metal_sleep()
        self._finish(dry)

    def _metal_sleep(self) -> None:
        if self.kit.active:
            for obj in self.kit.streams:
                obj.stop()
            self.kit.active = False

    def note_on(self, note: int, velocity: int, at: float) -> None:
        lane = self.by_note.get(note)
        if lane is None:
            return
        self.wake()
        for name in lane.spec.choke:
            self.by_name[name].choke(at)
        if lane.uses_metal and not self.kit.active:
            for obj in self.kit.streams:
                obj.play()
            self.kit.active = True
        sens = self.spec.velocity
        lane.hit((1.0 - sens) + sens * velocity / 127.0, at)

    def note_off(self, note: int, at: float) -> None:
        """Drums ring out their own decay; note-offs do not cut them (as on the Rytm)."""

    def all_notes_off(self, at: float) -> None:
        for lane in self.lanes:
            lane.choke(at)

    def _housekeep_slots(self, at: float) -> None:
        for lane in self.lanes:
            if lane.active and at >= lane.deadline:
                lane.sleep()
        if self.kit.active and not any(lane.active and lane.uses_metal for lane in self.lanes):
            self._metal_sleep()

    def _sounding(self) -> bool:
        return any(lane.active for lane in self.lanes)
