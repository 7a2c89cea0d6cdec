"""From files to parsed documents: find every entry file of a registry and parse it once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from charter.config import RegistryConfig
from charter.documents import Document, read_document
from charter.findings import Finding
from charter.index import RegistryIndex
from charter.kinds import ENTRY_FOLDERS, REGISTRY_FILE, Kind, Location, locate_path
from charter.references import Reference, reference_of
from charter.versions import version_key


def discover_files(root: Path) -> list[str]:
    """Registry-relative paths of every YAML file below the entry folders, sorted; symlinked folders are listed
    (as themselves, never followed) so that they are reported."""
    found: list[str] = []
    for folder in ENTRY_FOLDERS:
        top = root / folder
        if top.is_symlink():  # listed, so that read_document reports it (CH105) instead of it vanishing
            found.append(folder)
            continue
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(root).as_posix()
            found.extend(f"{rel}/{d}" for d in dirnames if (Path(dirpath) / d).is_symlink())
            found.extend(f"{rel}/{f}" for f in filenames if f.endswith((".yaml", ".yml")))
    return sorted(found)


@dataclass
class LoadedRegistry:
    root: Path
    documents: dict[str, Document]
    parse_findings: dict[str, list[Finding]]
    config: RegistryConfig

    @property
    def files(self) -> list[str]:
        return sorted(self.documents.keys() | self.parse_findings.keys())

    def read(self, relpath: str) -> tuple[Document | None, list[Finding]]:
        return self.documents.get(relpath), self.parse_findings.get(relpath, [])

    @cached_property
    def index(self) -> RegistryIndex:
        """Entries whose path agrees with what they declare; the others have their own findings (CH1xx, CH30x).

        An entry whose file does not parse, or disagrees with its path, still exists: references to what its path
        says are not "unresolved" (its own finding is the one to fix), so the index remembers it as unusable.
        """
        index = RegistryIndex(())
        for relpath in sorted(self.documents.keys() | self.parse_findings.keys()):
            if relpath == REGISTRY_FILE:
                continue
            doc = self.documents.get(relpath)
            location = locate_path(relpath)
            if doc is not None and _agrees(doc, location):
                index.add(doc)
            elif location is not None:
                index.add_unusable(reference_of(location.kind, location.name, location.version))
        return index


def _agrees(doc: Document, location: Location | None) -> bool:
    if location is None or doc.kind is not location.kind or doc.name != location.name:
        return False
    return not location.kind.versioned or doc.version == location.version


def load_registry(root: Path) -> LoadedRegistry:
    documents: dict[str, Document] = {}
    parse_findings: dict[str, list[Finding]] = {}
    paths = discover_files(root)
    if (root / REGISTRY_FILE).is_file():
        paths.insert(0, REGISTRY_FILE)
    for relpath in paths:
        doc, findings = read_document(root, relpath)
        if doc is not None:
            documents[relpath] = doc
        if findings:
            parse_findings[relpath] = findings
    config = RegistryConfig.from_document(documents.get(REGISTRY_FILE))
    return LoadedRegistry(root, documents, parse_findings, config)


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
        for relpath in registry.files:
            location = locate_path(relpath)
            if location is not None:
                key = str(reference_of(location.kind, location.name, location.version))
                self._located.setdefault(key, []).append(relpath)

    def get(self, ref: Reference | str) -> Document | None:
        usable = self._usable(str(ref))
        return usable[0] if usable else None

    def _usable(self, key: str) -> list[Document]:
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
        return len(self._located)

    def entries(self, kind: Kind | None = None) -> list[Document]:
        found = [self.get(key) for key in sorted(self._located)]
        return [d for d in found if d is not None and (kind is None or d.kind is kind)]

    def versions(self, kind: Kind, name: str) -> list[Document]:
        prefix = f"{kind.prefix}:{name}@"
        found = [d for key in self._located if key.startswith(prefix) for d in [self.get(key)] if d is not None]
        return sorted(found, key=lambda d: version_key(d.version or ""))

    def duplicate_pairs(self, paths: set[str]) -> list[tuple[Document, Document]]:
        pairs = []
        for relpaths in self._located.values():
            if len(relpaths) > 1 and paths.intersection(relpaths):
                docs = [d for p in sorted(relpaths) for d, _ in [self._registry.read(p)]
                        if d is not None and _agrees(d, locate_path(p))]
                pairs += [(docs[0], other) for other in docs[1:]]
        return pairs


class LazyRegistry:
    """A registry whose files are listed up front and parsed on first use (see LazyIndex)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = discover_files(root)
        if (root / REGISTRY_FILE).is_file():
            self.files.insert(0, REGISTRY_FILE)
        self._read: dict[str, tuple[Document | None, list[Finding]]] = {}
        self.config = RegistryConfig.from_document(self.read(REGISTRY_FILE)[0])
        self.index = LazyIndex(self)

    def read(self, relpath: str) -> tuple[Document | None, list[Finding]]:
        if relpath not in self._read:
            self._read[relpath] = read_document(self.root, relpath) if (self.root / relpath).is_file() \
                else (None, [])
        return self._read[relpath]
