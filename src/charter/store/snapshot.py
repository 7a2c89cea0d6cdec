"""A registry as git's index holds it (what a commit would record), for `validate --staged`: its files are listed
from the index with their modes and blob ids, and their bytes read from git (or the parse cache, by blob id), never
from the work tree: only the positions of a document with findings are computed from the work tree's file, and only
when it holds exactly the staged bytes. The lazy index and the checks are `LazyRegistry`'s: only the files checked
and the targets of their references are read.

A file of the index is what a file of the work tree would be once checked out: a link is a link (CH105, unread,
as is a link to a folder, which the index holds as a link too), a blob past the size limit is CH106 (unread), a
gitlink (a submodule) is nothing, and hidden folders below the entry folders are not walked.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Protocol

from charter.registry.documents import blob_id, parse_document, positions_from, read_raw, unreadable
from charter.registry.fields import Positions
from charter.registry.files import MAX_FILE_BYTES, is_utf8, what_is
from charter.registry.findings import finding
from charter.registry.kinds import ENTRY_FOLDERS, REGISTRY_FILE
from charter.store.cache import ParseCache
from charter.store.loader import EntryGroups, LazyRegistry, Read, cached_document, no_collection, store_parse

#: A file as the index holds it: its mode (100644, 100755, 120000 a link, 160000 a submodule) and object id.
Listed = tuple[str, str]
_GITLINK = "160000"
_LINK = "120000"
_LISTED = ("100644", "100755", _LINK)
_YAML = (".yaml", ".yml")


class BlobSource(Protocol):
    def read_blobs(self, oids: list[str], limit: int) -> dict[str, bytes | int]:
        """Each blob's bytes, or its size where that is past `limit`; a missing blob is left out."""


class ListedGroups(EntryGroups):
    """`EntryGroups`' answers from a listing of paths instead of the work tree's folders."""

    def __init__(self, listing: dict[str, Listed]) -> None:
        """`listing` in git's order (sorted by path), as `git ls-files` gives it; each group's files stay sorted."""
        self._groups: dict[str, dict[str, list[str]]] = {folder: {} for folder in ENTRY_FOLDERS}
        self._paths: set[str] = set()
        for path, (mode, _) in listing.items():  # 17,000 files on a large registry: plain string work
            folder, _, rest = path.partition("/")
            groups = self._groups.get(folder)
            if groups is None or mode not in _LISTED:
                continue
            link = mode == _LINK
            if not rest:  # the entry folder is itself a link: listed, so that reading it reports it
                if link:
                    groups.setdefault("", []).append(path)
                    self._paths.add(path)
                continue
            folders = rest.rpartition("/")[0]
            if (folders and (folders.startswith(".") or "/." in folders)) or not (link or path.endswith(_YAML)):
                continue
            groups.setdefault(rest.partition("/")[0], []).append(path)
            self._paths.add(path)

    def names(self, folder: str) -> list[str]:
        return list(self._groups.get(folder, {}))

    def all(self) -> list[tuple[str, str]]:
        return [(folder, name) for folder in ENTRY_FOLDERS for name in self._groups[folder]]

    def lists(self, relpath: str) -> bool:
        return relpath in self._paths

    def files(self, folder: str, name: str) -> list[str]:
        return list(self._groups.get(folder, {}).get(name, []))


class SnapshotRegistry(LazyRegistry):
    """A registry whose files are the ones `listing` names (registry-relative), read from `source` on first use."""

    def __init__(self, root: Path, listing: dict[str, Listed], source: BlobSource, cache: ParseCache | None) -> None:
        self._listing = listing
        self._source = source
        super().__init__(root, use_cache=cache is not None, cache=cache, groups=ListedGroups(listing))

    @cached_property
    def files(self) -> list[str]:
        files = sorted(relpath for group in self.groups.all() for relpath in self.groups.files(*group))
        return [REGISTRY_FILE, *files] if REGISTRY_FILE in self._listing else files

    def exists(self, relpath: str) -> bool:
        return relpath in self._listing

    def text(self, relpath: str) -> str | None:
        """A small regular file as text, or None where the index holds none (or not UTF-8)."""
        listed = self._listing.get(relpath)
        if listed is None or what_is(int(listed[0], 8)) is not None:
            return None
        raw = self._source.read_blobs([listed[1]], MAX_FILE_BYTES).get(listed[1])
        try:
            return raw.decode("utf-8") if isinstance(raw, bytes) else None
        except UnicodeDecodeError:
            return None

    def read_many(self, relpaths: Iterable[str]) -> None:
        blobs: dict[str, str] = {}
        for relpath in dict.fromkeys(relpaths):
            if relpath in self._read:
                continue
            listed = self._listing.get(relpath)
            what = what_is(int(listed[0], 8)) if listed is not None and listed[0] != _GITLINK else None
            if listed is None or listed[0] == _GITLINK:
                self._read[relpath] = (None, [])
            elif not is_utf8(relpath):
                self._read[relpath] = (None, [finding("CH307.encoding", relpath, (1, 1))])
            elif what is not None:
                self._read[relpath] = (None, [finding("CH105", relpath, (1, 1), what=what)])
            else:
                blobs[relpath] = listed[1]
        if blobs:
            with no_collection():  # see no_collection
                self._read.update(_read_blobs(self.root, blobs, self._source, self.cache))


def _read_blobs(root: Path, blobs: dict[str, str], source: BlobSource, cache: ParseCache | None
                ) -> dict[str, Read]:
    """Each file (path -> blob id) taken from the parse cache, or read from `source` and parsed (and cached)."""
    read: dict[str, Read] = {}
    cached = cache.parsed(blobs) if cache is not None else {}
    for relpath, hit in cached.items():
        read[relpath] = cached_document(relpath, hit, _positions(root, source, blobs[relpath], relpath), blobs[relpath])
    missing = [relpath for relpath in blobs if relpath not in read]
    raws = source.read_blobs([blobs[relpath] for relpath in missing], MAX_FILE_BYTES)
    for relpath in missing:
        blob = blobs[relpath]
        raw = raws.get(blob)
        if raw is None:  # the index names an object the repository does not hold: git cannot commit it either
            read[relpath] = (None, [unreadable(relpath, OSError(errno.EIO, os.strerror(errno.EIO)))])
        elif isinstance(raw, int):
            read[relpath] = (None, [finding("CH106", relpath, (1, 1), size=raw, limit=MAX_FILE_BYTES)])
        else:
            doc, findings = parse_document(raw, relpath, blob)
            if doc is not None:
                doc.position_source = _positions(root, source, blob, relpath)  # the bytes are not kept
            if cache is not None:
                store_parse(cache, relpath, blob, raw, (doc, findings))
            read[relpath] = (doc, findings)
    if cache is not None:
        cache.flush()
    return read


def _positions(root: Path, source: BlobSource, blob: str, relpath: str) -> Callable[[], Positions]:
    """Positions computed from the blob's bytes when first asked for (most documents never are): the work tree's
    file where it holds exactly those bytes (it usually does; git would take a process per document), else git's."""
    def compute() -> Positions:
        raw = read_raw(root, relpath)[0]
        staged = raw if raw is not None and blob_id(raw) == blob else \
            source.read_blobs([blob], MAX_FILE_BYTES).get(blob)
        return positions_from(staged, relpath)() if isinstance(staged, bytes) else Positions()
    return compute
