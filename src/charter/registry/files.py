"""The one way Charter reads a file of a registry: a regular file, never through a link, never more than it may hold.

Anyone who can open a pull request chooses what a path in the registry is. A symbolic link could make a command
read (and a promotion commit) a file of the machine; a FIFO would make every command wait forever; a device such as
/dev/zero would be read without end. So a file is `lstat`ed first, and only a regular file is opened, with
O_NOFOLLOW (a link swapped in after the check is refused) and O_NONBLOCK (a FIFO swapped in cannot block the open);
the opened descriptor is checked again, and at most the size limit is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: An entry is a few kilobytes; anything past this is refused unread, so a huge file costs neither time nor memory.
MAX_FILE_BYTES = 5 * 1024 * 1024

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0))


class UnsafeFile(Exception):
    """A path of the registry that Charter does not read or write: not a regular file, or too large."""


class SpecialFile(UnsafeFile):
    """A symbolic link, FIFO, socket, device or folder where a file was expected (`what` says which)."""

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(f"{path} is {what}")
        self.path = path
        self.what = what


class TooLarge(UnsafeFile):
    """A file larger than the limit (`size` is None where it grew past it while being read)."""

    def __init__(self, path: str | Path, size: int | None) -> None:
        super().__init__(f"{path} is too large")
        self.path = path
        self.size = size


def what_is(mode: int) -> str | None:
    """What a file of this mode is, in words, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def special_file(path: str | Path) -> str | None:
    """What the path is if it exists and is not a regular file (`what_is`), without following a link; else None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return what_is(mode)


def is_utf8(path: str) -> bool:
    """Whether a path (as os functions give it, undecodable bytes as surrogates) is valid UTF-8."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_regular(path: str | Path, limit: int = MAX_FILE_BYTES, *, root: str | Path | None = None,
                 real_folders: set[str] | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its stat (taken before the read), read once, at most `limit` of them.

    With `root`, `path` is a `/`-separated path inside it, and no folder between the two may be a symbolic link
    either (`real_folders`: folders of `root` found not to be links a moment ago, by a caller reading many files;
    those found now are added). Raises OSError where the file cannot be read, SpecialFile and TooLarge (both
    UnsafeFile) where it must not be.
    """
    shown = path  # what errors name: the path as given
    if root is not None:
        _no_linked_folder(str(root), str(path), set() if real_folders is None else real_folders)
        path = f"{root}{os.sep}{path}"
    info = os.lstat(path)
    what = what_is(info.st_mode)
    if what is not None:
        raise SpecialFile(shown, what)
    if info.st_size > limit:
        raise TooLarge(shown, info.st_size)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        opened = os.fstat(fd)
        what = what_is(opened.st_mode)
        if what is not None or (opened.st_ino, opened.st_dev) != (info.st_ino, info.st_dev):
            raise SpecialFile(shown, what or "a file that changed while it was opened")
        # plain reads, no file object: a lazy run reads a thousand small files
        raw = os.read(fd, info.st_size + 1)  # a regular file reads short only at its end
        while info.st_size < len(raw) <= limit:  # it grew since lstat: on to its end or the limit
            more = os.read(fd, limit + 1 - len(raw))
            if not more:
                break
            raw += more
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise TooLarge(shown, None)
    return raw, info


def regular_text(path: str | Path) -> str | None:
    """A small file's UTF-8 text (CODEOWNERS, .dvc/config), or None where it is missing, unreadable, not UTF-8, or
    not a regular file (the command then treats it as missing rather than read through a link or hang on a pipe)."""
    try:
        return read_regular(path)[0].decode("utf-8")
    except (OSError, UnsafeFile, UnicodeDecodeError):
        return None


def _no_linked_folder(root: str, relpath: str, real: set[str]) -> None:
    """Refuse a path that reaches its file through a linked folder (`environments` -> /etc, say). Strings, not
    Paths: this runs for every file a registry-wide run reads."""
    end = relpath.find("/")
    while end != -1:
        folder = relpath[:end]
        if folder in real:
            end = relpath.find("/", end + 1)
            continue
        try:
            mode = os.lstat(f"{root}{os.sep}{folder}").st_mode
        except OSError:
            return  # missing: opening the file says so
        if stat.S_ISLNK(mode):
            raise SpecialFile(folder, "a symbolic link")
        real.add(folder)
        end = relpath.find("/", end + 1)
