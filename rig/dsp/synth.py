"""Poly and mono subtractive synth voices in pyo, built from a `VoiceSpec`.

One slot per playable note: oscillators → filter (with envelope, key tracking and
LFO) → amplitude envelope. LFOs, the noise source and wave tables are shared by all
slots, as on a Juno (one LFO for the whole instrument). Pitch is held as a MIDI note
number and converted with MToF, so glide and vibrato move evenly in pitch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rig.dsp.alloc import MonoStack, PolyAllocator
from rig.dsp.curves import Envelope, octaves
from rig.dsp.drums import SUSTAIN_FLOOR
from rig.dsp.instrument import Instrument
from rig.dsp.params import Params
from rig.dsp.spec import EnvSpec, OscSpec, VoiceSpec
from rig.dsp.sums import summed
from rig.dsp.switch import Switch
from rig.dsp.waves import Wave, WaveBank, note_hz

__all__ = ["SynthInstrument"]

# Harmonics in the table behind pulse waves: rich enough for a Juno's PWM in the
# bass and middle, with little aliasing below ~800 Hz at 48 kHz.
PULSE_HARMONICS = 28
_INF = math.inf
# Extra time after an envelope should have ended before the slot is stopped.
_MARGIN = 0.05
# Highest filter cutoff, Hz. The ladder (MoogLP) and SVF filters turn unstable as the
# cutoff nears Nyquist: a cutoff at 20 kHz with high resonance gave a 5-sample
# full-scale spike at 48 kHz (Heartbeat III's arp at cutoff 127); at 16.8 kHz the same
# arp, its filter LFO at another phase, blew up to inf/NaN within one block (resonance
# 0.6, envelope 3 octaves up; the NaN then silenced the whole normalised render). At
# 12 kHz (0.25 of 48 kHz) neither happens; a 24 dB ladder that high is open to the ear.
CUTOFF_CEILING = 12000.0


class _Shared:
    """Instrument-wide sources: LFO sums per target, noise, wave tables."""

    def __init__(
        self, pyo: ModuleType, spec: VoiceSpec, params: Params, rests: Any, bank: WaveBank
    ):
        t = rests  # every object here runs only while the instrument sounds
        self.waves = bank
        waves = {o.wave for o in spec.oscillators}
        # pyo's own Noise, not the bank's table (`WaveBank.noise`): a pluck is a 10 ms burst
        # of it, and which burst moves the pluck's loudness by dB (another seed does too).
        self.noise = t(pyo.Noise()) if waves & {"noise", "string"} else None
        self.saw_table = pyo.SawTable(order=PULSE_HARMONICS) if "pulse" in waves else None
        self.harm_tables = {
            i: pyo.HarmTable(list(o.harmonics) or [1.0])
            for i, o in enumerate(spec.oscillators)
            if o.wave == "harmonics"
        }
        by_target: dict[str, list[Any]] = {}
        for lfo in spec.lfos:
            rate = params.signal(lfo.rate)
            depth = params.signal(lfo.depth)
            if isinstance(depth, float) and depth == 0.0:
                continue  # adds 0 to its target, and no event changes that (see `Params`)
            if lfo.wave == "sine":
                src = t(pyo.Sine(freq=rate, mul=depth))
            elif lfo.wave == "drift":
                # A new random target `rate` times a second, glided to in a straight line
                # (tape wow is not periodic); then smoothed so the turns are round.
                wander = t(pyo.Randi(min=-1.0, max=1.0, freq=rate))
                smooth = rate * 2.0 if isinstance(rate, float) else t(rate * 2.0)
                src = t(pyo.Tone(wander, freq=smooth))
                src = t(src * depth)
            else:
                # pyo's LFO shape (sharpness 0.5) from a table: at LFO rates it is fixed.
                top = spec.upper(lfo.rate)
                src = t(Wave(bank, lfo.wave, rate, 0.5, mul=depth, nominal=top, align=False).out)
            by_target.setdefault(lfo.to, []).append(src)
        self.lfo = {
            target: srcs[0] if len(srcs) == 1 else summed(pyo, srcs, 1, t)
            for target, srcs in by_target.items()
        }
        self.widths: dict[int, Any] = {}
        for i, osc in enumerate(spec.oscillators):
            if osc.wave == "pulse":
                width = params.signal(osc.width)
                if "width" in self.lfo:
                    swing = t(self.lfo["width"] * 0.5)
                    width = t(pyo.Clip(t(width + swing), 0.02, 0.98))
                self.widths[i] = width


class _Slot:
    """One note's signal chain; its streams are stopped while it is silent."""

    def __init__(
        self, pyo: ModuleType, spec: VoiceSpec, params: Params, shared: _Shared, steady: bool
    ):
        """`steady`: the pitch only moves from note to note (no glide, no pitch LFO), so
        the oscillators are given it as a number at each note instead of following a
        pitch stream through `MToF` sample by sample (a supersaw given a number is ~30 %
        cheaper, measured; the note's frequency is the same to float rounding)."""
        self.objects: list[Any] = []
        self.steady = steady
        # Steady: (C setter of an oscillator's frequency, its ratio to the note's).
        self._tuners: list[tuple[Callable[[float], Any], float]] = []
        self._keytrack: Callable[[float], Any] | None = None
        track = self._track
        freq: Any = note_hz(60)
        if not steady:
            self.pitch = pyo.SigTo(60.0, time=0.0, init=60.0)
            (stream,) = self.pitch._base_objs
            self._set_pitch, self._set_glide = stream.setValue, stream.setTime
            pitch = self.pitch
            if "pitch" in shared.lfo:
                pitch = track(self.pitch + shared.lfo["pitch"])
            freq = track(pyo.MToF(pitch))
        amp = self._env(pyo, params, spec.amp_env)
        self.amp = amp.out
        self._set_gain = amp.set_gain  # the amplitude envelope's gain (a C setter)
        self.triggers = [amp.adsr]
        self.exciter = None
        self.waves: list[tuple[Wave, float]] = []  # (oscillator, its ratio to the note)
        if any(o.wave == "string" for o in spec.oscillators):
            # A 10 ms noise burst plucks the waveguide string.
            self.exciter = pyo.Adsr(0.001, 0.008, 0.0, 0.005)
            self.triggers.append(self.exciter)
        sources = [
            track(self._osc(pyo, i, osc, freq, params, shared))
            for i, osc in enumerate(spec.oscillators)
        ]
        mixed = sources[0] if len(sources) == 1 else summed(pyo, sources, 1, track)
        self.out = track(self._filter(pyo, spec, params, shared, mixed))
        self.sustain_zero = False
        self.active = True
        self._switch: tuple[Switch, Switch] | None = None
        self.deadline = _INF
        self.spec = spec
        self.params = params

    def _track(self, obj: Any) -> Any:
        self.objects.append(obj)
        return obj

    def _env(self, pyo: ModuleType, params: Params, env: EnvSpec) -> Envelope:
        envelope = Envelope(pyo, env.curve, 0.01, 0.05, 0.707, 0.1)
        for part in envelope.parts:
            self._track(part)
        adsr = envelope.adsr
        params.bind(env.attack, lambda v: setattr(adsr, "attack", max(0.001, v)))
        params.bind(env.decay, lambda v: setattr(adsr, "decay", max(0.001, v)))
        # See drums._decay_env: a curved Adsr must not sustain at exactly 0 (NaN).
        floor = SUSTAIN_FLOOR if env.curve != 1.0 else 0.0
        params.bind(env.sustain, lambda v: setattr(adsr, "sustain", max(floor, v)))
        params.bind(env.release, lambda v: setattr(adsr, "release", max(0.002, v)))
        return envelope

    def _osc(
        self, pyo: ModuleType, index: int, osc: OscSpec, freq: Any, params: Params, shared: _Shared
    ) -> Any:
        ratio = 2.0 ** (osc.octave + osc.semitones / 12.0 + osc.cents / 1200.0)
        if self.steady:
            f = freq * ratio
        else:
            f = freq if ratio == 1.0 else self._track(freq * ratio)
        level = params.signal(osc.level)
        follow = self._follow if self.steady else lambda obj, ratio: obj
        wave = osc.wave
        if wave in ("saw", "square", "triangle"):
            # pyo's LFO shapes (sharpness 1) from tables, cut for the note at each start.
            shaped = Wave(shared.waves, wave, f, 1.0, mul=level, nominal=note_hz(60) * ratio)
            self.waves.append((shaped, ratio))
            for part in shaped.parts:
                self._track(part)
            return shaped.out
        if wave == "sine":
            return follow(pyo.Sine(f, mul=level), ratio)
        if wave == "supersaw":
            saws = pyo.SuperSaw(
                f, detune=params.signal(osc.detune), bal=params.signal(osc.mix), mul=level
            )
            return follow(saws, ratio)
        if wave == "pulse":
            # A pulse of width w is a saw minus the same saw w of a cycle later.
            a = self._track(follow(pyo.Osc(shared.saw_table, f), ratio))
            b = pyo.Osc(shared.saw_table, f, phase=shared.widths[index])
            self._track(follow(b, ratio))
            return self._track(a - b) * level
        if wave == "harmonics":
            return follow(pyo.Osc(shared.harm_tables[index], f, mul=level), ratio)
        if wave == "string":
            excite = self._track(shared.noise * self.exciter)
            string = pyo.Waveguide(
                excite, freq=f, dur=params.signal(osc.decay), minfreq=20, mul=level
            )
            return follow(string, ratio)
        assert wave == "noise"
        return shared.noise * level

    def _follow(self, obj: Any, ratio: float) -> Any:
        """Steady pitch: `obj`'s frequency is set at each note (its C setter)."""
        for stream in obj._base_objs:
            self._tuners.append((stream.setFreq, ratio))
        return obj

    def _filter(
        self, pyo: ModuleType, spec: VoiceSpec, params: Params, shared: _Shared, signal: Any
    ) -> Any:
        filt = spec.filter
        if filt.kind == "none":
            return pyo.Sig(signal, mul=self.amp)
        track = self._track
        # Cutoff moves in octaves: envelope, LFO and key tracking add to one exponent.
        terms: list[Any] = []
        if not (isinstance(filt.env, float) and filt.env == 0.0):
            fenv = self._env(pyo, params, spec.filter_env)
            self.triggers.append(fenv.adsr)
            terms.append(track(fenv.out * params.signal(filt.env)))
        if "cutoff" in shared.lfo:
            terms.append(shared.lfo["cutoff"])
        if filt.keytrack:
            k = filt.keytrack / 12.0
            if self.steady:
                follow = track(pyo.Sig(0.0))
                (stream,) = follow._base_objs
                set_value = stream.setValue
                self._keytrack = lambda note: set_value(k * (note - 60.0))
                terms.append(follow)
            else:
                terms.append(track(pyo.Sig(self.pitch, mul=k, add=-60.0 * k)))
        cutoff = params.signal(filt.cutoff)
        if terms:
            exponent = terms[0]
            for term in terms[1:]:
                exponent = track(exponent + term)
            moved, parts = octaves(pyo, exponent, cutoff)
            for part in parts:
                track(part)
            cutoff = track(pyo.Clip(moved, 20.0, CUTOFF_CEILING))
        elif spec.upper(filt.cutoff) > CUTOFF_CEILING:
            cutoff = track(pyo.Clip(cutoff, 20.0, CUTOFF_CEILING))
        res = params.signal(filt.resonance)
        if filt.kind == "lowpass24":
            return pyo.MoogLP(signal, freq=cutoff, res=res, mul=self.amp)
        # SVF's q: 0.7 is flat, ~10 rings; resonance 0..1 spans that.
        q = res * 9.3 + 0.7 if isinstance(res, float) else track(pyo.Sig(res, mul=9.3, add=0.7))
        kind = {"lowpass": 0.0, "bandpass": 0.5, "highpass": 1.0}[filt.kind]
        return pyo.SVF(signal, freq=cutoff, q=q, type=kind, mul=self.amp)

    # -- lifecycle ------------------------------------------------------------------------

    def _switches(self) -> tuple[Switch, Switch]:
        # Made once every object exists (the first sleep, at the end of the instrument's
        # construction): C-level play/stop, see rig.dsp.switch.
        if self._switch is None:
            self._switch = (Switch(self.objects), Switch(self.triggers))
        return self._switch

    def wake(self) -> None:
        if not self.active:
            self._switches()[0].on()
            self.active = True

    def sleep(self) -> None:
        if self.active:
            self._switches()[0].off()
            self.active = False

    def set_pitch(self, note: float, glide: float) -> None:
        hz = note_hz(note)
        if self.steady:
            # The C setters of the oscillators (`glide` is 0 for a steady voice): what
            # `.freq = ` ends with, without pyo's Python argument checks (audio thread).
            for set_freq, ratio in self._tuners:
                set_freq(hz * ratio)
            if self._keytrack is not None:
                self._keytrack(note)
        else:
            # SigTo reads its time when the value changes, so set the time first. The C
            # setters of its one stream: what `.time = `/`.value = ` end with, without
            # ~4 µs of pyo's Python argument checks each (this runs on the audio thread
            # live).
            self._set_glide(glide)
            self._set_pitch(float(note))
        for wave, ratio in self.waves:
            wave.tune(hz * ratio)

    def start(self, note: int, gain: float, at: float, glide: float) -> None:
        self.wake()
        self.set_pitch(note, glide)
        self._set_gain(gain)  # the amplitude envelope's mul (C setter, as above)
        self._switches()[1].on()
        env = self.spec.amp_env
        if self.params.number(env.sustain) <= 2 * SUSTAIN_FLOOR:
            # Percussive (piano, pluck): silent after attack + decay even while held.
            length = self.params.number(env.attack) + self.params.number(env.decay)
            self.deadline = at + length + _MARGIN
        else:
            self.deadline = _INF

    def release(self, at: float) -> None:
        self._switches()[1].off()
        end = at + self.params.number(self.spec.amp_env.release) + _MARGIN
        self.deadline = min(self.deadline, end)


class SynthInstrument(Instrument):
    """A poly (allocation + stealing) or mono (note stack, legato, glide) synth voice.

    `steady = False` (class-wide) makes every slot follow a pitch stream, as before
    steady pitches: the reference `tests/dsp/test_render_cost.py` renders against."""

    steady = True

    def __init__(self, pyo: ModuleType, spec: VoiceSpec, moving: frozenset[str] | None = None):
        super().__init__(pyo, spec, moving)
        shared = _Shared(pyo, spec, self.params, self.rests, self.waves)
        self._shared = shared
        steady = self.steady and "pitch" not in shared.lfo and self._no_glide()
        self.slots = [_Slot(pyo, spec, self.params, shared, steady) for _ in range(spec.voices)]
        for slot in self.slots:
            slot.sleep()
        self.mono = spec.mode == "mono"
        self.alloc = PolyAllocator(len(self.slots))
        self.stack = MonoStack()
        self.down: set[int] = set()  # keys physically held
        self.sustained: set[int] = set()  # keys released while the pedal was down
        self._finish(self._stereo(pyo, spec, shared))

    def _stereo(self, pyo: ModuleType, spec: VoiceSpec, shared: _Shared) -> Any:
        t = self.rests
        outs = [slot.out for slot in self.slots]
        if len(outs) == 1:
            dry = summed(pyo, outs, 2, t)
        else:
            # Even slots lean left, odd slots right: width without a panner per note.
            even = summed(pyo, outs[0::2], 1, t)
            odd = summed(pyo, outs[1::2], 1, t)
            a, b = (1.0 + spec.spread) / 2.0, (1.0 - spec.spread) / 2.0
            left = t(t(even * a) + t(odd * b))
            right = t(t(even * b) + t(odd * a))
            dry = summed(pyo, [left, right], 2, t)
        if "amp" in shared.lfo:
            swell = t(t(t(shared.lfo["amp"] + 1.0) * 0.25))
            dry = t(dry * t(1.0 - swell))
        return dry

    def _no_glide(self) -> bool:
        """No note will glide: a poly voice, or a mono one whose glide is 0 for good."""
        if self.spec.mode != "mono":
            return True
        glide = self.spec.glide
        fixed = isinstance(glide, float | int) or (
            self.params.moving is not None and glide not in self.params.moving
        )
        return fixed and self.params.number(glide) <= 0.0

    def _gain(self, velocity: int) -> float:
        sens = self.spec.velocity
        return (1.0 - sens) + sens * velocity / 127.0

    def _glide(self) -> float:
        return max(0.0, self.params.number(self.spec.glide))

    def note_on(self, note: int, velocity: int, at: float) -> None:
        self.wake()
        self.down.add(note)
        self.sustained.discard(note)
        if self.mono:
            slot = self.slots[0]
            sounding = slot.active and at < slot.deadline
            legato = self.stack.press(note)
            glide = self._glide() if sounding else 0.0
            if legato and self.spec.legato and sounding:
                slot.set_pitch(note, glide)
            else:
                slot.start(note, self._gain(velocity), at, glide)
            return
        assignment = self.alloc.note_on(note)
        self.slots[assignment.slot].start(note, self._gain(velocity), at, 0.0)

    def note_off(self, note: int, at: float) -> None:
        self.down.discard(note)
        if self.pedal:
            self.sustained.add(note)
            return
        self._release(note, at)

    def _release(self, note: int, at: float) -> None:
        if self.mono:
            before = self.stack.sounding
            back = self.stack.release(note)
            if back is None:
                if before == note:
                    self.slots[0].release(at)
            elif back != before:
                self.slots[0].set_pitch(back, self._glide())
            return
        slot = self.alloc.note_off(note)
        if slot is not None:
            self.slots[slot].release(at)

    def _pedal_up(self, at: float) -> None:
        for note in sorted(self.sustained - self.down):
            self._release(note, at)
        self.sustained.clear()

    def all_notes_off(self, at: float) -> None:
        self.down.clear()
        self.sustained.clear()
        self.stack.clear()
        self.alloc.release_all()
        for slot in self.slots:
            if slot.active:
                slot.release(at)

    def _housekeep_slots(self, at: float) -> None:
        for slot in self.slots:
            if slot.active and at >= slot.deadline:
                slot.sleep()

    def _sounding(self) -> bool:
        return any(slot.active for slot in self.slots)
