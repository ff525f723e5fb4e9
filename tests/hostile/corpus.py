"""A hostile corpus: files a stranger, a broken disk or a careless copy could hand `rig check`.

Written from the outside, not from the loaders' code: each case is a small project
folder (songs/, patches/, a config) and the file to check, with the exit code it
must give and a phrase its answer must contain. What every case must satisfy
(bounded time, no traceback, every error line positioned, no escape sequence on the
terminal, no foreign file quoted) is checked by test_corpus.py for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Case", "FIFO", "SOCKET", "Link", "cases", "song", "REPO_VOICE"]

FIFO = object()  # a named pipe at this path
SOCKET = object()  # a bound Unix socket at this path


@dataclass(frozen=True)
class Link:
    """A symlink at this path pointing to `target` (may dangle or loop)."""

    target: str


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, object]  # path under the project folder → text | bytes | FIFO | Link
    check: str  # the path given to `rig check`
    code: int  # the exit code it must give
    says: str = ""  # a phrase the output must contain
    never: tuple[str, ...] = field(default=())  # phrases that must not appear (leaks)


REPO_VOICE = "piano"
REPO_PATCHES = Path(__file__).resolve().parents[2] / "patches"

BASE = {
    "cue": "Test",
    "tempo": 120,
    "tracks": "\n  keys: {voice: piano}\n  drums: {device: rytm}\n  bass: {device: monopoly}",
    "patterns": '\n  p: {track: keys, steps: "C4 . E4 ."}',
    "sections": "\n  - {name: A, bars: 2, play: [p]}",
}


def song(**parts: object) -> str:
    """A valid song with some top-level parts replaced (None drops a part)."""
    merged = {**BASE, **parts}
    lines = []
    for key, value in merged.items():
        if value is None:
            continue
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


def pattern(text: str) -> str:
    return song(patterns="\n  p: " + text)


def _lol() -> str:
    """The "billion laughs": ten levels of ten aliases, 10^10 values once expanded."""
    lol = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lol += f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]\n"
    return lol


LOL = _lol()


def _yaml_cases() -> list[Case]:
    out: list[Case] = []
    lol = LOL
    out.append(Case("alias bomb (billion laughs)", {"songs/x.yaml": lol}, "songs/x.yaml", 1,
                    "aliases are expanded (the limit)"))
    out.append(Case("alias bomb in a song's patterns",
                    {"songs/x.yaml": song(about="&s " + "[" + ", ".join(["x"] * 50) + "]",
                                          seed="[" + ", ".join(["*s"] * 50) + "]")},
                    "songs/x.yaml", 1, "seed"))
    out.append(Case("recursive alias", {"songs/x.yaml": "a: &a [1, *a]\n"}, "songs/x.yaml", 1,
                    "refers to a value containing it"))
    out.append(Case("recursive alias in a mapping", {"songs/x.yaml": "a: &a {b: *a}\n"},
                    "songs/x.yaml", 1, "containing it"))
    out.append(Case("undefined alias", {"songs/x.yaml": "cue: *nope\n"}, "songs/x.yaml", 1,
                    "undefined alias"))
    for depth in (65, 200, 1000, 10000, 100000):
        out.append(Case(f"flow nesting {depth} deep", {"songs/x.yaml": "a: " + "[" * depth
                        + "]" * depth + "\n"}, "songs/x.yaml", 1, "levels deep (the limit)"))
    for depth in (70, 500):
        text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
        out.append(Case(f"block nesting {depth} deep", {"songs/x.yaml": text}, "songs/x.yaml", 1,
                        "levels deep"))
    out.append(Case("list nesting 300 deep", {"songs/x.yaml": "- " * 300 + "x\n"},
                    "songs/x.yaml", 1, "levels deep"))
    for digits in (101, 4301, 100000):
        out.append(Case(f"integer of {digits} digits", {"songs/x.yaml": song(tempo="9" * digits)},
                        "songs/x.yaml", 1, "digits (the limit)"))
    out.append(Case("seed of 5000 digits", {"songs/x.yaml": song(seed="1" * 5000)},
                    "songs/x.yaml", 1, "digits"))
    out.append(Case("float overflow tempo", {"songs/x.yaml": song(tempo="1e999")},
                    "songs/x.yaml", 1, "tempo"))
    out.append(Case("nan tempo", {"songs/x.yaml": song(tempo=".nan")}, "songs/x.yaml", 1, "tempo"))
    out.append(Case("negative zero tempo", {"songs/x.yaml": song(tempo="-0.0")}, "songs/x.yaml", 1,
                    "tempo"))
    out.append(Case("empty file", {"songs/x.yaml": ""}, "songs/x.yaml", 1, "empty"))
    out.append(Case("only comments", {"songs/x.yaml": "# nothing\n# here\n"}, "songs/x.yaml", 1,
                    "empty"))
    out.append(Case("a bare document marker", {"songs/x.yaml": "---\n"}, "songs/x.yaml", 1, ""))
    out.append(Case("two documents", {"songs/x.yaml": song() + "---\n" + song()},
                    "songs/x.yaml", 1, "another document"))
    out.append(Case("root is a list", {"songs/x.yaml": "- a\n- b\n"}, "songs/x.yaml", 1, ""))
    out.append(Case("root is a scalar", {"songs/x.yaml": "hello\n"}, "songs/x.yaml", 1, ""))
    out.append(Case("duplicate key", {"songs/x.yaml": song() + "tempo: 90\n"}, "songs/x.yaml", 1,
                    "duplicate key"))
    out.append(Case("merge key", {"songs/x.yaml": "b: &b {x: 1}\nc: {<<: *b}\n"}, "songs/x.yaml",
                    1, "merge keys"))
    out.append(Case("complex key", {"songs/x.yaml": "? [a, b]\n: 1\n"}, "songs/x.yaml", 1,
                    "plain name"))
    out.append(Case("tab indentation", {"songs/x.yaml": "cue: x\ntracks:\n\tkeys: 1\n"},
                    "songs/x.yaml", 1, "tab"))
    out.append(Case("unterminated quote", {"songs/x.yaml": 'cue: "abc\n'}, "songs/x.yaml", 1,
                    "YAML"))
    out.append(Case("NUL byte", {"songs/x.yaml": b"cue: a\x00b\n"}, "songs/x.yaml", 1,
                    "unacceptable character"))
    out.append(Case("invalid UTF-8", {"songs/x.yaml": b"cue: \xff\xfe\n"}, "songs/x.yaml", 1,
                    "not UTF-8"))
    out.append(Case("UTF-16 file", {"songs/x.yaml": song().encode("utf-16")}, "songs/x.yaml", 1,
                    "UTF-8"))
    out.append(Case("overlong UTF-8", {"songs/x.yaml": b"cue: \xc0\xaf\n"}, "songs/x.yaml", 1,
                    "UTF-8"))
    out.append(Case("BOM then a song", {"songs/x.yaml": "\ufeff" + song()}, "songs/x.yaml", 0))
    out.append(Case("CRLF line ends", {"songs/x.yaml": song().replace("\n", "\r\n")},
                    "songs/x.yaml", 0))
    out.append(Case("a 1 MiB line", {"songs/x.yaml": song(about="x" * (1 << 20))}, "songs/x.yaml",
                    0))
    out.append(Case("a 20 000-word steps string",
                    {"songs/x.yaml": pattern('{track: keys, steps: "' + "C4 . " * 10000 + '"}')},
                    "songs/x.yaml", 0))
    out.append(Case("100 000 keys", {"songs/x.yaml": song() + "".join(
        f"k{i}: {i}\n" for i in range(100000))}, "songs/x.yaml", 1, "unknown key"))
    out.append(Case("python tag", {"songs/x.yaml": "cue: !!python/object:os.system x\n"},
                    "songs/x.yaml", 1, ""))
    out.append(Case("binary tag", {"songs/x.yaml": song(about="!!binary aGVsbG8=")},
                    "songs/x.yaml", 0))
    out.append(Case("set tag", {"songs/x.yaml": song(about="!!set {a, b}")}, "songs/x.yaml", 0))
    out.append(Case("timestamp value", {"songs/x.yaml": song(cue="2001-12-14t21:59:43.10-05:00")},
                    "songs/x.yaml", 0))
    out.append(Case("null key", {"songs/x.yaml": song() + "~: 1\n"}, "songs/x.yaml", 1, "unknown"))
    out.append(Case("numeric keys", {"songs/x.yaml": song(tracks="{1: {voice: piano}}",
                                                          patterns='{p: {track: "1", steps: C4}}')},
                    "songs/x.yaml", 0))
    return out


def _control_cases() -> list[Case]:
    out: list[Case] = []
    evil = ['"\\e[2J\\e[H"', '"\\e]0;pwned\\a"', '"\\x1b[31mred"', '"a\\x9bb"', '"\\u202eevil"',
            '"bell\\a\\a"', '"\\r overwrite"']
    for i, text in enumerate(evil):
        out.append(Case(f"control characters in cue {i}", {"songs/x.yaml": song(cue=text)},
                        "songs/x.yaml", 0))
        out.append(Case(f"control characters in an unknown track {i}",
                        {"songs/x.yaml": pattern("{track: " + text + ", steps: C4}")},
                        "songs/x.yaml", 1, "unknown track"))
    out.append(Case("escape in a key", {"songs/x.yaml": song() + '"\\e[2Jboom": 1\n'},
                    "songs/x.yaml", 1, "\\x1b[2Jboom"))
    return out


def _song_cases() -> list[Case]:
    s = "songs/x.yaml"
    out = [
        Case("octave 0", {s: pattern("{track: keys, chords: C, octave: 0}")}, s, 0),
        Case("octave -1", {s: pattern("{track: keys, chords: C, octave: -1}")}, s, 0),
        Case("transpose past 127", {s: pattern('{track: keys, steps: "G9", transpose: 12}')}, s,
             1, "outside MIDI's 0..127"),
        Case("transpose below 0", {s: pattern('{track: keys, steps: "C-1", transpose: -12}')}, s,
             1, "outside MIDI's 0..127"),
        Case("track transpose + pattern transpose", {s: song(
            tracks="\n  keys: {voice: piano, transpose: 48}",
            patterns='\n  p: {track: keys, steps: "C8", transpose: 48}')}, s, 1, "0..127"),
        Case("arp octaves past 127", {s: pattern(
            "{track: keys, arp: {chords: C, octaves: 4}, octave: 8}")}, s, 1, ""),
        Case("arp rate 1/1000000", {s: pattern(
            "{track: keys, arp: {chords: C, rate: 1/1000000}}")}, s, 1, "tick grid"),
        Case("arp rate 0", {s: pattern("{track: keys, arp: {chords: C, rate: 0}}")}, s, 1, "rate"),
        Case("arp rate 1/7680 over 9999 bars", {s: song(
            patterns="\n  p: {track: keys, arp: {chords: C, rate: 1/7680}}",
            sections="\n  - {name: A, bars: 9999, play: [p]}")}, s, 1, "(the limit)"),
        Case("steps rate 1/7680 over 9999 bars", {s: song(
            patterns='\n  p: {track: keys, steps: "C4", rate: 1/7680}',
            sections="\n  - {name: A, bars: 9999, play: [p]}")}, s, 1, "(the limit)"),
        Case("many sections at 1/7680", {s: song(
            patterns='\n  p: {track: keys, steps: "C4", rate: 1/7680}',
            sections="".join("\n  - {bars: 9999, play: [p]}" for _ in range(20)))}, s, 1,
             "the limit"),
        Case("pattern rate off grid", {s: pattern('{track: keys, steps: C4, rate: 1/7}')}, s, 1,
             "tick grid"),
        Case("rate of 5000 digits", {s: pattern('{track: keys, steps: C4, rate: "1/' + "9" * 5000
                                                + '"}')}, s, 1, "digits (the limit)"),
        Case("meter of 5000 digits", {s: song(meter='"4/' + "4" * 5000 + '"')}, s, 1, "digits"),
        Case("velocity suffix of 5000 digits", {s: pattern(
            '{track: keys, steps: "C4:' + "9" * 5000 + '"}')}, s, 1, "digits"),
        Case("chance of 5000 digits", {s: pattern(
            '{track: keys, steps: "C4@' + "9" * 5000 + '%"}')}, s, 1, "digits"),
        Case("bars text of 5000 digits", {s: song(sections=(
            '\n  - {bars: 1, play: [p], tempo: {to: 90, over: "' + "9" * 5000 + ' bars"}}'))},
             s, 1, "digits"),
        Case("rate with a huge denominator", {s: pattern(
            "{track: keys, steps: C4, rate: 1/" + "9" * 90 + "}")}, s, 1, "rate"),
        Case("empty lanes", {s: pattern("{track: drums, lanes: {}}")}, s, 1, "empty"),
        Case("lanes on a synth", {s: pattern('{track: keys, lanes: {BD: "x..."}}')}, s, 1, ""),
        Case("unknown lane", {s: pattern('{track: drums, lanes: {ZZ: "x..."}}')}, s, 1,
             "unknown lane"),
        Case("no tracks", {s: song(tracks="{}")}, s, 1, "at least one track"),
        Case("no sections", {s: song(sections="[]")}, s, 1, "at least one section"),
        Case("bars 0", {s: song(sections="\n  - {bars: 0, play: [p]}")}, s, 1, "bars"),
        Case("bars 10000", {s: song(sections="\n  - {bars: 10000, play: [p]}")}, s, 1, "bars"),
        Case("bars negative", {s: song(sections="\n  - {bars: -4, play: [p]}")}, s, 1, "bars"),
        Case("bars as text", {s: song(sections="\n  - {bars: many, play: [p]}")}, s, 1, "bars"),
        Case("tempo 0", {s: song(tempo=0)}, s, 1, "tempo"),
        Case("tempo as list", {s: song(tempo="[1, 2]")}, s, 1, "tempo"),
        Case("meter 0/4", {s: song(meter="0/4")}, s, 1, "meter"),
        Case("meter 4/3", {s: song(meter="4/3")}, s, 1, "meter"),
        Case("meter with 400 digits", {s: song(meter="4/" + "4" * 400)}, s, 1, "digits"),
        Case("underscored integer of 3000 digits", {s: song(seed="1_" * 3000 + "1")}, s, 1,
             "digits"),
        Case("unknown device", {s: song(tracks="\n  k: {device: nosuch}")}, s, 1, "unknown device"),
        Case("unknown voice", {s: song(tracks="\n  k: {voice: nosuch}")}, s, 1, "unknown voice"),
        Case("channel 17", {s: song(tracks="\n  keys: {voice: piano, channel: 17}")}, s, 1,
             "channel"),
        Case("velocity 0", {s: pattern("{track: keys, steps: C4, velocity: 0}")}, s, 1,
             "velocity"),
        Case("gate 0%", {s: pattern("{track: keys, steps: C4, gate: 0%}")}, s, 1, "gate"),
        Case("gate 1e9%", {s: pattern("{track: keys, steps: C4, gate: 1e9%}")}, s, 1, "gate"),
        Case("swing 100%", {s: pattern("{track: keys, steps: C4 D4, swing: 100%}")}, s, 1,
             "swing"),
        Case("length 0", {s: pattern("{track: keys, steps: C4, length: 0}")}, s, 1, "length"),
        Case("unknown note", {s: pattern('{track: keys, steps: "H2"}')}, s, 1, "H2"),
        Case("chord soup", {s: pattern('{track: keys, chords: "Xm7b99#11/Q"}')}, s, 1, ""),
        Case("velocity suffix 999", {s: pattern('{track: keys, steps: "C4:999"}')}, s, 1, ""),
        Case("nudge 99", {s: pattern('{track: keys, steps: "C4>99"}')}, s, 1, ""),
        Case("10 000 stacked notes", {s: pattern(
            '{track: keys, steps: "' + "+".join(["C4"] * 10000) + '"}')}, s, 0),
        Case("unicode names", {s: song(
            cue='"Café — 東京 🎹"', tracks='\n  "🎹 keys": {voice: piano}',
            patterns='\n  p: {track: "🎹 keys", steps: "C4"}',
            sections='\n  - {name: "間奏 ✨", bars: 1, play: [p]}')}, s, 0),
        Case("zero-width and RTL names", {s: song(cue='"\\u200b\\u05d0\\u05d1"')}, s, 0),
        Case("very long cue name", {s: song(cue="y" * 100000)}, s, 0),
        Case("9999 sections", {s: song(sections="".join(
            "\n  - {bars: 1, play: [p]}" for _ in range(9999)))}, s, 0),
        Case("play an unknown pattern", {s: song(sections="\n  - {bars: 1, play: [nope]}")}, s, 1,
             "unknown pattern"),
        Case("automate an unknown CC", {s: song(sections=(
            "\n  - {bars: 1, play: [p], automate: {bass.nosuch: 3}}"))}, s, 1, "unknown CC"),
        Case("program 1000", {s: song(sections=(
            "\n  - {bars: 1, play: [p], program: {keys: 1000}}"))}, s, 1, "program"),
    ]
    return out


def _include_cases() -> list[Case]:
    s = "songs/x.yaml"
    theme = "themes:\n  t: {chords: C | F}\n"
    use = '\n  p: {track: keys, use: t}'
    out = [
        Case("include outside: /etc/passwd", {s: song(include="/etc/passwd", patterns=use)}, s, 1,
             "outside the project", never=("root:x:0:0", "/bin/bash", "nologin")),
        Case("include outside: a .env above the project",
             {s: song(include="../../.env", patterns=use), "../.env": "API_TOKEN=sekrit-123\n"}, s,
             1, "outside the project", never=("sekrit", "API_TOKEN")),
        Case("include outside through a symlink", {
            s: song(include="t.yaml", patterns=use), "songs/t.yaml": Link("../secret.yaml"),
            "secret.yaml": "themes: {t: {chords: TOKEN=hunter2}}\n"}, s, 1, "outside",
             never=("hunter2",)),
        Case("include /dev/zero", {s: song(include="/dev/zero", patterns=use)}, s, 1, "outside"),
        Case("include /proc/self/environ", {s: song(include="/proc/self/environ", patterns=use)},
             s, 1, "outside"),
        Case("include a symlink loop", {s: song(include="loop.yaml", patterns=use),
                                        "songs/loop.yaml": Link("loop.yaml")}, s, 1, "loop"),
        Case("include a two-link loop", {s: song(include="a.yaml", patterns=use),
                                         "songs/a.yaml": Link("b.yaml"),
                                         "songs/b.yaml": Link("a.yaml")}, s, 1, "loop"),
        Case("include a dangling link", {s: song(include="gone.yaml", patterns=use),
                                         "songs/gone.yaml": Link("nowhere.yaml")}, s, 1, ""),
        Case("include a folder", {s: song(include="themes", patterns=use),
                                  "songs/themes/a.yaml": theme}, s, 1, "not a regular file"),
        Case("include a FIFO", {s: song(include="pipe.yaml", patterns=use),
                                "songs/pipe.yaml": FIFO}, s, 1, "not a regular file"),
        Case("include itself", {s: song(include="x.yaml", patterns=use)}, s, 1, "cycle"),
        Case("include cycle of two", {s: song(include="a.yaml", patterns=use),
                                      "songs/a.yaml": "include: b.yaml\n" + theme,
                                      "songs/b.yaml": "include: a.yaml\n"}, s, 1, "cycle"),
        Case("include missing", {s: song(include="nope.yaml", patterns=use)}, s, 1, "not found"),
        Case("include binary", {s: song(include="b.yaml", patterns=use),
                                "songs/b.yaml": bytes(range(256))}, s, 1, ""),
        Case("include inside songs/themes", {s: song(include="themes/t.yaml", patterns=use),
                                             "songs/themes/t.yaml": theme}, s, 0),
        Case("include from patches/", {
            s: song(include="../patches/t.yaml", patterns=use), "patches/t.yaml": theme,
            "config.yaml": "patches: patches\n"}, s, 0),
        Case("diamond include", {s: song(include="[a.yaml, b.yaml]", patterns=use),
                                 "songs/a.yaml": "include: c.yaml\n",
                                 "songs/b.yaml": "include: c.yaml\n", "songs/c.yaml": theme}, s, 0),
        Case("diamond include in a theme file", {
            "songs/themes/all.yaml": "include: [a.yaml, b.yaml]\nthemes: {u: {chords: G}}\n",
            "songs/themes/a.yaml": "include: c.yaml\n", "songs/themes/b.yaml": "include: c.yaml\n",
            "songs/themes/c.yaml": theme}, "songs/themes/all.yaml", 0),
        Case("same theme defined in two files", {
            s: song(include="[a.yaml, b.yaml]", patterns=use), "songs/a.yaml": theme,
            "songs/b.yaml": theme}, s, 1, "defined twice"),
        Case("include widened by config", {s: song(include="../shared/t.yaml", patterns=use),
                                           "shared/t.yaml": theme,
                                           "config.yaml": "includes: [shared]\n"}, s, 0),
        Case("config includes: a missing folder", {"config.yaml": "includes: [nope]\n"},
             "config.yaml", 1, "not found"),
        Case("include 200 files deep", {
            s: song(include="i0.yaml", patterns=use),
            **{f"songs/i{i}.yaml": f"include: i{i + 1}.yaml\n" for i in range(200)},
            "songs/i200.yaml": theme}, s, 0),
        Case("include an alias bomb", {s: song(include="bomb.yaml", patterns=use),
                                       "songs/bomb.yaml": LOL},
             s, 1, "the limit"),
    ]
    return out


def _set_cases() -> list[Case]:
    good = {"songs/a.yaml": song(cue="A"), "songs/b.yaml": song(cue="B")}
    st = "songs/sets/n.yaml"
    out = [
        Case("set with a BOM", {**good, st: "\ufeffset: N\ncues: [../a.yaml, ../b.yaml]\n"}, st, 0),
        Case("set with a quoted key", {**good, st: '"set": N\ncues: [../a.yaml]\n'}, st, 0),
        Case("set in flow style", {**good, st: "{set: N, cues: [../a.yaml, ../b.yaml]}\n"}, st, 0),
        Case("indented set document", {**good, st: "  set: N\n  cues:\n    - ../a.yaml\n"}, st, 0),
        Case("set key after cues", {**good, st: "cues: [../a.yaml]\nset: N\n"}, st, 0),
        Case("set with a document marker", {**good, st: "---\nset: N\ncues: [../a.yaml]\n"}, st, 0),
        Case("set: song is a symlink loop", {**good, st: "set: N\ncues: [loop.yaml]\n",
                                             "songs/sets/loop.yaml": Link("loop.yaml")}, st, 1,
             "loop"),
        Case("set: song is a folder", {**good, st: "set: N\ncues: [..]\n"}, st, 1, "regular file"),
        Case("set: song is a FIFO", {**good, st: "set: N\ncues: [p.yaml]\n",
                                     "songs/sets/p.yaml": FIFO}, st, 1, "regular file"),
        Case("set: missing song", {**good, st: "set: N\ncues: [../nope.yaml]\n"}, st, 1,
             "not found"),
        Case("set: no cues", {**good, st: "set: N\ncues: []\n"}, st, 1, "at least one cue"),
        Case("set: bad next", {**good, st: "set: N\ncues: [{song: ../a.yaml, next: soon}]\n"}, st,
             1, "next"),
        Case("set: song with an error", {**good, "songs/a.yaml": song(tempo=0),
                                         st: "set: N\ncues: [../a.yaml]\n"}, st, 1, "tempo"),
        Case("set: 500 cues", {**good, st: "set: N\ncues: [" + ", ".join(
            ["../a.yaml"] * 500) + "]\n"}, st, 0),
        Case("set: name with escapes", {**good, st: 'set: "\\e[2J"\ncues: [../a.yaml]\n'}, st, 0),
        Case("set: alias bomb in cues", {**good, st: "set: N\nx: &x [../a.yaml, ../a.yaml]\n"
                                         "cues: [*x]\n"}, st, 1, "cues"),
        # A set's `song:` entries are confined like `include:` (songs/, patches/, includes:).
        Case("set: song /etc/passwd", {**good, st: "set: N\ncues: [/etc/passwd]\n"}, st, 1,
             "outside the project", never=("root:x:0:0", "/bin/bash", "nologin")),
        Case("set: song is a .env above the project", {
            **good, st: "set: N\ncues: [{song: ../../../.env}]\n",
            "../.env": "API_TOKEN=sekrit-123\n"}, st, 1, "outside the project",
             never=("sekrit", "API_TOKEN")),
        Case("set: song in the project but outside songs/", {
            **good, st: "set: N\ncues: [../../notes.yaml]\n",
            "notes.yaml": "cue: [PASSWORD=swordfish\n"}, st, 1, "outside the project",
             never=("swordfish", "PASSWORD")),
        Case("set: song through a symlink out", {
            **good, st: "set: N\ncues: [s.yaml]\n", "songs/sets/s.yaml": Link("../../../x.yaml"),
            "../x.yaml": "cue: TOKEN=hunter2\ntempo: [\n"}, st, 1, "outside",
             never=("hunter2", "TOKEN")),
        Case("set: song /dev/zero", {**good, st: "set: N\ncues: [/dev/zero]\n"}, st, 1,
             "outside"),
        Case("set: song /proc/self/environ", {**good, st: "set: N\ncues: [/proc/self/environ]\n"},
             st, 1, "outside"),
        Case("set: outside error is at the song line", {
            **good, st: "set: N\ncues:\n  - ../a.yaml\n  - {song: /etc/hostname}\n"}, st, 1,
             "n.yaml:4:12: cue 2: song: '/etc/hostname' is outside the project"),
        Case("set: song in an includes: folder", {
            **good, "config.yaml": "includes: [../shared]\n", "../shared/c.yaml": song(cue="C"),
            st: "set: N\ncues: [../../../shared/c.yaml]\n"}, st, 0),
        Case("set: song in patches/", {
            **good, "config.yaml": "patches: patches\n", "patches/extra.yaml": song(cue="P"),
            st: "set: N\ncues: [../../patches/extra.yaml]\n"}, st, 0),
    ]
    return out


DEVICE = """\
device: dev
name: Test Device
channel: 1
parts: 1
voices: 4
stand_in: piano
"""

VOICE = """\
mode: poly
voices: 4
oscillators:
  - {wave: saw, level: 0.5}
amp: {attack: 0.01, decay: 0.1, sustain: 0.5, release: 0.1}
"""


def _device_voice_cases() -> list[Case]:
    d = "patches/devices/dev.yaml"
    v = "patches/voices/v.yaml"
    voices = {"patches/voices/piano.yaml": VOICE}
    out = [
        Case("device ok", {d: DEVICE, **voices}, d, 0),
        Case("device: unknown stand-in", {d: DEVICE.replace("piano", "nosuch"), **voices}, d, 1,
             "unknown voice"),
        Case("device: empty lanes", {d: DEVICE + "lanes: {}\n", **voices}, d, 1, "empty"),
        Case("device: channel 0", {d: DEVICE.replace("channel: 1", "channel: 0"), **voices}, d, 1,
             "channel"),
        Case("device: channel of 200 digits", {d: DEVICE.replace("channel: 1", "channel: "
                                                                 + "1" * 200), **voices}, d, 1,
             "digits"),
        Case("device: id differs from the file", {d: DEVICE.replace("device: dev", "device: x"),
                                                  **voices}, d, 1, "file name"),
        Case("device: cc 128", {d: DEVICE + "cc: {cutoff: 128}\n", **voices}, d, 1, "cc"),
        Case("device: deep nesting", {d: DEVICE + "cc: " + "[" * 100 + "]" * 100 + "\n",
                                      **voices}, d, 1, "deep"),
        Case("device: alias bomb", {d: DEVICE + LOL, **voices}, d, 1, "the limit"),
        Case("device: escape in name", {d: DEVICE.replace("Test Device", '"\\e[31mred"'),
                                        **voices}, d, 0),
        Case("voice ok", {v: VOICE}, v, 0),
        Case("voice: no oscillators", {v: VOICE.replace("  - {wave: saw, level: 0.5}\n", "")
                                       .replace("oscillators:\n", "oscillators: []\n")}, v, 1,
             "at least one oscillator"),
        Case("voice: oscillators missing", {v: VOICE.replace(
            "oscillators:\n  - {wave: saw, level: 0.5}\n", "")}, v, 1, "oscillators"),
        Case("voice: unknown wave", {v: VOICE.replace("saw", "banana")}, v, 1, "banana"),
        Case("voice: 10^6 voices", {v: VOICE.replace("voices: 4", "voices: 1000000")}, v, 1,
             "voices"),
        Case("voice: level 1e308", {v: VOICE.replace("level: 0.5", "level: 1e308")}, v, 1, ""),
        Case("voice: 5000 oscillators", {v: VOICE + "".join(
            "  - {wave: saw, level: 0.5}\n" for _ in range(5000))}, v, 1, ""),
        Case("voice: nan attack", {v: VOICE.replace("attack: 0.01", "attack: .nan")}, v, 1, ""),
        Case("voice: binary", {v: bytes(range(256)) * 4}, v, 1, ""),
    ]
    return out


def _config_cases() -> list[Case]:
    c = "config.yaml"
    out = [
        Case("config: keys only", {c: "keys: {play: p}\n"}, c, 0),
        Case("config: controller only", {c: 'controller: {port: "nanoKONTROL"}\n'}, c, 0),
        Case("config: osc only", {c: "osc: {port: 9001}\n"}, c, 0),
        Case("config: patches outside, missing", {c: "patches: /nonexistent\n"}, c, 1,
             "outside the project"),
        Case("config: patches missing inside", {c: "patches: kit\n"}, c, 1, "not found"),
        # `patches:` is confined: the project folder, rig's own patches, `includes:` folders.
        Case("config: patches /etc", {c: "patches: /etc\n"}, c, 1, "outside the project"),
        Case("config: patches ../..", {c: "patches: ../..\n"}, c, 1, "outside the project"),
        Case("config: patches ~", {c: "patches: '~/'\n"}, c, 1, "outside the project"),
        Case("config: patches through a symlink out", {
            c: "patches: kit\n", "kit": Link("/etc")}, c, 1, "outside"),
        Case("config: patches above with a foreign device", {
            c: "patches: ../theirs\n", "../theirs/devices/d.yaml": "device: [TOKEN=hunter2\n"},
             c, 1, "config.yaml:1:10: patches: '../theirs' is outside the project",
             never=("hunter2", "TOKEN")),
        Case("config: patches in an includes: folder", {
            c: "includes: [../theirs]\npatches: ../theirs\n",
            "../theirs/devices": Link(str(REPO_PATCHES / "devices"))}, c, 0),
        Case("config: patches below the project", {
            c: "patches: kit\n", "kit/devices": Link(str(REPO_PATCHES / "devices"))}, c, 0),
        Case("config: osc port 70000", {c: "osc: {port: 70000}\n"}, c, 1, "port"),
        Case("config: unknown key", {c: "midi: {backend: jack}\nmidii: 1\n"}, c, 1, "unknown key"),
    ]
    for i, rx in enumerate(["/(a+)+$/", "/(a|a)*$/", "/(.*)*x/", "/(\\\\w+\\\\s?)*$/",
                            "/^(([a-z])+.)+[A-Z]([a-z])+$/", "/(x+x+)+y/", "/(\\\\w)\\\\1/",
                            "/" + "a" * 300 + "/"]):
        out.append(Case(f"config: ReDoS port pattern {i}",
                        {c: f'devices:\n  virus: {{port: "{rx}"}}\n'}, c, 1, "regular expression"))
        out.append(Case(f"config: ReDoS controller pattern {i}",
                        {c: f'controller: {{port: "{rx}"}}\n'}, c, 1, "regular expression"))
    out.append(Case("config: a safe regex", {c: 'devices:\n  virus: {port: "/^virus.*[0-9]$/"}\n'},
                    c, 0))
    out.append(Case("config: bad regex", {c: 'devices:\n  virus: {port: "/[/"}\n'}, c, 1,
                    "regular expression"))
    return out


def _fs_cases() -> list[Case]:
    out = [
        Case("FIFO named *.yaml", {"songs/p.yaml": FIFO}, "songs/p.yaml", 1, "FIFO"),
        Case("FIFO in a checked folder", {"songs/p.yaml": FIFO, "songs/a.yaml": song()}, "songs",
             0, "skip"),
        Case("socket in a checked folder", {"songs/s.yaml": SOCKET, "songs/a.yaml": song()},
             "songs", 0, "socket"),
        Case("socket named directly", {"songs/s.yaml": SOCKET}, "songs/s.yaml", 1, "socket"),
        Case("symlink loop file in a folder", {"songs/l.yaml": Link("l.yaml"),
                                               "songs/a.yaml": song()}, "songs", 0, "skip"),
        Case("symlink loop folder", {"songs/sub": Link("."), "songs/a.yaml": song()}, "songs", 0),
        Case("symlink to /dev/zero", {"songs/z.yaml": Link("/dev/zero")}, "songs/z.yaml", 1,
             "device"),
        Case("symlink to /dev/null", {"songs/z.yaml": Link("/dev/null")}, "songs/z.yaml", 1,
             "device"),
        Case("folder named x.yaml", {"songs/d.yaml/a.txt": "x"}, "songs/d.yaml", 1, ""),
        Case("missing file", {}, "songs/nope.yaml", 1, "not found"),
        Case("file over the size limit", {"songs/big.yaml": b"a: " + b"x" * (17 << 20)},
             "songs/big.yaml", 1, "larger than"),
        Case("gzip bytes", {"songs/g.yaml": bytes.fromhex("1f8b0800000000000003") + b"\x00" * 20},
             "songs/g.yaml", 1, ""),
        Case("PNG bytes", {"songs/g.yaml": b"\x89PNG\r\n\x1a\n" + bytes(range(200))},
             "songs/g.yaml", 1, ""),
        Case("a MIDI file renamed", {"songs/m.yaml": b"MThd\x00\x00\x00\x06\x00\x01\x00\x01"},
             "songs/m.yaml", 1, ""),
        Case("all bytes 0..255", {"songs/b.yaml": bytes(range(256))}, "songs/b.yaml", 1, ""),
        Case("empty folder", {"songs/.keep": ""}, "songs", 1, "no YAML files"),
        Case("name with escape sequence", {"songs/\x1b[2Jx.yaml": song()}, "songs", 0),
        Case("name with a newline", {"songs/a\nb.yaml": song()}, "songs", 0),
    ]
    return out


def cases() -> list[Case]:
    return (
        _yaml_cases()
        + _control_cases()
        + _song_cases()
        + _include_cases()
        + _set_cases()
        + _device_voice_cases()
        + _config_cases()
        + _fs_cases()
    )
