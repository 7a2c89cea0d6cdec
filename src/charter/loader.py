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
from charter.kinds import ENTRY_FOLDERS, REGISTRY_FILE, Location, locate_path
from charter.references import reference_of


def discover_files(root: Path) -> list[str]:
    """Registry-relative paths of every YAML file below the entry folders, sorted, symlinks not followed."""
    found: list[str] = []
    for folder in ENTRY_FOLDERS:
        top = root / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(root).as_posix()
            found.extend(f"{rel}/{f}" for f in filenames if f.endswith((".yaml", ".yml")))
    return sorted(found)


@dataclass
class LoadedRegistry:
    root: Path
    documents: dict[str, Document]
    parse_findings: dict[str, list[Finding]]
    config: RegistryConfig

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
