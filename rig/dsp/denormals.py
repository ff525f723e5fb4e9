"""Rendering with denormal floats flushed to zero (the x86-64 MXCSR's FTZ and DAZ bits).

A recursive filter or reverb whose input falls silent decays towards zero through the
denormal range (below 1.2e-38 in float32), where each multiplication and addition takes
the CPU's slow microcode path, ~50-100 times slower than a normal one. A track spends
much of its time like that: a filter after a note's release, a reverb between hits, the
kit's filter between hits. Measured, 60 s of pyo's SVF after one 50 ms burst: 0.77 s
of CPU, against 0.02 s on steady noise; MoogLP 0.81 s, Freeverb 0.91 s; with FTZ/DAZ
set, 0.03-0.06 s each. `perf` put `SVF_filters_iii` alone (the drum kit's 13 kHz
filter) at 8.7 % of the night's render.

Flushing changes only values below 1.2e-38 (−760 dBFS) to zero: nothing a 24-bit file
(or an ear) holds; `tests/dsp/test_denormals.py` renders voices both ways. The bits
are the processor's, per thread: `flush_denormals()` sets them for the render and puts
back what was there after, so the calling thread's other arithmetic is left as it was.

The MXCSR register is reached through the C library's floating-point environment
(`fegetenv`/`fesetenv`): on x86-64 glibc its `fenv_t` is the x87 environment (28 bytes)
followed by the 32-bit MXCSR, which `fesetenv` loads as given. Elsewhere (other
processors, other C libraries, Windows, macOS) the render runs as before, denormals
and all.
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["flush_denormals", "mxcsr", "FTZ", "DAZ"]

FTZ = 1 << 15  # results that would be denormal are written as zero
DAZ = 1 << 6  # denormal inputs are read as zero
_ENV_WORDS = 8  # glibc x86-64 fenv_t: 7 words of x87 environment, then the MXCSR
_MXCSR_WORD = 7


class _Register:
    """Read and write this thread's MXCSR through glibc's floating-point environment."""

    def __init__(self, libc: Any) -> None:
        self._get = libc.fegetenv
        self._set = libc.fesetenv

    def _env(self) -> Any:
        env = (ctypes.c_uint32 * _ENV_WORDS)()
        if self._get(env) != 0:
            raise OSError("fegetenv failed")
        return env

    def get(self) -> int:
        return int(self._env()[_MXCSR_WORD])

    def set(self, value: int) -> None:
        env = self._env()
        env[_MXCSR_WORD] = value
        if self._set(env) != 0:
            raise OSError("fesetenv failed")


def mxcsr() -> _Register | None:
    """This machine's MXCSR access, or None where it is not reached this way."""
    if not sys.platform.startswith("linux") or platform.machine().lower() != "x86_64":
        return None
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        register = _Register(ctypes.CDLL(None))
        register.get()
    except (OSError, AttributeError):
        return None
    return register


@contextlib.contextmanager
def flush_denormals() -> Iterator[bool]:
    """Within: this thread's float arithmetic flushes denormals to zero (yields whether
    it does); after: the register as it was."""
    register = mxcsr()
    if register is None:
        yield False
        return
    before = register.get()
    register.set(before | FTZ | DAZ)
    try:
        yield True
    finally:
        register.set(before)
