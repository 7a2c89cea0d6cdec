"""What keeps a change whole: atomic file writes, one writer per repository, and a journal for crashes.

A write goes to a temporary file beside the target, flushed, then renamed over it: a reader (or a crash) sees the
old file or the new one, never half of either. Commands that change a repository (register, promote, new, evaluate
record, monitor record, codeowners) hold the repository lock and keep a journal, so that a run killed at any point
is undone or finished by the next one (`authoring.change` for the commands that write into the work tree).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from charter.errors import NotARegularFile
from charter.registry.files import special_file


def write_text_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` whole. A link, FIFO, socket or device at `path` is refused, not replaced: the
    command was about to edit what it took for the file (NotARegularFile, a CharterError)."""
    what = special_file(path)
    if what is not None:
        raise NotARegularFile(path=path, what=what)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


#: How long a command waits for another Charter command on the same repository to finish (seconds); the
#: environment variable CHARTER_LOCK_WAIT overrides it (0: do not wait).
LOCK_WAIT = 120.0
_LOCK_FILE = "charter.lock"


def _lock_wait() -> float:
    raw = os.environ.get("CHARTER_LOCK_WAIT")
    try:
        return max(0.0, float(raw)) if raw else LOCK_WAIT
    except ValueError:
        return LOCK_WAIT


#: The git directories whose lock this process holds: what it reads there is its own change under way.
_HELD: set[Path] = set()


def lock_held(git_dir: Path) -> bool:
    """Whether this process holds the repository lock of `git_dir` (a change of its own is under way)."""
    return git_dir.resolve() in _HELD


@contextlib.contextmanager
def repository_lock(git_dir: Path, command: str, *, wait: float | None = None) -> Iterator[None]:
    """One Charter change at a time in a repository (its worktrees included).

    An advisory lock (flock) on a file in the git directory: the kernel releases it when the holder exits, however
    it exits, so a killed command never leaves a stale lock behind. A second command waits a bounded time, then
    stops with a message naming the holder. git's own index.lock is left to git: Charter never removes it.
    """
    import fcntl

    from charter.errors import RepositoryBusy

    path = git_dir / _LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + (_lock_wait() if wait is None else wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another charter command"
                    raise RepositoryBusy(holder=holder, command=command) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"charter {command} (pid {os.getpid()})".encode(), 0)
        _HELD.add(git_dir.resolve())
        try:
            yield
        finally:
            _HELD.discard(git_dir.resolve())
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Journal:
    """What an unfinished change has done so far, in the git directory, for the next run to undo or finish.

    A change writes its journal before its first step and removes it when it ends (done or rolled back). A journal
    found on start (under the repository lock, so its writer is gone) means that writer was killed part-way.
    """

    def __init__(self, git_dir: Path, command: str) -> None:
        self.path = git_dir / f"charter-{command}-journal.json"

    def read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write(self, record: dict[str, Any]) -> None:
        write_text_atomic(self.path, json.dumps(record, sort_keys=True))

    def end(self) -> None:
        self.path.unlink(missing_ok=True)


def remove_created(top: Path, paths: list[str]) -> None:
    """Remove what a change created (`top`-relative files and folders), and the temporary files of its writes.

    A path that resolves outside `top` (or to `top` itself) is left alone: a journal is Charter's own file, but it
    must never be able to point a removal anywhere else.
    """
    top = top.resolve()
    for relpath in paths:
        target = (top / relpath).parent.resolve() / Path(relpath).name  # a symlink itself, not what it points at
        if target == top or not target.is_relative_to(top) or Path(relpath).name in ("", ".", ".."):
            continue
        for temporary in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):  # write_text_atomic's, if killed
            temporary.unlink(missing_ok=True)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
