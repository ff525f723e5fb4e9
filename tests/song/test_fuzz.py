"""Mutated real songs load as a valid arrangement or as a clean InputError — never a traceback.

Each test applies one kind of mutation (a deleted character, a duplicated line, two values
swapped, a random key, a value replaced by random text or a number, a truncated file) to the
real songs in `songs/` (copied with their themes, so includes still resolve) and checks
that every reported error has a file, a line >= 1 and a column >= 1.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.source import InputError

from .util import SONGS

SONG_NAMES = sorted(p.name for p in SONGS.glob("*.yaml"))
EXAMPLES = 50  # per mutation kind; six kinds → 300 mutated songs

# `key: value` values inside flow or block mappings (not keys, not list brackets).
VALUE = re.compile(r"(?<=: )(?:\"[^\"\n]*\"|'[^'\n]*'|[^,{}\[\]\n#]+?)(?=\s*(?:[,}\]]|#|$))", re.M)

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of songs/ (themes included) where mutated files are written."""
    target = tmp_path_factory.mktemp("fuzz") / "songs"
    shutil.copytree(SONGS, target)
    return target


def texts() -> dict[str, str]:
    return {name: (SONGS / name).read_text(encoding="utf-8") for name in SONG_NAMES}


def run_mutation(
    project: Project, folder: Path, mutate: Callable[[st.DataObject, str], str]
) -> None:
    """Run `mutate` over EXAMPLES songs: every outcome is a clean InputError or an Arrangement."""
    sources = texts()

    @FUZZ
    @given(name=st.sampled_from(SONG_NAMES), data=st.data())
    def check(name: str, data: st.DataObject) -> None:
        text = mutate(data, sources[name])
        path = folder / f"_fuzz_{name}"
        path.write_text(text, encoding="utf-8")
        try:
            result = project.arrangement(path)
        except InputError as exc:
            assert exc.errors, "an InputError without errors"
            lines = text.count("\n") + 1
            for error in exc.errors:
                assert error.pos.file, error
                assert error.pos.line >= 1 and error.pos.col >= 1, str(error)
                if error.pos.file.endswith(path.name):
                    assert error.pos.line <= lines + 1, str(error)
                assert error.message, str(error)
                assert "\n" not in error.message, str(error)
            return
        assert isinstance(result, Arrangement)

    check()


def _pick(data: st.DataObject, items: list, label: str):  # noqa: ANN202
    return data.draw(st.sampled_from(items), label=label)


def test_delete_a_character(project: Project, folder: Path) -> None:
    def mutate(data: st.DataObject, text: str) -> str:
        i = data.draw(st.integers(0, len(text) - 1), label="index")
        return text[:i] + text[i + 1 :]

    run_mutation(project, folder, mutate)


def test_duplicate_a_line(project: Project, folder: Path) -> None:
    def mutate(data: st.DataObject, text: str) -> str:
        lines = text.splitlines(keepends=True)
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])

    run_mutation(project, folder, mutate)


def test_swap_two_values(project: Project, folder: Path) -> None:
    def mutate(data: st.DataObject, text: str) -> str:
        spans = [m.span() for m in VALUE.finditer(text)]
        (a0, a1), (b0, b1) = sorted(
            data.draw(st.lists(st.sampled_from(spans), min_size=2, max_size=2, unique=True))
        )
        return text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]

    run_mutation(project, folder, mutate)


def test_insert_a_random_key(project: Project, folder: Path) -> None:
    keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=10)

    def mutate(data: st.DataObject, text: str) -> str:
        key = data.draw(keys, label="key")
        value = data.draw(st.sampled_from(["1", "x", "[a]", "{b: 2}", "''", "120", "C4"]))
        flows = [m.end() for m in re.finditer(r"\{", text)]
        lines = text.splitlines(keepends=True)
        if flows and data.draw(st.booleans(), label="flow"):
            at = _pick(data, flows, "after {")
            return text[:at] + f"{key}: {value}, " + text[at:]
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        indent = re.match(r"[ -]*", lines[i]).group().replace("-", " ")
        return "".join(lines[: i + 1] + [f"{indent}{key}: {value}\n"] + lines[i + 1 :])

    run_mutation(project, folder, mutate)


def test_replace_a_value(project: Project, folder: Path) -> None:
    replacement = st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["", "~", "null", "true", "[]", "{}", "'x'", "1/0", "0", "-1", "H9", "X"]),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
            max_size=12,
        ),
    )

    def mutate(data: st.DataObject, text: str) -> str:
        start, end = _pick(data, [m.span() for m in VALUE.finditer(text)], "value")
        return text[:start] + data.draw(replacement, label="new value") + text[end:]

    run_mutation(project, folder, mutate)


def test_truncate(project: Project, folder: Path) -> None:
    def mutate(data: st.DataObject, text: str) -> str:
        return text[: data.draw(st.integers(0, len(text) - 1), label="length")]

    run_mutation(project, folder, mutate)
