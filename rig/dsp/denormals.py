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

The MXCSR register is reached through two four-byte x86-64 functions (``stmxcsr``/
``ldmxcsr [rdi]; ret``) in an executable page made with `mmap`: the standard library
has no call for it. Elsewhere (other processors, Windows' calling convention, a system
that refuses executable pages) the render runs as before, denormals and all.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import platform
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["flush_denormals", "mxcsr", "FTZ", "DAZ"]

FTZ = 1 << 15  # results that would be denormal are written as zero
DAZ = 1 << 6  # denormal inputs are read as zero
# stmxcsr [rdi]; ret  |  ldmxcsr [rdi]; ret   (System V x86-64: the first argument in rdi)
_CODE = bytes([0x0F, 0xAE, 0x1F, 0xC3, 0x0F, 0xAE, 0x17, 0xC3])


class _Register:
    """Read and write this thread's MXCSR."""

    def __init__(self) -> None:
        self._page = mmap.mmap(
            -1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
        )
        self._page.write(_CODE)
        self._anchor: Any = ctypes.c_char.from_buffer(self._page)
        address = ctypes.addressof(self._anchor)
        proto = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_uint32))
        self._store = proto(address)
        self._load = proto(address + 4)

    def get(self) -> int:
        value = ctypes.c_uint32()
        self._store(ctypes.byref(value))
        return value.value

    def set(self, value: int) -> None:
        self._load(ctypes.byref(ctypes.c_uint32(value)))


def mxcsr() -> _Register | None:
    """This machine's MXCSR access, or None where it is not reached this way."""
    if sys.platform == "win32" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        return _Register()
    except (OSError, ValueError, TypeError):  # no executable anonymous pages here
        return None


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
