"""A valid song of 20 000 bars (2 500 sections of 8): the scale case for parse/check/export.

    python tests/hostile/bigsong.py songs/big.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

HEAD = """\
cue: The Long Night
tempo: 124
tracks:
  bass: {device: monopoly}
  drums: {device: rytm}
  pad: {voice: piano}
  lead: {voice: piano}
patterns:
  pulse: {track: bass, steps: "E1! . . E1  . . E1 .  G1! . . E1  . . D1 ~", gate: 80%}
  beat: {track: drums, lanes: {BD: "x...x...x...x...", SD: "....x.......x..."}}
  pad: {track: pad, chords: "Em9 | Cmaj7 | Am9 | B7sus4", octave: 3}
  riff: {track: lead, arp: {chords: "Em7 | Cmaj7", mode: updown, rate: 1/16}, octave: 4}
sections:
"""


def big_song(sections: int = 2500) -> str:
    body = []
    for i in range(sections):
        play = "[pulse, beat, pad, riff]" if i % 4 else "[pulse, beat, pad]"
        body.append(f"  - {{name: part {i + 1}, bars: 8, play: {play}}}\n")
    return HEAD + "".join(body)


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(big_song(), encoding="utf-8")
