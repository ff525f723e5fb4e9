"""The project as a performer sets it up: config, device definitions, voices, songs.

`Project.load(config)` reads config.yaml (or the embedded default when there is
none) and the device definitions it points at; `arrangement(path)` loads, checks
and compiles a cue. Commands build one Project and pass it on — nothing else
reads these files.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from rig.source.files import display_path
from rig.source.yamltree import Node, load_yaml_file

__all__ = ["Project", "DEFAULT_CONFIG"]



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
        self, path: Path, seed: int | None = None, songs: list[Song] | None = None
    ) -> list[Arrangement]:
        """A cue, or every cue of a set in order; all problems of all files at once.
        `songs`: a list that receives the loaded songs too (for checks on the models)."""
        tree = load_yaml_file(path, display_path(path))
        if not is_set_tree(tree):
            song = self.song(path, tree)
            if songs is not None:
                songs.append(song)
            return [compile_song(song, seed)]
        setlist = self.setlist(path, tree)
        out: list[Arrangement] = []
        errors = []
        for entry in setlist.entries:
            try:
                song = self.song(entry.song)
                if songs is not None:
                    songs.append(song)
                out.append(compile_song(song, seed))
            except InputError as exc:
                errors.extend(exc.errors)
        if errors:
            raise InputError(errors)
        return with_transitions(self.devices, setlist, out)
