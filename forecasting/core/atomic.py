"""Writing files so that a crash or a kill never leaves half of one: temporary file, then rename.

A folder of files (the weekly report) is written the same way: into a temporary sibling
folder, which replaces the real one only once it is complete (:func:`staged_folder`).
A failed write is raised as an :class:`OSError` naming the file it was writing (not its
temporary name), so that "no space left on device" says where.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise naming(exc, path) from exc
    finally:
        tmp.unlink(missing_ok=True)


def naming(exc: OSError, path: Path | str) -> OSError:
    """The same error (same errno, same subclass) with ``path`` as its file name."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


@contextlib.contextmanager
def staged_folder(path: Path) -> Iterator[Path]:
    """A folder written all at once: fill the temporary sibling folder this yields.

    When the block ends normally the sibling is renamed to ``path``; an existing ``path`` is
    replaced only then (renamed aside, the new folder renamed in, the old one removed). When
    it raises, the sibling is removed and ``path`` is as it was. Writers of one folder must be
    serialised (the weekly update holds the archive's lock): leftovers of a killed writer
    (``.<name>.*.tmp`` and ``.<name>.*.old`` siblings) are removed first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for pattern in (f".{path.name}.*.tmp", f".{path.name}.*.old"):
        for stale in path.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.{os.getpid()}.old")
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except OSError:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
        fsync_dir(path.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk (so a rename in it survives a power cut)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
