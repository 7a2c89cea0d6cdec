"""From files to parsed documents: find every entry file of a registry and parse it once."""

from __future__ import annotations

import bisect
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from charter.registry.config import RegistryConfig
from charter.registry.documents import (
    Document,
    blob_id,
    parse_document,
    positions_on_disk,
    read_raw,
    read_raw_stat,
)
from charter.registry.fields import Positions
from charter.registry.files import regular_text
from charter.registry.findings import Finding
from charter.registry.index import RegistryIndex, references_in
from charter.registry.kinds import ENTRY_FOLDERS, KINDS, REGISTRY_FILE, Kind, Location, locate_path, paths_of_key
from charter.registry.references import Reference, reference_of
from charter.registry.versions import version_key
from charter.store.cache import ParseCache, Parsed, stamp_of
from charter.store.facts import remember
from charter.store.recovery import recover_interrupted

Read = tuple[Document | None, list[Finding]]


def discover_files(root: Path) -> list[str]:
    """Registry-relative paths of every YAML file below the entry folders, sorted, symlinks not followed.

    Walks with `os.scandir` and plain strings: on 17,000 files `os.walk` plus a `Path` per folder took most of
    the time of checking one file.
    """
    groups = EntryGroups(root)
    return sorted(relpath for group in groups.all() for relpath in groups.files(*group))


class EntryGroups:
    """The files of `discover_files`, grouped by (entry folder, first name below it), each read when asked for.

    Checking one file needs the few groups its references can be in (see LazyIndex), not a walk of every folder of
    the registry: an entry folder is listed (names only) when a group of it is first asked about, and a group is
    classified and walked only when its files are.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._listed: dict[str, dict[str, os.DirEntry[str] | None]] = {}
        self._below: dict[str, dict[str, os.DirEntry[str]]] = {}  # folders below the entry folders, by path

    def _entries(self, folder: str) -> dict[str, os.DirEntry[str] | None]:
        if folder not in self._listed:
            top = self._root / folder
            if top.is_symlink():  # listed, so that reading it reports it (CH105) instead of it vanishing
                self._listed[folder] = {"": None}
            else:
                self._listed[folder] = dict(_scan(top))
        return self._listed[folder]

    def names(self, folder: str) -> list[str]:
        """The names directly below an entry folder (some may hold no entry file: their groups are empty)."""
        return list(self._entries(folder))

    def all(self) -> list[tuple[str, str]]:
        return [(folder, name) for folder in ENTRY_FOLDERS for name in self._entries(folder)]

    def lists(self, relpath: str) -> bool:
        """Whether `files` of the path's group would include it, found by reading only the folders on its way."""
        folder, _, rest = relpath.partition("/")
        parts = rest.split("/")
        entry = self._entries(folder).get(parts[0]) if parts[0] else None
        for depth in range(len(parts)):
            if entry is None:
                return False
            what = _classify(entry)
            if depth == len(parts) - 1:
                return what == "file"
            if what != "folder":
                return False
            entry = self._folder_entries(entry.path).get(parts[depth + 1])
        return False  # pragma: no cover - the loop returns

    def _folder_entries(self, path: str) -> dict[str, os.DirEntry[str]]:
        if path not in self._below:
            self._below[path] = dict(_scan(path))
        return self._below[path]

    def files(self, folder: str, name: str) -> list[str]:
        entries = self._entries(folder)
        if name not in entries:
            return []
        entry = entries[name]
        if entry is None:
            return [folder]
        what = _classify(entry)
        if what == "folder":
            found: list[str] = []
            _walk(entry.path, f"{folder}/{name}", found)
            return found
        return [f"{folder}/{name}"] if what == "file" else []


def _scan(directory: str | Path) -> list[tuple[str, os.DirEntry[str]]]:
    """A folder's entries by name; none where it is missing, not a folder or unreadable, as with os.walk."""
    try:
        with os.scandir(directory) as listing:
            return [(entry.name, entry) for entry in listing]
    except OSError:
        return []


def _walk(directory: str, rel: str, found: list[str]) -> None:
    for _, entry in _scan(directory):
        what = _classify(entry)
        if what == "folder":
            _walk(entry.path, f"{rel}/{entry.name}", found)
        elif what == "file":
            found.append(f"{rel}/{entry.name}")


def _classify(entry: os.DirEntry[str]) -> str | None:
    """What a folder entry is to the registry: "file" for YAML files, and for links to folders (listed as
    themselves, never followed, so that reading them reports them); "folder" for folders to walk (not hidden
    ones); None for anything else."""
    try:
        is_dir = entry.is_dir()  # follows links: a link to a folder is reported, a link to a file read as one
    except OSError:
        is_dir = False
    if is_dir and entry.is_symlink():
        return "file"
    if is_dir:
        return None if entry.name.startswith(".") else "folder"
    return "file" if entry.name.endswith((".yaml", ".yml")) else None


@contextmanager
def no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that all stay alive.

    Reading a registry makes millions of dicts, lists and strings and frees none of them; each automatic
    collection would walk all that were made so far, for nothing (about a fifth of a warm run).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_files(root: Path, relpaths: list[str], cache: ParseCache | None, *, cached_only: bool = False
               ) -> dict[str, Read]:
    """Each file read and parsed, or taken from the parse cache when its blob id is one the cache holds (with
    `cached_only`, a file the cache does not hold is left out of the answer instead of being parsed).

    A document from the cache is the one parsing would give (same data, same findings); its positions are
    computed when a check asks for one, from the file, as long as it still has the same blob id. Bytes are not
    kept: files are hashed as they are read, and only the ones the cache does not hold are read again and parsed.
    A file parsed is also stamped (see `parse_cache.stamp_of`) and its search facts stored, for `charter search`.
    """
    started = time.time_ns()
    read: dict[str, Read] = {}
    blobs: dict[str, str] = {}
    real_folders: set[str] = set()  # each folder on the way to a file is checked once a batch (not a link)
    for relpath in relpaths:
        raw, refused = read_raw(root, relpath, real_folders)
        if raw is None:
            read[relpath] = (None, refused)
            continue
        blob = blobs[relpath] = blob_id(raw)
        if cache is None:
            read[relpath] = _parse(root, relpath, raw, blob, None)
    if cache is None:
        return read
    cached = cache.parsed(blobs)
    for relpath, blob in blobs.items():
        hit = cached.pop(relpath, None)
        if hit is not None:
            read[relpath] = cached_document(relpath, hit, positions_on_disk(root, relpath, blob), blob)
            continue
        if cached_only:
            continue
        raw, refused, info = read_raw_stat(root, relpath, real_folders)
        if raw is None:
            read[relpath] = (None, refused)
            continue
        read[relpath] = _parse(root, relpath, raw, blob_id(raw), cache, stamp_of(info, started) if info else None)
    cache.flush()
    return {relpath: read[relpath] for relpath in relpaths if relpath in read}


def _parse(root: Path, relpath: str, raw: bytes, blob: str, cache: ParseCache | None,
           stamp: str | None = None) -> Read:
    doc, findings = parse_document(raw, relpath, blob)
    if doc is not None:
        doc.position_source = positions_on_disk(root, relpath, blob)
    if cache is not None:
        store_parse(cache, relpath, blob, raw, (doc, findings))
        if doc is not None:
            remember(cache, relpath, blob, doc, stamp)
    return doc, findings


def store_parse(cache: ParseCache, relpath: str, blob: str, raw: bytes, read: Read) -> None:
    """What parsing `raw` (the bytes of `blob`) gave, kept in the parse cache: the document's data, the findings,
    the references in its spec, and the file's reference-like words."""
    doc, findings = read
    references = [(at, (ref.prefix, ref.name, ref.version)) for at, ref in references_in(doc)] \
        if doc is not None else None
    cache.store_parsed(relpath, blob, (doc.data if doc is not None else None, findings, references))
    cache.store_words(relpath, blob, raw)


def cached_document(relpath: str, hit: Parsed, positions: Callable[[], Positions], blob: str) -> Read:
    """The document and findings the parse cache holds for a file (see `read_files`)."""
    data, findings, references = hit
    doc = Document(relpath, data, positions, blob) if data is not None else None
    if doc is not None and references is not None:
        doc.references_found = [(tuple(at), Reference(*ref)) for at, ref in references]
    return doc, findings


@dataclass
class LoadedRegistry:
    root: Path
    documents: dict[str, Document]
    parse_findings: dict[str, list[Finding]]
    config: RegistryConfig
    cache: ParseCache | None = None

    @property
    def files(self) -> list[str]:
        return sorted(self.documents.keys() | self.parse_findings.keys())

    def read(self, relpath: str) -> tuple[Document | None, list[Finding]]:
        return self.documents.get(relpath), self.parse_findings.get(relpath, [])

    def text(self, relpath: str) -> str | None:
        """A small file of the registry other than an entry (CODEOWNERS) as text, or None (see `regular_text`)."""
        return regular_text(self.root / relpath)

    @cached_property
    def index(self) -> RegistryIndex:
        """Entries whose path agrees with what they declare; the others have their own findings (CH1xx, CH30x).

        An entry whose file does not parse, or disagrees with its path, still exists: references to what its path
        says are not "unresolved" (its own finding is the one to fix), so the index remembers it as unusable.
        """
        index = RegistryIndex(())
        with no_collection():
            self._fill(index)
        return index

    def _fill(self, index: RegistryIndex) -> None:
        for relpath in sorted(self.documents.keys() | self.parse_findings.keys()):
            if relpath == REGISTRY_FILE:
                continue
            doc = self.documents.get(relpath)
            location = locate_path(relpath)
            if doc is not None and _agrees(doc, location):
                index.add(doc)
            elif location is not None:
                index.add_unusable(reference_of(location.kind, location.name, location.version))


def _agrees(doc: Document, location: Location | None) -> bool:
    if location is None or doc.kind is not location.kind or doc.name != location.name:
        return False
    return not location.kind.versioned or doc.version == location.version


def load_registry(root: Path, *, use_cache: bool = True) -> LoadedRegistry:
    """Every file of the registry parsed (through the parse cache, unless `use_cache` is False)."""
    recover_interrupted(root)
    documents: dict[str, Document] = {}
    parse_findings: dict[str, list[Finding]] = {}
    paths = discover_files(root)
    if (root / REGISTRY_FILE).is_file():
        paths.insert(0, REGISTRY_FILE)
    cache = ParseCache.open(root) if use_cache else None
    with no_collection():
        read = read_files(root, paths, cache)
    for relpath, (doc, findings) in read.items():
        if doc is not None:
            documents[relpath] = doc
        if findings:
            parse_findings[relpath] = findings
    config = RegistryConfig.from_document(documents.get(REGISTRY_FILE))
    return LoadedRegistry(root, documents, parse_findings, config, cache)


class LazyIndex(RegistryIndex):
    """The index for checking a few files: every entry is known by its path, and parsed only when asked for.

    The pre-commit case validates the staged files but resolves their references against the whole registry;
    that needs the targets' existence (their paths) and status (a few parses), not every file parsed. It answers
    what the checks of PATHS ask (get, versions, duplicates, unusable) exactly as the full index would.
    """

    def __init__(self, registry: LazyRegistry) -> None:
        super().__init__(())
        self._registry = registry
        self._located: dict[str, list[str]] = {}
        # Files are located (path -> reference) only when a reference that could be theirs is first asked for. The
        # layout is anchored by top folder (from the reference's prefix) and by the second path segment, which is
        # the entry's name (or the name and `.yaml` for single-file kinds), so they are grouped by these two.
        self._done: set[tuple[str, str]] = set()
        self._asked: set[tuple[str | None, bool]] = set()  # what `_locate` was asked: each is answered once

    def _locate_groups(self, groups: list[tuple[str, str]]) -> None:
        for group in groups:
            if group in self._done:
                continue
            self._done.add(group)
            for relpath in self._registry.groups.files(*group):
                location = locate_path(relpath)
                if location is not None:
                    located = self._located.setdefault(_key(location), [])
                    if relpath not in located:  # a key looked up exactly (below) may have found it already
                        bisect.insort(located, relpath)  # sorted, as the full index meets them

    def _locate(self, key: str | None = None, *, starting: bool = False) -> None:
        """Locate the files that could hold `key` (or, with `starting`, any key that starts with it; None: all)."""
        if (key, starting) in self._asked or (None, False) in self._asked:  # None located every file
            return
        self._asked.add((key, starting))
        if key is None:
            self._locate_groups(self._registry.groups.all())
            return
        prefix, _, rest = key.partition(":")
        folders = _FOLDERS_BY_PREFIX.get(prefix, ())
        if starting:  # a superset: every group whose name could begin a key that starts with `rest`
            self._locate_groups([(folder, name) for folder in folders for name in self._registry.groups.names(folder)
                                 if name.startswith(rest)
                                 or rest.startswith(name.removesuffix(".yaml").removesuffix(".yml"))])
            return
        # an exact key: the paths that would hold it are known, and only the folders on their way are read (walking
        # each model family's folder and locating its every version cost 0.1 s of a `--base` run's 1,000 lookups)
        found = [path for path in paths_of_key(key) if self._registry.groups.lists(path)]
        if found:
            located = self._located.setdefault(key, [])
            for relpath in found:
                if relpath not in located:
                    bisect.insort(located, relpath)

    def _in_order(self) -> list[tuple[str, list[str]]]:
        """Keys in the order the full index meets them: by their first file (files are listed sorted)."""
        return sorted(self._located.items(), key=lambda item: item[1][0])

    def prefetch(self, refs: Iterable[Reference | str]) -> None:
        """Read the files that could hold these entries in one batch (one parse-cache query, not one each): the
        checks then find them read. Only the time changes; `get` answers as it would have."""
        located = []
        for ref in refs:
            key = str(ref)
            self._locate(key)
            located += self._located.get(key, [])
        self._registry.read_many(located)

    def get(self, ref: Reference | str) -> Document | None:
        usable = self._usable(str(ref))
        return usable[0] if usable else None

    def _usable(self, key: str) -> list[Document]:
        self._locate(key)
        found = []
        for relpath in self._located.get(key, []):
            doc, _ = self._registry.read(relpath)
            if doc is not None and _agrees(doc, locate_path(relpath)):
                found.append(doc)
        if not found and key in self._located:
            self.unusable.add(key)
        return found

    def __contains__(self, ref: object) -> bool:
        return self.get(str(ref)) is not None

    def __len__(self) -> int:
        self._locate()
        return len(self._located)

    def entries(self, kind: Kind | None = None) -> list[Document]:
        self._locate()
        found = [self.get(key) for key in sorted(self._located)]
        return [d for d in found if d is not None and (kind is None or d.kind is kind)]

    def versions(self, kind: Kind, name: str) -> list[Document]:
        prefix = f"{kind.prefix}:{name}@"
        self._locate(prefix, starting=True)
        found = [d for key, _ in self._in_order() if key.startswith(prefix) for d in [self.get(key)] if d is not None]
        return sorted(found, key=lambda d: version_key(d.version or ""))

    def duplicate_pairs(self, paths: set[str]) -> list[tuple[Document, Document]]:
        keys = set()
        for relpath in paths:  # a pair that involves one of `paths` has that path's reference
            location = locate_path(relpath)
            if location is not None:
                key = str(reference_of(location.kind, location.name, location.version))
                keys.add(key)
                self._locate(key)
        pairs = []
        for _, relpaths in [item for item in self._in_order() if item[0] in keys]:
            if len(relpaths) > 1 and paths.intersection(relpaths):
                docs = [d for p in sorted(relpaths) for d, _ in [self._registry.read(p)]
                        if d is not None and _agrees(d, locate_path(p))]
                pairs += [(docs[0], other) for other in docs[1:]]
        return pairs


def _key(location: Location) -> str:
    """`str(reference_of(...))` of a location, without making the Reference: the lazy index locates thousands."""
    version = location.version if location.kind.versioned else None
    return f"{location.kind.prefix}:{location.name}@{version}" if version else f"{location.kind.prefix}:{location.name}"


#: The top folders whose files can hold an entry with a given reference prefix (`model`: models and versions).
_FOLDERS_BY_PREFIX: dict[str, tuple[str, ...]] = {}
for _kind in KINDS.values():
    _FOLDERS_BY_PREFIX[_kind.prefix] = tuple(sorted({*_FOLDERS_BY_PREFIX.get(_kind.prefix, ()), _kind.folder}))


class LazyRegistry:
    """A registry whose files are listed and parsed on first use (see LazyIndex)."""

    def __init__(self, root: Path, *, use_cache: bool = True, cache: ParseCache | None = None,
                 groups: EntryGroups | None = None) -> None:
        """`cache`: the parse cache already opened for `root`, if any (else it is opened here, with `use_cache`);
        `groups`: where the files are listed from, if not the work tree."""
        if groups is None:  # the work tree: a killed writer's files are undone first (the index is git's to hold)
            recover_interrupted(root)
        self.root = root
        self.groups = groups if groups is not None else EntryGroups(root)
        self.cache = cache if cache is not None else ParseCache.open(root) if use_cache else None
        self._read: dict[str, Read] = {}
        self.config = RegistryConfig.from_document(self.read(REGISTRY_FILE)[0])
        self.index = LazyIndex(self)

    @cached_property
    def files(self) -> list[str]:
        """Every file, as `discover_files` lists them (and registry.yaml first): only for a folder given as PATHS."""
        files = sorted(relpath for group in self.groups.all() for relpath in self.groups.files(*group))
        return [REGISTRY_FILE, *files] if (self.root / REGISTRY_FILE).is_file() else files

    def files_grouped_like(self, relpaths: Iterable[str], key: Callable[[str], str]) -> list[str]:
        """The given files and those of every group (entry folder and name) whose `key` equals one of theirs: what
        a check comparing paths (case collisions) needs, without walking the whole registry."""
        wanted: dict[str, set[str]] = {}  # folded entry folder -> folded names below it
        for relpath in relpaths:
            folder, _, rest = relpath.partition("/")
            wanted.setdefault(key(folder), set()).add(key(rest.partition("/")[0]))
        near = {relpath for folder in ENTRY_FOLDERS for names in [wanted.get(key(folder))] if names
                for name in self.groups.names(folder) if key(name) in names
                for relpath in self.groups.files(folder, name)}
        return sorted(near.union(relpaths))

    def read(self, relpath: str) -> Read:
        if relpath not in self._read:
            self.read_many([relpath])
        return self._read[relpath]

    def text(self, relpath: str) -> str | None:
        """A small file of the registry other than an entry (CODEOWNERS) as text, or None (see `regular_text`)."""
        return regular_text(self.root / relpath)

    def read_many(self, relpaths: Iterable[str]) -> None:
        """Read the files not read yet, together: what `read` then gives for each."""
        unread = [relpath for relpath in dict.fromkeys(relpaths) if relpath not in self._read]
        top = str(self.root)  # strings, not a Path per file: a --base run checks a thousand targets here
        # what exists, links and pipes included: reading them reports them (CH105)
        files = [relpath for relpath in unread if os.path.lexists(os.path.join(top, relpath))]  # noqa: PTH118
        with no_collection():  # a thousand documents at once, all kept: see no_collection
            read = read_files(self.root, files, self.cache) if files else {}
        for relpath in unread:
            self._read[relpath] = read.get(relpath, (None, []))
