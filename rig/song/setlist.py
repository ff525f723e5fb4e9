"""Setlists (`songs/sets/*.yaml`): the ordered cues of a night and how each leads on.

    set: Heated Rivalry Night
    cues:
      - {song: ../rivalry.yaml, next: bar}    # continue at the next bar line
      - ../utopie.yaml                        # default next: wait (stop, wait for a launch)
      - {song: ../ciel.yaml, tempo: {to: 122, over: 4 bars}, next: bar}  # ramp into the next
      - {song: ../inferno.yaml, count_in: 1 bar}      # a silent bar first (clock running)
      - {song: ../lisbonne.yaml, count_in: {bars: 1, click: drums.RS}}  # a click on a lane

Song paths are relative to the set file. Each cue is checked when the set is.

A set may come from anyone, so its `song:` entries are confined like a song's
`include:` (rig.song.includes): the songs root above the set, the patches folder and
the config's `includes:` folders. A path outside them is refused at the entry's line
before the file is opened — an error can never quote a foreign file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rig.song.context import MAX_BPM, MIN_BPM
from rig.song.includes import include_roots, outside_message
from rig.song.kept import KEY, Kept, kept_yaml, read_kept
from rig.song.model import CountIn, Lead, SetEntry, SetList
from rig.source.errors import InputError, Problems, suggest
from rig.source.fields import MapReader, as_bars, as_list, as_number, as_str
from rig.source.files import atomic_write, display_path, is_within, resolve
from rig.source.yamltree import Node, load_yaml_file

__all__ = ["load_setlist", "is_setlist", "is_set_tree", "write_kept", "TRANSITIONS"]

TRANSITIONS = ("wait", "bar")
ENTRY_KEYS = ("song", "next", "about", "tempo", "count_in")
MAX_LEAD_BARS = 64  # bars a tempo lead-in or a count-in may last


def is_set_tree(tree: Node) -> bool:
    """True when a parsed file is a set (a top-level `set:` key) rather than a cue."""
    return tree.is_map and "set" in tree.value


def is_setlist(path: Path) -> bool:
    """True when a YAML file is a set rather than a cue; False when it does not parse.

    Decided on the parsed file, so a BOM, a quoted key ("set":), flow style or an
    indented document are recognised like any set.
    """
    try:
        return is_set_tree(load_yaml_file(path, display_path(path)))
    except InputError:
        return False


def load_setlist(path: Path, tree: Node | None = None, extra: Iterable[Path] = ()) -> SetList:
    """Load and check a set; `tree`: the file already parsed. Raises InputError.

    `extra`: the folders beyond the set's songs root its songs may be in (the
    patches folder and the config's `includes:`, as `Project.context` gives them).
    """
    problems = Problems()
    roots = include_roots(path, extra)
    root = tree if tree is not None else load_yaml_file(path, display_path(path))
    r = MapReader(root, problems, "set", ("set", "cues", "about", KEY))
    if not r.ok:
        problems.raise_if_any()
    name = ""
    if (n := r.get("set", required=True)) is not None:
        name = as_str(n, problems, "set") or ""
    entries: list[SetEntry] = []
    if (n := r.get("cues", required=True)) is not None:
        items = as_list(n, problems, "cues") or []
        if n.is_list and not items:
            problems.add(n.pos, "cues: a set needs at least one cue")
        for index, item in enumerate(items, start=1):
            what = f"cue {index}"
            transition = "wait"
            lead: Lead | None = None
            count_in: CountIn | None = None
            song_node: Node | None = item
            if item.is_map:
                er = MapReader(item, problems, what, ENTRY_KEYS)
                if (t := er.get("tempo")) is not None:
                    lead = _lead(t, problems, what)
                if (t := er.get("count_in")) is not None:
                    count_in = _count_in(t, problems, what)
                song_node = er.get("song", required=True)
                if (t := er.get("next")) is not None and (
                    text := as_str(t, problems, f"{what}: next")
                ):
                    if text not in TRANSITIONS:
                        problems.add(
                            t.pos,
                            f"{what}: next must be 'wait' or 'bar', got '{text}'"
                            + suggest(text, TRANSITIONS),
                        )
                    else:
                        transition = text
                er.finish()
            if song_node is None:
                continue
            song = as_str(song_node, problems, f"{what}: song")
            if song is None:
                continue
            raw = path.parent / song
            target = resolve(raw)
            if not is_within(target, roots):
                problems.add(song_node.pos, outside_message(f"{what}: song", song, roots))
                continue
            if not target.is_file():
                why = "not found"
                if target.exists():
                    why = "is not a regular file"
                elif raw.is_symlink():
                    why = "is a broken link or a symlink loop"
                problems.add(song_node.pos, f"{what}: song file '{song}' {why}")
                continue
            entries.append(SetEntry(target, transition, song_node.pos, lead, count_in))
    kept, kept_line = None, None
    if (n := r.get(KEY)) is not None:
        kept = read_kept(n, problems, len(entries))
        kept_line = r.key_pos(KEY).line
        later = [k for k in root.value if root.key_pos[k].line > kept_line]
        if later:
            what = f"live: must be the last key of the set (found '{later[0]}' after it)"
            problems.add(r.key_pos(KEY), what)
    r.finish()
    problems.raise_if_any()
    return SetList(name, path, tuple(entries), kept, kept_line)


def write_kept(setlist: SetList, kept: Kept) -> str:
    """Write `kept` as the set file's `live:` block (rig.song.kept): replace the old
    block (the file's last key) or append one; everything before it stays as it was.
    The new text is loaded as a set before it replaces the file, atomically: an
    InputError (file:line:col) leaves the file untouched. Returns the new text."""
    path = setlist.path
    text = path.read_text(encoding="utf-8")
    if setlist.kept_line is not None:
        text = "".join(text.splitlines(keepends=True)[: setlist.kept_line - 1])
    if text and not text.endswith("\n"):
        text += "\n"
    new = text + kept_yaml(kept)
    with atomic_write(path) as tmp:
        tmp.write_text(new, encoding="utf-8")
        # A block that would not load never replaces the file. The cues are the ones the
        # set was loaded with, so their folders (patches/, `includes:`) stay allowed.
        load_setlist(tmp, extra={entry.song.parent for entry in setlist.entries})
    return new


def _lead(node: Node, problems: Problems, what: str) -> Lead | None:
    """`tempo: {to: 122, over: 4 bars}` (`over` defaults to 4 bars)."""
    r = MapReader(node, problems, f"{what}: tempo", ("to", "over"))
    if not r.ok:
        return None
    to = None
    if (n := r.get("to", required=True)) is not None:
        to = as_number(n, problems, f"{what}: tempo to", MIN_BPM, MAX_BPM)
    over = 4
    if (n := r.get("over")) is not None:
        over = as_bars(n, problems, f"{what}: tempo over", MAX_LEAD_BARS, 4) or 0
    r.finish()
    if to is None or not over:
        return None
    return Lead(to, over, node.pos)


def _count_in(node: Node, problems: Problems, what: str) -> CountIn | None:
    """`count_in: 1 bar` (silent) or `{bars: 1, click: drums.RS}`."""
    if not node.is_map:
        count = as_bars(node, problems, f"{what}: count_in", MAX_LEAD_BARS, 4)
        return CountIn(count, None, node.pos) if count else None
    r = MapReader(node, problems, f"{what}: count_in", ("bars", "click"))
    bars: int | None = 1
    if (n := r.get("bars")) is not None:
        bars = as_bars(n, problems, f"{what}: count_in bars", MAX_LEAD_BARS, 4)
    click, pos = None, node.pos
    if (n := r.get("click")) is not None:
        click, pos = as_str(n, problems, f"{what}: count_in click"), n.pos
        if click is not None and "." not in click:
            problems.add(
                n.pos, f"{what}: count_in click: expected TRACK.LANE or TRACK.NOTE like drums.RS"
            )
            click = None
    r.finish()
    return CountIn(bars, click, pos) if bars else None
