"""Reading and writing the musician's files safely: one place for the file-system rules.

- `read_source` reads a regular file only: a FIFO named ``*.yaml`` would block a
  plain ``read()`` forever and a device file could stream without end, so the file
  is opened non-blocking, checked with `fstat` and read up to a size limit.
- `resolve` never raises on a symlink loop (Python 3.11's `Path.resolve` raises
  RuntimeError there).
- `atomic_write` writes to a temporary file beside the target and renames it over
  the target only when writing succeeded, so a failed export or render never leaves
  a half-written file in place of the last good one.
- `walk_yaml` lists ``*.yaml``/``*.yml`` below a folder without following symlinked
  folders (no loop) and names the special files it leaves out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "SpecialFileError",
    "TooLargeError",
    "atomic_write",
    "display_path",
    "file_kind",
    "read_source",
    "resolve",
    "is_within",
    "walk_yaml",
]


class SpecialFileError(OSError):
    """The path is a FIFO, device, socket or folder, not a regular file."""


class TooLargeError(OSError):
    """The file is larger than the limit given to `read_source`."""


def file_kind(mode: int) -> str:
    """What a `stat` mode is, in words (for 'X is a FIFO, not a file')."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


def read_source(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Raises SpecialFileError for anything but a regular file (without blocking on a
    FIFO), TooLargeError past `limit`, OSError for the rest (missing, unreadable, loop).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO or _is_socket(path):
            raise SpecialFileError(exc.errno, "is a socket, not a file", str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SpecialFileError(0, f"is {file_kind(info.st_mode)}, not a file", str(path))
        if info.st_size > limit:
            raise TooLargeError(0, f"is larger than {limit // (1 << 20)} MiB", str(path))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while we read it
            raise TooLargeError(0, f"is larger than {limit // (1 << 20)} MiB", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def display_path(path: Path) -> str:
    """A path as a musician would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def resolve(path: Path) -> Path:
    """`path` made absolute with symlinks resolved as far as they go; never raises on a loop.

    A symlink loop stays unresolved (the result then fails `is_file`), where Python
    3.11's `Path.resolve()` raises RuntimeError.
    """
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def is_within(path: Path, roots: Iterator[Path] | tuple[Path, ...] | list[Path]) -> bool:
    """True when the resolved `path` lies inside one of the resolved `roots`."""
    return any(path == root or root in path.parents for root in roots)


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`; renamed over `path` when the block succeeds.

    Use it for every output file (`rig export`, `rig render` and its stems)::

        with atomic_write(out) as tmp:
            write_everything(tmp)     # an exception here leaves `out` untouched

    The temporary file is flushed to disk before the rename (a crash right after
    cannot leave an empty file under the final name) and removed on failure.
    Nest several (contextlib.ExitStack) to replace a mix and its stems together.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(name)
    try:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o644  # mkstemp makes 0600; an exported file is for other programs too
        os.fchmod(fd, mode)
        os.close(fd)
        fd = -1
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def walk_yaml(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The ``*.yaml``/``*.yml`` files below `folder` (sorted), and the special files skipped.

    Symlinked folders are not followed (a link loop cannot make the walk endless);
    a name ending in .yaml that is a FIFO, socket or device is returned with its kind
    in the second list, so the caller can say it was skipped.
    """
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(top) / name
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                skipped.append((path, exc.strerror or "cannot be read"))
                continue
            if stat.S_ISREG(mode):
                files.append(path)
            else:
                skipped.append((path, f"is {file_kind(mode)}, not a file"))
    return sorted(files), sorted(skipped)
