"""Pure music theory: note names, chord symbols and voicings, keys and modes.

No I/O, no devices, no threads: everything here turns text a musician wrote into
numbers (MIDI notes, pitch classes) or raises `TheoryError` with a message that
names the problem and, where it can, the likely intended spelling.
"""

from rig.theory.chords import VOICINGS, Chord, parse_chord, voice_chord
from rig.theory.errors import TheoryError
from rig.theory.pitch import note_name, parse_note, parse_pitch_class
from rig.theory.scales import MODES, Key, parse_key, tonic_triad

__all__ = [
    "MODES",
    "VOICINGS",
    "Chord",
    "Key",
    "TheoryError",
    "note_name",
    "parse_chord",
    "parse_key",
    "parse_note",
    "parse_pitch_class",
    "tonic_triad",
    "voice_chord",
]
