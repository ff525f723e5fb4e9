"""Hot reload: watch songs, sets and patches; compile what changed; hand it to the engine.

Runs in the controlling process (the live UI), never in the engine: loading and
compiling a cue is 6-45 ms of Python here. On every change (watchfiles, debounced):

- the project (config.yaml, device definitions) is re-read if one of its files
  changed, then every cue of the set is loaded, checked and compiled — a theme
  shared by several cues may have changed, and all problems are reported at once;
- an **invalid** edit is reported as `file:line:col: message` and nothing is sent:
  the old version keeps playing;
- a **valid** edit is compared with what the engine has; only the cues whose
  events, tempo, sections or tracks differ go into a bundle (`rig.engine.bundle`),
  and `/rig/reload <bundle> <quantize>` tells the engine to swap them in at the
  next boundary (a cue that is playing goes on at the same bar of its new
  version). An edit of the set file itself (order, transitions) sends the whole set.

A software voice a cue uses (`patches/voices/<name>.yaml`) is checked on its own:
an invalid edit is reported (`file:line:col: message`; the old voice plays on), a
valid one that sounds different from what the engine has is written to a small
file (`rig.engine.bundle.write_voice`) and `/rig/voice <name> <file> <quantize>`
makes the engine build the new instrument and swap it in at the next boundary.
An edit of a voice no cue uses changes nothing live (a new voice file may make a
song valid, so it still counts as a project change).

One watcher per show (`rig.stage.watchlock`): with a `lock`, `watch` first takes
the show's watch lock, waiting (and saying so) while another UI holds it. A
reloader that does not know what the engine has — a UI attached to a running
show, or one that took over from another — first sends the set as its files are
now (`catch_up`): the engine swaps in only the cues whose music differs
(`rig.engine.landing`), so edits saved while no UI watched take effect, and
nothing else is touched (issue 12). Each software voice whose file now sounds
different from the version the engine plays is sent too: that version is read
from the show's voice record (`rig.stage.voicerecord`, the `record` file, which
the watching reloader keeps up to date as it sends voices).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rig.dsp.spec import VoiceSpec
from rig.engine.bundle import write_bundle, write_voice
from rig.song.arrangement import Arrangement
from rig.song.same import same_music
from rig.source.errors import InputError
from rig.stage.voicerecord import read_record, write_record
from rig.stage.watchlock import WatchLock

__all__ = ["Reloader", "same_music"]

Report = Callable[[str, bool], None]  # (message, is_error)
_NO_CHANGE = "saved: no change to the music"
LOCK_RETRY_S = 1.0  # a UI waiting for the watch lock tries again this often
SETLIST_WAIT_S = 5.0  # catch_up waits this long for the engine's set list
CAUGHT_UP = "hot reload on: edits saved while no UI watched: takes effect at the next bar"
VOICES_CAUGHT_UP = "; edited voice "  # catch_up's clause on voices (rig.stage.ui.messages keeps it)
WAITING = "hot reload: another UI of this show watches the files; this one waits"


class Reloader:
    """Compiles the set on change and sends what changed (see module doc).

    `load_project()` returns a `rig.project.Project`; `send(address, *args)` reaches
    the engine. `cues`/`transitions` start as what the engine was given; `voices`
    (name → spec) as the software voices it plays, read from the voice files now
    when not given.
    """

    def __init__(
        self,
        load_project: Callable[[], Any],
        set_path: Path,
        send: Callable[..., None],
        bundle_dir: Path,
        *,
        cues: Sequence[Arrangement] | None = None,
        transitions: Sequence[str] = (),
        quantize: str = "bar",
        extra_paths: Sequence[Path] = (),
        voices: Mapping[str, VoiceSpec] | None = None,
        lock: WatchLock | None = None,
        engine_set: Callable[[], Any] | None = None,
        record: Path | None = None,
    ):
        self.load_project = load_project
        self.set_path = set_path.resolve()
        self.send = send
        self.bundle_dir = bundle_dir
        self.quantize = quantize
        self.project = load_project()
        self.is_set = self._is_set()
        self.warnings: list = []  # of the last version compiled (rig.dsp.standins.warnings_of)
        # Set when the files did not compile as this reloader started (`rig live --attach`
        # to a show whose song was saved broken): the UI shows it, watching goes on, and
        # the first version that compiles is sent whole (what the engine has is unknown).
        self.startup_error = ""
        # `cues` given: what the engine was started with. Not given (--attach): unknown,
        # and `watch` sends the set once (catch_up). `engine_set()`: the engine's SetInfo.
        self.knows_engine = cues is not None
        self.lock = lock
        self.engine_set = engine_set
        self.cues: list[Arrangement] = []
        if cues is not None:
            self.cues = list(cues)
        else:
            try:
                self.cues = self._compile()[0]
            except (InputError, OSError, RuntimeError) as exc:
                self.startup_error = _not_reloaded(exc)
        self.transitions = tuple(transitions) or (self._transitions() if self.cues else ())
        self.extra_paths = [p.resolve() for p in extra_paths]
        # The voices the engine plays: given, else the show's record, else the files.
        self.record = record
        played = read_record(record) if voices is None and record is not None else None
        self.voices: dict[str, VoiceSpec] = (
            dict(voices) if voices is not None
            else played if played is not None
            else self._read_voices()
        )  # fmt: skip
        self._stop = threading.Event()
        self.sent = ""  # the file the last round sent ("": none): the UI follows it in the status

    # -- one round -----------------------------------------------------------------------
    def check(self, changed: set[Path] | None = None) -> tuple[str, bool]:
        """Re-read after `changed` files changed; (message for the UI, is_error)."""
        changed = {_resolve(p) for p in changed or set()}
        self.sent = ""
        voice_files = sorted(p for p in changed if self._voice_in_use(p))
        outcomes: list[tuple[str, bool]] = []
        if changed - set(voice_files) or not voice_files:
            outcomes.append(self._check_music(changed - set(voice_files)))
        outcomes += [self._check_voice(p) for p in voice_files]
        if len(outcomes) > 1:
            outcomes = [o for o in outcomes if o[0] != _NO_CHANGE] or outcomes[:1]
        return "; ".join(m for m, _ in outcomes), any(e for _, e in outcomes)

    def _check_music(self, changed: set[Path]) -> tuple[str, bool]:
        """Songs, sets, config and devices: compile the set, send the cues that changed."""
        try:
            if any(self._is_project_file(p) for p in changed):
                self.project = self.load_project()
            cues, transitions = self._compile()
        except (InputError, OSError, RuntimeError) as exc:
            return _not_reloaded(exc), True
        sources = [c.source for c in cues]
        if sources != [c.source for c in self.cues] or transitions != self.transitions:
            path = write_bundle(
                self.bundle_dir, list(enumerate(cues)), full_set=True, transitions=transitions
            )
            self.send("/rig/reload", str(path), self.quantize)
            self.sent = path.name
            self.cues, self.transitions = cues, transitions
            if self.startup_error:  # broken since the start: the voices as their files are
                self.voices, self.startup_error = self._read_voices(), ""
            return self._with_unloaded_voices(f"set reloaded: {len(cues)} cues")
        fresh = [(i, c) for i, c in enumerate(cues) if not same_music(c, self.cues[i])]
        if not fresh:
            return _NO_CHANGE, False
        path = write_bundle(self.bundle_dir, fresh)
        self.send("/rig/reload", str(path), self.quantize)
        self.sent = path.name
        self.cues = cues
        names = ", ".join(c.name for _, c in fresh)
        message = f"reloaded {names}: takes effect at the next {self.quantize}"
        return self._with_unloaded_voices(message)

    def _with_unloaded_voices(self, message: str) -> tuple[str, bool]:
        """`message` (with the new version's warning count), and an error when the set
        now names software voices the running engine has no instrument for: their tracks
        (or stand-ins) are silent until the engine starts again — the performer must hear
        of it, not find out by ear."""
        if self.warnings:
            many = len(self.warnings) > 1
            message += f"; {len(self.warnings)} warning{'s' * many} (rig check lists them)"
        if self.project.config.audio_backend == "offline":
            return message, False
        missing = sorted(self._voices_in_use() - set(self.voices))
        if not missing:
            return message, False
        voices = ", ".join(missing)
        return f"{message}; voice {voices} is not in the running engine: silent until restart", True

    def _check_voice(self, path: Path) -> tuple[str, bool]:
        """A voice file a cue uses: check it; send it when it sounds different."""
        from rig.dsp.loader import load_voice

        name = path.stem
        try:
            spec = load_voice(path)
        except InputError as exc:
            return f"not reloaded, the old voice plays on: {_first_error(exc)}", True
        except OSError as exc:
            return f"not reloaded, the old voice plays on: {path}: {exc.strerror}", True
        if self.voices.get(name) == spec:
            return f"voice {name} saved: no change to the sound", False
        if self.project.config.audio_backend == "offline":  # the engine plays no voices
            self.voices[name] = spec
            return f"voice {name} checked: software voices do not play live (audio: offline)", False
        self.sent = self._send_voice(name, spec).name
        self._keep_record()
        return f"voice {name} reloaded: takes effect at the next {self.quantize}", False

    def _send_voice(self, name: str, spec: VoiceSpec) -> Path:
        """Hand `spec` to the engine as voice `name` (at the next quantize boundary) and
        count it as the version the engine plays; the bundle file sent."""
        bundle = write_voice(self.bundle_dir, name, spec)
        self.send("/rig/voice", name, str(bundle), self.quantize)
        self.voices[name] = spec
        return bundle

    def _catch_up_voices(self) -> tuple[list[str], list[str]]:
        """Send each voice the engine plays whose file now sounds different (saved while
        no UI watched): (their names, what is wrong with each voice file that does not
        load now — the old voice plays on, as after a broken save)."""
        from rig.dsp.loader import load_voice

        if self.project.config.audio_backend == "offline":
            return [], []
        voices_dir = Path(self.project.config.voices_dir)
        sent, broken = [], []
        for name in sorted(self._voices_in_use() & set(self.voices)):
            path = voices_dir / f"{name}.yaml"
            try:
                spec = load_voice(path)
            except (InputError, OSError) as exc:
                why = f"{path}: {exc.strerror}" if isinstance(exc, OSError) else _first_error(exc)
                broken.append(f"{name} not reloaded, the old voice plays on: {why}")
                continue
            if spec != self.voices[name]:
                self._send_voice(name, spec)
                sent.append(name)
        if sent:
            self._keep_record()
        return sent, broken

    def _keep_record(self) -> None:
        """The voices the engine now has, for the next UI (rig.stage.voicerecord)."""
        if self.record is not None:
            try:
                write_record(self.record, self.voices)
            except OSError:
                pass

    # -- watching ------------------------------------------------------------------------
    def paths(self) -> list[Path]:
        """What to watch: the folder holding the set and its cues (includes and themes
        live there too), the patches folder and the config file."""
        files = [self.set_path] + [_resolve(Path(c.source)) for c in self.cues if c.source]
        if not self.cues:  # nothing compiled yet (startup_error): the set names its songs
            files += self._set_songs()
        common = Path(_common(files))
        out = [common, self.project.config.patches_dir]
        config_path = Path(self.project.config.path)
        if config_path.exists():
            out.append(config_path.resolve())
        out += self.extra_paths
        return [p for p in dict.fromkeys(out) if p.exists()]

    def watch(self, report: Report) -> None:
        """Block, watching, until `stop()`; report the outcome of every change. With a
        lock: only while holding it (see module doc)."""
        import watchfiles

        if not self._take_lock(report):
            return
        try:
            if not self.knows_engine:
                report(*self.catch_up())
            for changes in watchfiles.watch(
                *self.paths(), stop_event=self._stop, debounce=300, raise_interrupt=False
            ):
                yamls = {Path(p) for _, p in changes if p.endswith((".yaml", ".yml"))}
                if yamls:
                    report(*self.check(yamls))
        finally:
            if self.lock is not None:
                self.lock.release()

    def _take_lock(self, report: Report) -> bool:
        """Hold the show's watch lock (True), waiting while another UI has it; False
        when stopped first. Taken after a wait, what the engine has is unknown."""
        if self.lock is None or self.lock.take():
            return True
        report(WAITING, False)
        while not self._stop.wait(LOCK_RETRY_S):
            if self.lock.take():
                self.knows_engine = False  # the other UI may have sent versions since
                return True
        return False

    def catch_up(self) -> tuple[str, bool]:
        """Send the set as its files are now: the whole set first if its cues or
        transitions differ from the engine's, then every cue as a new version — the
        engine swaps in only those whose music differs (the playing one at the next
        boundary)."""
        self.sent = ""
        try:
            self.project = self.load_project()
            cues, transitions = self._compile()
        except (InputError, OSError, RuntimeError) as exc:
            return _not_reloaded(exc), True
        engine = self._engine_set()
        if (
            engine is None
            or engine.cues != tuple(c.name for c in cues)
            or (tuple(engine.transitions) != transitions)
        ):
            whole = write_bundle(self.bundle_dir, list(enumerate(cues)), full_set=True,
                                 transitions=transitions)  # fmt: skip
            self.send("/rig/reload", str(whole), self.quantize)
        path = write_bundle(self.bundle_dir, list(enumerate(cues)))
        self.send("/rig/reload", str(path), self.quantize)
        self.cues, self.transitions = cues, transitions
        voices, broken = self._catch_up_voices()
        self.sent = path.name  # the message follows the cues; the voices' clause stays
        self.knows_engine, self.startup_error = True, ""
        message = CAUGHT_UP
        if voices:
            names = ", ".join(voices)
            message += f"{VOICES_CAUGHT_UP}{names}: new sound at the next {self.quantize}"
        if broken:  # said first (a narrow screen cuts the end), as an error, as a broken save is
            message = "; ".join(f"voice {wrong}" for wrong in broken) + f"; {message}"
        said, error = self._with_unloaded_voices(message)
        return said, error or bool(broken)

    def _engine_set(self) -> Any:
        """The engine's set list (SetInfo), waited for a little; None if not known."""
        if self.engine_set is None:
            return None
        for _ in range(round(SETLIST_WAIT_S / 0.1)):
            got = self.engine_set()
            if got is not None or self._stop.wait(0.1):
                return got
        return self.engine_set()

    def stop(self) -> None:
        self._stop.set()

    # -- inside ----------------------------------------------------------------------------
    def _set_songs(self) -> list[Path]:
        """The song files the set names, when the set file itself loads."""
        try:
            return [_resolve(e.song) for e in self.project.setlist(self.set_path).entries]
        except (InputError, OSError, RuntimeError):
            return []

    def _is_set(self) -> bool:
        from rig.song.setlist import is_setlist

        return is_setlist(self.set_path)

    def _compile(self) -> tuple[list[Arrangement], tuple[str, ...]]:
        from rig.dsp.standins import warnings_of

        songs: list = []
        cues = self.project.arrangements(self.set_path, songs=songs)
        self.warnings = warnings_of(self.project.config.voices_dir, cues, songs)
        return cues, self._transitions()

    def _transitions(self) -> tuple[str, ...]:
        if not self._is_set():
            return ("bar",)
        return tuple(e.next for e in self.project.setlist(self.set_path).entries)

    def _voices_in_use(self) -> set[str]:
        return {t.voice for c in self.cues for t in c.tracks if t.voice}

    def _voice_in_use(self, path: Path) -> bool:
        """A voice file (in the voices folder) of a voice some cue of the set uses."""
        voices_dir = Path(self.project.config.voices_dir).resolve()
        return (
            path.parent == voices_dir
            and path.suffix == ".yaml"
            and path.stem in self._voices_in_use()
        )

    def _read_voices(self) -> dict[str, VoiceSpec]:
        """The voices the cues use as their files say now (what the engine was started
        with); a voice that does not load is left out (the engine could not have it)."""
        from rig.dsp.loader import load_voice

        voices_dir = Path(self.project.config.voices_dir)
        found: dict[str, VoiceSpec] = {}
        for name in sorted(self._voices_in_use()):
            try:
                found[name] = load_voice(voices_dir / f"{name}.yaml")
            except (InputError, OSError):
                continue
        return found

    def _is_project_file(self, path: Path) -> bool:
        config = self.project.config
        return path == Path(config.path).resolve() or config.patches_dir in path.parents


def _resolve(path: Path) -> Path:
    """`path.resolve()`, or its absolute form where that fails: a song replaced by a
    symlink loop mid-show raised RuntimeError out of `check` (`rig bench faults`)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path.absolute()


def _not_reloaded(exc: Exception) -> str:
    """The message row's line for a version that does not compile."""
    if isinstance(exc, InputError):
        return f"not reloaded, the old version plays on: {_first_error(exc)}"
    if isinstance(exc, OSError):
        return f"not reloaded: {exc.filename}: {exc.strerror}"
    return f"not reloaded, the old version plays on: {exc}"  # pathlib's "Symlink loop"


def _first_error(exc: InputError) -> str:
    """The most telling problem, and how many more: one line fits the UI's message
    row. A problem with one name ("unknown note 'H1' (did you mean 'B1'?)") is the
    cause; a count that comes out wrong because of it ("bar 1 has 15 steps") is a
    consequence, so names go first (issue 12, item 11); otherwise file order."""
    ranked = sorted(exc.errors, key=lambda e: 0 if _names_something(e.message) else 1)
    errors = [str(e) for e in ranked]
    more = f"  (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{errors[0]}{more}"


def _names_something(message: str) -> bool:
    return "unknown " in message or "did you mean" in message


def _common(paths: list[Path]) -> str:
    import os

    return os.path.commonpath([str(p.parent) for p in paths])
