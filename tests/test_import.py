"""`rig import`: a part played into a DAW (mido-written, off the grid) comes back as steps
with its micro-timing, lengths, velocities, chords, tempo and meter, and re-exports to the
exact ticks; the command's usage, exit codes and refusal to overwrite."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import mido
import pytest

from rig.cli import main
from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, EXIT_WRITE_FAILED
from rig.midi.smfimport import grid_ticks, shortest_decimal
from rig.song.steps import held_ticks, nudge_ticks
from tests.support.smfnotes import notes_of

REPO = Path(__file__).resolve().parents[1]
CONFIG = ["--config", str(REPO / "config.yaml")]

# (beat-relative start in the DAW's 480 PPQ, length, pitches, velocity): a humanized take
TAKE = [
    (0 + 7, 452, (48, 52, 55), 96),  # a chord 7 ticks late, a bit short
    (480 - 11, 470, (50,), 81),  # 11 ticks early
    (960 + 3, 1400, (53, 57), 110),  # late, held almost three beats
    (1920 + 240 - 2, 233, (60,), 64),  # on the "and", early
    (2400 + 1, 700, (59,), 127),  # under the held chord: a second layer
    (3840 + 13, 1300, (48, 55, 64), 100),  # bar 3 (3/4 from bar 3)
    (3840 + 1440 + 5, 300, (67,), 90),  # bar 4, late
]


def daw_file(path: Path, ppq: int = 480) -> list[tuple[int, int, int, int, int]]:
    """A type-1 file as a DAW writes it: tempo track (120 → 3/4 at bar 3, 92.5 bpm at
    bar 4) then one named part on channel 5. Returns the notes (on, off, ch, pitch, vel)."""
    k = ppq // 480
    midi = mido.MidiFile(type=1, ticks_per_beat=ppq)
    tempo = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name="Take 1", time=0),
            mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
            mido.MetaMessage("set_tempo", tempo=500000, time=0),
            mido.MetaMessage("time_signature", numerator=3, denominator=4, time=3840 * k),
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(92.5), time=1440 * k),
        ]
    )
    events = []
    notes = []
    for on, length, pitches, vel in TAKE:
        for p in pitches:
            events.append((on * k, 1, p, vel))
            events.append(((on + length) * k, 0, p, 0))
            notes.append((on * k, (on + length) * k, 4, p, vel))
    part = mido.MidiTrack([mido.MetaMessage("track_name", name="Keys", time=0)])
    now = 0
    for tick, is_on, p, vel in sorted(events):
        kind = "note_on" if is_on else "note_off"
        part.append(mido.Message(kind, channel=4, note=p, velocity=vel, time=tick - now))
        now = tick
    midi.tracks += [tempo, part]
    midi.save(str(path))
    return sorted(notes)


def tempi_of(path: Path) -> list[tuple[int, float]]:
    midi = mido.MidiFile(str(path))
    tick, out = 0, []
    for msg in midi.tracks[0]:
        tick += msg.time
        if msg.type == "set_tempo":
            out.append((tick * 1920 // midi.ticks_per_beat, round(mido.tempo2bpm(msg.tempo), 2)))
    return out


@pytest.mark.parametrize("ppq", [480, 960, 1920])
def test_humanized_daw_take_reexports_to_the_same_ticks(tmp_path: Path, ppq: int) -> None:
    take = tmp_path / "take.mid"
    want = daw_file(take, ppq)
    song, again = tmp_path / "take.yaml", tmp_path / "again.mid"
    assert main(["import", str(take), "-o", str(song), *CONFIG]) == EXIT_OK
    text = song.read_text(encoding="utf-8")
    assert main(["export", str(song), "-o", str(again), *CONFIG]) == EXIT_OK
    scale = 1920 // ppq if ppq <= 1920 else 1
    assert notes_of(again) == [(a * scale, b * scale, c, p, v) for a, b, c, p, v in want]
    # the residue is micro-timing, the chords are chords, the meter and tempo are the file's
    # 7 ticks of 480 PPQ late = 28 of rig's: 1.4/24 of a 1/16 step; 11 early = 2.2/24
    assert "C3+E3+G3>1.4=76.6% ~ ~ ~ D3:81<2.2=91.6% ~ ~ ~" in text
    assert 'meter: "3/4"' in text and "tempo: 92.5" in text and "tempo: 120" in text
    assert "cue: Take 1" in text or 'cue: "Take 1"' in text
    assert "channel: 5" in text
    assert [b for _, b in tempi_of(again)] == [120.0, 92.5]
    assert [t for t, _ in tempi_of(again)] == [0, (3840 + 1440) * 4]


def test_the_held_chord_and_the_note_under_it_are_two_layers(tmp_path: Path) -> None:
    take = tmp_path / "take.mid"
    daw_file(take)
    out = tmp_path / "take.yaml"
    assert main(["import", str(take), "-o", str(out), "--bars", "1-2", *CONFIG]) == EXIT_OK
    text = out.read_text(encoding="utf-8")
    assert "  Keys:\n" in text and "  Keys-2:\n" in text
    assert "play: [Keys, Keys-2]" in text
    assert "F3+A3:110>0.6=66.6% ~ ~ ~ ~ ~ ~ ~ |\n      ~ ~ ~ ~ B3!>0.2" in text  # tied, own gate
    assert "      . . C4<0.4=94.1% ~ . . " in text  # struck under the held chord
    assert text.count("  - {") == 1  # bars 1-2: one section, 4/4


def test_bars_counts_the_files_own_bars(tmp_path: Path) -> None:
    take = tmp_path / "take.mid"
    want = daw_file(take)
    out, again = tmp_path / "b.yaml", tmp_path / "b.mid"
    assert main(["import", str(take), "-o", str(out), "--bars", "3-4", *CONFIG]) == EXIT_OK
    text = out.read_text(encoding="utf-8")
    assert "meter: 3/4" in text  # bar 3 is the first 3/4 bar
    assert main(["export", str(out), "-o", str(again), *CONFIG]) == EXIT_OK
    start = 3840 * 4  # the file's bar 3, at rig's 1920 PPQ
    assert notes_of(again) == [
        (a * 4 - start, b * 4 - start, c, p, v) for a, b, c, p, v in want if a >= 3840
    ]


def test_grid_is_a_choice_and_the_residue_follows_it(tmp_path: Path) -> None:
    take = tmp_path / "take.mid"
    want = daw_file(take)
    out, again = tmp_path / "g.yaml", tmp_path / "g.mid"
    assert main(["import", str(take), "-o", str(out), "--grid", "1/8", *CONFIG]) == EXIT_OK
    assert "rate: 1/8" in out.read_text(encoding="utf-8")
    assert main(["export", str(out), "-o", str(again), *CONFIG]) == EXIT_OK
    assert notes_of(again) == [(a * 4, b * 4, c, p, v) for a, b, c, p, v in want]


def test_track_by_number_or_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    midi = tmp_path / "inferno.mid"
    assert main(["export", str(REPO / "songs/inferno.yaml"), "-o", str(midi), *CONFIG]) == 0
    capsys.readouterr()
    assert main(["import", str(midi), "--track", "1", "-o", "-", *CONFIG]) == EXIT_OK
    by_number = capsys.readouterr().out
    assert main(["import", str(midi), "--track", "bass", "-o", "-", *CONFIG]) == EXIT_OK
    assert capsys.readouterr().out == by_number
    assert "bass: {device: monopoly, channel: 3}" in by_number and "drums" not in by_number
    assert main(["import", str(midi), "--track", "9", "-o", "-", *CONFIG]) == EXIT_BAD_INPUT
    assert "the file has 5 tracks with notes" in capsys.readouterr().err
    assert main(["import", str(midi), "--track", "bas", "-o", "-", *CONFIG]) == EXIT_BAD_INPUT
    assert "no track of that name" in capsys.readouterr().err


def test_help_has_an_example_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "example:" in out and "rig import take.mid" in out and "exit codes:" in out
    assert main(["--help"]) == EXIT_OK
    assert "  import " in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [["--grid", "1/7"], ["--grid", "3/16"], ["--bars", "5-2"], ["--bars", "x"], []],
)
def test_usage_errors(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    take = tmp_path / "take.mid"
    daw_file(take)
    output = [] if not args else ["-o", str(tmp_path / "o.yaml")]
    assert main(["import", str(take), *output, *args, *CONFIG]) == EXIT_USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = tmp_path / "take.mid"
    daw_file(take)
    out = tmp_path / "song.yaml"
    out.write_text("cue: my song, hand-written\n", encoding="utf-8")
    assert main(["import", str(take), "-o", str(out), *CONFIG]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"rig import: {out} exists (use --force to replace it)\n"
    assert out.read_text(encoding="utf-8") == "cue: my song, hand-written\n"
    assert main(["import", str(take), "-o", str(out), "--force", *CONFIG]) == EXIT_OK
    assert out.read_text(encoding="utf-8").startswith("# imported by `rig import ")


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    take = tmp_path / "take.mid"
    daw_file(take)
    out = tmp_path / "song.yaml"
    out.write_text("old\n", encoding="utf-8")

    def full_disk(self: Path, text: str, encoding: str = "utf-8") -> int:
        Path.write_bytes(self, text.encode()[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    assert main(["import", str(take), "-o", str(out), "--force", *CONFIG]) == EXIT_WRITE_FAILED
    monkeypatch.undo()
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.yaml", "take.mid"]


def test_shortest_decimals_invert_the_compilers_rounding() -> None:
    for step in (grid_ticks(Fraction(1, n)) for n in (1, 2, 4, 8, 12, 16, 24, 32, 64, 128)):
        for residue in range(-step + 1, step):
            scale = Fraction(24, step)
            v = shortest_decimal(residue * scale, (residue + 1) * scale, open_lo=False)
            assert v is not None and nudge_ticks(v, step) == residue
    assert shortest_decimal(Fraction(7, 20), Fraction(8, 20), open_lo=False) == Fraction(35, 100)
    assert held_ticks(1, Fraction(9792, 10000), Fraction(1), 480) == 470


def test_readme_example_is_what_import_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("# imported by `rig import take.mid`")
    shown = readme[start : readme.index("```", start)]
    daw_file(tmp_path / "take.mid")
    monkeypatch.chdir(tmp_path)
    args = ["import", "take.mid", "--track", "Keys", "--bars", "1-2", "-o", "-", *CONFIG]
    assert main(args) == EXIT_OK
    assert capsys.readouterr().out == shown


def test_drum_parts_become_lanes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A beat of its own: the cues' drums breathe (accents, humanize) and change.
    song = tmp_path / "beat.yaml"
    song.write_text(
        "cue: Beat\ntempo: 96\nmeter: 4/4\ntracks:\n  drums: {device: rytm}\npatterns:\n"
        '  kick: {track: drums, lanes: {BD: "X... x... x... x..."}}\n'
        '  snare: {track: drums, lanes: {SD: ".... x... .... x... .... x... .... x..."}}\n'
        "sections:\n  - {name: a, bars: 4, play: [kick, snare]}\n",
        encoding="utf-8",
    )
    midi = tmp_path / "beat.mid"
    assert main(["export", str(song), "-o", str(midi), *CONFIG]) == 0
    capsys.readouterr()
    assert main(["import", str(midi), "--track", "drums", "-o", "-", *CONFIG]) == EXIT_OK
    out = capsys.readouterr()
    assert "    lanes:\n      BD: >-\n        X... x... x... x... |\n" in out.out
    assert "      SD: >-\n        .... x... .... x... |\n" in out.out  # each lane its own loop
    assert "C-1" not in out.out and out.err == ""  # no note names, no tempo remarks


def test_type_0_file_gives_a_track_per_channel(tmp_path: Path) -> None:
    midi = mido.MidiFile(type=0, ticks_per_beat=960)
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Jam")])
    for n, (channel, pitch) in enumerate([(0, 60), (9, 36), (0, 64), (9, 38)]):
        track.append(mido.Message("note_on", channel=channel, note=pitch, velocity=80 + n,
                                  time=0 if n == 0 else 480 + n))  # fmt: skip
        track.append(mido.Message("note_off", channel=channel, note=pitch, time=200))
    midi.tracks.append(track)
    take, out, again = tmp_path / "jam.mid", tmp_path / "jam.yaml", tmp_path / "again.mid"
    midi.save(str(take))
    assert main(["import", str(take), "-o", str(out), *CONFIG]) == EXIT_OK
    text = out.read_text(encoding="utf-8")
    assert '"Jam ch1": {device: gm, channel: 1}' in text
    assert '"Jam ch10": {device: gm, channel: 10}' in text and "lanes:" in text  # GM drums
    assert main(["export", str(out), "-o", str(again), *CONFIG]) == EXIT_OK
    assert notes_of(again) == [(a * 2, b * 2, c, p, v) for a, b, c, p, v in notes_of(take)]


def test_an_output_that_cannot_be_written_is_exit_4_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    midi = tmp_path / "beat.mid"
    assert main(["export", str(REPO / "songs/utopie.yaml"), "-o", str(midi), *CONFIG]) == 0
    capsys.readouterr()
    out = tmp_path / "no-such-folder" / "utopie.yaml"
    assert main(["import", str(midi), "-o", str(out), *CONFIG]) == EXIT_WRITE_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rig import: cannot write" in err[0], err
    assert not out.parent.exists()
