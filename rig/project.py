"""The project as a performer sets it up: config, device definitions, voices, songs.

`Project.load(config)` reads config.yaml (or the embedded default when there is
none) and the device definitions it points at; `arrangement(path)` loads, checks
and compiles a cue. Commands build one Project and pass it on — nothing else
reads these files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rig.config import DEFAULT_CONFIG, Config, check_bindings, default_config, load_config
from rig.devices import Device, load_devices
from rig.song.arrangement import Arrangement
from rig.song.compile import compile_song
from rig.song.load import Context, load_song
from rig.song.model import SetList, Song
from rig.song.setlist import is_set_tree, is_setlist, load_setlist
from rig.song.settransitions import with_transitions
from rig.source.errors import InputError
from rig.source.files import display_path, resolve
from rig.source.yamltree import Node, load_yaml_file

__all__ = ["Project", "CueCache", "DEFAULT_CONFIG"]


@dataclass
class CueCache:
    """Cues compiled in one run (`rig check songs/` meets each cue alone and in the set),
    so each is loaded and compiled once. A cue is the same when its file's place, the way
    it is displayed in messages and its bytes are, at the same seed; a cue with errors is
    not kept (it is read again, and says the same)."""

    cues: dict[tuple[str, str, str, int | None], tuple[Song, Arrangement]] = field(
        default_factory=dict
    )

    @staticmethod
    def key(path: Path, seed: int | None) -> tuple[str, str, str, int | None] | None:
        """None for a file that cannot be read: the loader says why, as without a cache."""
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        return str(resolve(path)), display_path(path), digest, seed


@dataclass(frozen=True)
class Project:
    config: Config
    devices: dict[str, Device]
    voices: frozenset[str] | None

    @classmethod
    def load(cls, config_path: Path | None = None) -> Project:
        """Read the config (the default path may be absent: then the embedded default is used)."""
        if config_path is None or (config_path == DEFAULT_CONFIG and not config_path.exists()):
            config = default_config()
            devices = load_devices(config.patches_dir / "devices")
        else:
            first = load_config(config_path)
            devices = load_devices(first.patches_dir / "devices")
            config = load_config(config_path, known_devices=devices)
            if problems := check_bindings(config, devices):
                raise InputError(problems)
        voices_dir = config.patches_dir / "voices"
        voices = (
            frozenset(p.stem for p in voices_dir.glob("*.yaml")) if voices_dir.is_dir() else None
        )
        return cls(config, devices, voices or None)

    def context(self) -> Context:
        channels = {n: b.channel for n, b in self.config.bindings.items() if b.channel is not None}
        latency = {
            n: b.latency_ms for n, b in self.config.bindings.items() if b.latency_ms is not None
        }
        roots = (self.config.patches_dir, *self.config.include_roots)
        return Context(self.devices, channels, latency, self.voices, roots)

    def song(self, path: Path, tree: Node | None = None) -> Song:
        return load_song(path, self.context(), tree)

    def arrangement(
        self, path: Path, seed: int | None = None, tree: Node | None = None
    ) -> Arrangement:
        """The cue at `path` compiled; `tree`: the file already parsed (parse it once)."""
        return compile_song(self.song(path, tree), seed)

    def setlist(self, path: Path, tree: Node | None = None) -> SetList:
        return load_setlist(path, tree, self.context().include_roots)

    def transitions(self, path: Path) -> tuple[str, ...]:
        """How each cue of a set hands over to the next (`next:` of its entries);
        ("bar",) for a single cue."""
        if not is_setlist(path):
            return ("bar",)
        return tuple(entry.next for entry in self.setlist(path).entries)

    def arrangements(
        self,
        path: Path,
        seed: int | None = None,
        songs: list[Song] | None = None,
        tree: Node | None = None,
        cache: CueCache | None = None,
    ) -> list[Arrangement]:
        """A cue, or every cue of a set in order; all problems of all files at once.
        `songs`: a list that receives the loaded songs too (for checks on the models);
        `tree`: the file already parsed; `cache`: cues compiled earlier in this run."""
        if tree is None:
            tree = load_yaml_file(path, display_path(path))
        if not is_set_tree(tree):
            song, cue = self._compiled(path, seed, tree, cache)
            if songs is not None:
                songs.append(song)
            return [cue]
        setlist = self.setlist(path, tree)
        out: list[Arrangement] = []
        errors = []
        for entry in setlist.entries:
            try:
                song, cue = self._compiled(entry.song, seed, None, cache)
                if songs is not None:
                    songs.append(song)
                out.append(cue)
            except InputError as exc:
                errors.extend(exc.errors)
        if errors:
            raise InputError(errors)
        return with_transitions(self.devices, setlist, out)

    def _compiled(
        self, path: Path, seed: int | None, tree: Node | None, cache: CueCache | None
    ) -> tuple[Song, Arrangement]:
        """The cue at `path` loaded and compiled, or as `cache` holds it."""
        key = CueCache.key(path, seed) if cache is not None else None
        if cache is not None and key is not None and key in cache.cues:
            return cache.cues[key]
        song = self.song(path, tree)
        compiled = song, compile_song(song, seed)
        if cache is not None and key is not None:
            cache.cues[key] = compiled
        return compiled
