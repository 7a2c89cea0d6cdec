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
from charter.kinds import ENTRY_FOLDERS, REGISTRY_FILE


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
        return RegistryIndex(self.documents[p] for p in sorted(self.documents) if p != REGISTRY_FILE)


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
