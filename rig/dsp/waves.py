"""pyo's `LFO` waveforms read from tables: the same shapes for a fraction of the CPU.

pyo's `LFO` computes its band-limited shapes sample by sample with libm: a saw is
``p - tanh(n·p) / tanh(n)``, a square ``atan(n·sin 2πp)``, a triangle a blend with
``tan(sin 2πp)``; `n` (how sharp the edges are) follows the frequency. Profiling the
whole night's render put those calls (`tanf`, `tanhf`, `atanf`, `sinf`) at about a
tenth of the workers' CPU: the drum kit's six-square metal bank, the triangle LFOs that
sweep filters and choruses, the saws and squares of the synth voices.

Here each shape is computed once, with pyo's own formula, into a table of `TABLE_SIZE`
points per cycle, and played by `Osc` (a phase accumulator and a linear interpolation,
as cheap as pyo oscillators get). The sharpness `n` depends on the frequency as in pyo
(capped at `srOverFour / f`, or `srOverEight / f` for squares): a fixed frequency (the
metal bank, a modulator far below audio) gets its exact table once; a voice's oscillator
gets the table of the note it plays, chosen at note-on (`Wave.tune`). Within a note the
shape then stays put where pyo's would move with vibrato or glide by a step of `n` (an
edge a little sharper or softer). `tests/dsp/test_render_cost.py` holds every table's
spectrum to pyo's own `LFO`, and every voice to its render with `LFO` in the same run.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

__all__ = ["WaveBank", "Wave", "KINDS", "TABLE_SIZE", "NOISE_SIZE", "shape", "note_hz"]

# Points per cycle: the steepest edge (a saw at n = 50) spans ~400 of them, so linear
# interpolation stays within ~1e-5 of the formula (measured in the tests).
TABLE_SIZE = 8192
# Samples of white noise in a bank's noise table (43.7 s at 48 kHz before it repeats: a
# drum hit or a pluck reads a few hundred ms of it).
NOISE_SIZE = 1 << 21
# pyo's LFO `type` numbers for the shapes tabulated here.
KINDS = {"saw": 0, "square": 2, "triangle": 3}


def note_hz(note: float) -> float:
    """A MIDI note's frequency (A4 = 440 Hz), as pyo's MToF gives it."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def _harmonics(kind: str, sharp: float, freq: float, sample_rate: float) -> float:
    """pyo's `numh` for a shape at `freq` (lfomodule.c, LFO_generates_*)."""
    freq = min(max(freq, 0.00001), sample_rate / 4.0)
    if kind == "triangle":
        most = int(sample_rate / 4.0 / freq)
        return most / 36.0 if sharp * 36.0 > most else sharp
    most = int(sample_rate / (8.0 if kind == "square" else 4.0) / freq)
    return float(min(sharp * 46.0 + 4.0, most))


def shape(kind: str, numh: float, size: int = TABLE_SIZE) -> list[float]:
    """One cycle of pyo's LFO shape with sharpness `numh`, at phase i/size (size+1 points:
    the last repeats the first, as pyo's tables keep a guard point)."""
    out = []
    for i in range(size + 1):
        p = (i % size) / size
        if kind == "saw":
            x = p + 0.5
            x = (x - 1.0 if x >= 1.0 else x) * 2.0 - 1.0
            out.append(x - math.tanh(numh * x) / math.tanh(numh))
        elif kind == "square":
            out.append(math.atan(numh * math.sin(2 * math.pi * p)) / (math.pi / 2))
        else:
            v1 = math.tan(math.sin(2 * math.pi * p)) / (math.pi / 2)
            x = p + 0.25
            x = x - 1.0 if x > 1.0 else x
            v2 = 4.0 * (0.5 - abs(x - 0.5)) - 1.0
            out.append(v1 * (1 - numh) + v2 * numh)
    return out


class WaveBank:
    """The tables of one pyo server, made on first use and shared by every oscillator.

    `exact = True` (class-wide) makes every `Wave` pyo's own `LFO` instead: the reference
    the tests hold the tables to, whole voices rendered both ways. `pyo_noise = True`:
    `noise()` is pyo's own `Noise` (the reference of `tests/dsp/test_noise.py`)."""

    exact = False
    pyo_noise = False

    def __init__(self, pyo: ModuleType, sample_rate: float):
        self.pyo = pyo
        self.sample_rate = sample_rate
        self._tables: dict[tuple[str, float], Any] = {}
        self._noise: Any = None

    def noise(self) -> Any:
        """White noise, uniform in ±0.99 as pyo's `Noise`, read from a table.

        pyo's `Noise` draws each sample from its generator through `pyorand()`, which
        finds pyo's module state by name in the interpreter's dict on every call (a C
        string decoded and hashed per sample): 60 s of it cost 0.14 s of CPU, the same
        time read from a table by `Osc` (one sample a step, no interpolation) 0.013 s;
        the kit's noise ran whenever the kit sounded, ~17 % of a drum track's render.
        The samples are another draw of the same white noise (numpy's generator, seeded:
        every render the same), as if pyo's global seed were another:
        `tests/dsp/test_noise.py` holds the kit to its render with `Noise`, within what
        another seed of pyo's own moves it. (The synth voices keep `Noise`: a guitar's
        pluck is a 10 ms burst of it, and which burst moves the pluck by dB.)"""
        if self.pyo_noise:
            return self.pyo.Noise()
        if self._noise is None:
            import numpy as np

            from rig.dsp.server import SEED

            self._noise = self.pyo.DataTable(NOISE_SIZE)
            draw = np.random.default_rng(SEED).random(NOISE_SIZE, dtype=np.float32)
            np.asarray(self._noise.getBuffer())[:] = draw * np.float32(1.98) - np.float32(0.99)
        # One table sample per output sample: sr / size is exact in binary (a power of 2).
        return self.pyo.Osc(self._noise, freq=self.sample_rate / NOISE_SIZE, interp=1)

    def table(self, kind: str, sharp: float, freq: float) -> Any:
        numh = _harmonics(kind, sharp, freq, self.sample_rate)
        key = (kind, numh)
        if key not in self._tables:
            self._tables[key] = self.pyo.DataTable(TABLE_SIZE, init=shape(kind, numh)[:-1])
        return self._tables[key]


class Wave:
    """`pyo.LFO(freq, sharp, type)` as an `Osc` on a table; `.out` is the pyo object.

    `nominal` is the frequency the shape is cut for (a number, or None when `freq` is a
    fixed number itself); `tune(hz)` re-cuts it for a new note (a table swap, only when
    the sharpness changes) and, when `freq` was a number and `nominal` given (a voice's
    oscillator at a steady pitch), plays `hz` from then on. `align=False`: skip the
    one-sample alignment with `LFO` (a modulator far below audio, where a sample of phase
    is nothing); otherwise a `freq` stream costs one more pyo object, in `parts`."""

    def __init__(
        self, bank: WaveBank, kind: str, freq: Any, sharp: float, mul: Any = 1.0,
        nominal: float | None = None, align: bool = True,
    ):  # fmt: skip
        self.bank = bank
        self.kind = kind
        self.sharp = sharp
        self.parts: list[Any] = []  # pyo objects `out` reads (started and stopped with it)
        number = isinstance(freq, int | float)
        # A steady note's oscillator: its frequency (and alignment) set by `tune`.
        self._set_freq: Any = None
        self._set_phase: Any = None
        self._step = 1.0 / bank.sample_rate
        if bank.exact:
            self._table = None
            self.out = bank.pyo.LFO(freq, sharp=sharp, type=KINDS[kind], mul=mul)
            if number and nominal is not None:
                (stream,) = self.out._base_objs
                self._set_freq = stream.setFreq
            return
        hz = float(freq) if nominal is None else nominal
        self._table = bank.table(kind, sharp, hz)
        # `Osc` steps its phase before it reads, `LFO` after: read one step back, so a
        # voice's oscillators keep the alignment they had (a saw against the pulse beside
        # it sums to the same harmonics). 1 - step rather than -step: Osc wraps only up.
        step = 1.0 / bank.sample_rate
        if not align or isinstance(freq, int | float):
            back: Any = 1.0 - float(freq) * step if align else 0.0
        else:
            back = bank.pyo.Sig(freq, mul=-step, add=1.0)
            self.parts.append(back)
        self.out = bank.pyo.Osc(self._table, freq=freq, phase=back, mul=mul)
        if number and nominal is not None:
            (stream,) = self.out._base_objs
            self._set_freq = stream.setFreq  # C setters: no pyo argument checks (live)
            self._set_phase = stream.setPhase if align else None

    def tune(self, hz: float) -> None:
        if self._set_freq is not None:
            self._set_freq(hz)
            if self._set_phase is not None:
                self._set_phase(1.0 - hz * self._step)
        if self._table is None:
            return  # pyo's LFO follows the frequency itself
        table = self.bank.table(self.kind, self.sharp, hz)
        if table is not self._table:
            self._table = table
            self.out.setTable(table)
