"""Parsed documents: one YAML file of a registry, with what its envelope says it is."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from charter.registry.fields import JsonPath, Positions
from charter.registry.files import MAX_FILE_BYTES, SpecialFile, TooLarge, is_utf8, read_regular
from charter.registry.findings import Finding, finding
from charter.registry.kinds import KINDS, REGISTRY_FILE, REGISTRY_KIND, STATUSES, Kind
from charter.registry.references import Reference, reference_of


@dataclass
class Document:
    """A file that parsed as a YAML mapping. Its identity is read leniently: the schema check judges it."""

    path: str
    data: dict[str, Any]
    #: Positions, or how to get them: a registry-wide run computes them only for documents with findings.
    position_source: Positions | Callable[[], Positions] = field(repr=False, compare=False)
    #: The git blob id of the file's bytes, where the loader knows it (keys the parse cache).
    blob: str | None = field(default=None, repr=False, compare=False)
    #: The references in `spec` (paths relative to it), once found: see `index.references_in`.
    references_found: list[tuple[JsonPath, Reference]] | None = field(default=None, repr=False, compare=False)

    @property
    def positions(self) -> Positions:
        if not isinstance(self.position_source, Positions):
            self.position_source = self.position_source()
        return self.position_source

    def _metadata(self, key: str) -> str | None:
        metadata = self.data.get("metadata")
        value = metadata.get(key) if isinstance(metadata, dict) else None
        return value if isinstance(value, str) else None

    @cached_property
    def kind(self) -> Kind | None:
        declared = self.data.get("kind")
        if self.path == REGISTRY_FILE and declared == REGISTRY_KIND.name:
            return REGISTRY_KIND
        return KINDS.get(declared) if isinstance(declared, str) else None

    @property
    def name(self) -> str | None:
        return self._metadata("name")

    @property
    def version(self) -> str | None:
        return self._metadata("version")

    @property
    def status(self) -> str:
        status = self._metadata("status")
        return status if status in STATUSES else "active"

    @property
    def owner(self) -> str:
        return self._metadata("owner") or ""

    @property
    def description(self) -> str:
        return self._metadata("description") or ""

    @property
    def spec(self) -> Any:
        return self.data.get("spec")

    @cached_property
    def ref(self) -> Reference | None:
        kind, name = self.kind, self.name
        if kind is None or kind is REGISTRY_KIND or name is None:
            return None
        if kind.versioned and self.version is None:
            return None
        return reference_of(kind, name, self.version)

    def place(self, path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        return self.positions.locate(path, key=key)


def parse_document(raw: bytes, relpath: str, blob: str | None = None) -> tuple[Document | None, list[Finding]]:
    """Bytes of one file to a Document, or the findings that say why it is not one.

    Positions are computed from `raw` on first use (see `Document.position_source`). The parser is imported here,
    not at the top: a run whose documents all come from the parse cache never needs it.
    """
    from charter.registry.yamlio import decode_text, load_plain

    text, findings = decode_text(raw, relpath)
    if text is None:
        return None, findings
    data, findings = load_plain(text, relpath)
    if data is None:
        if not findings:  # `null`, `~` or a bare anchor: a document, but an empty one
            findings.append(finding("CH104", relpath, (1, 1), shown="null"))
        return None, findings
    if not isinstance(data, dict):
        findings.append(not_a_mapping(relpath, data))
        return None, findings
    return Document(relpath, data, positions_from(raw, relpath), blob), findings


def not_a_mapping(relpath: str, data: Any) -> Finding:
    shown = type(data).__name__.replace("str", "a string").replace("list", "a list")
    return finding("CH104", relpath, (1, 1), shown=shown)


def positions_on_disk(root: Path, relpath: str, blob: str) -> Callable[[], Positions]:
    """Positions read again from the file when first asked for, if it still holds the bytes that were checked.

    Keeping every file's bytes for the few documents that need positions would cost as much memory as the files'
    size; a file changed in between (a race with an editor) gives no positions rather than wrong ones.
    """
    def compute() -> Positions:
        raw, _ = read_raw(root, relpath)
        return positions_from(raw, relpath)() if raw is not None and blob_id(raw) == blob else Positions()
    return compute


def positions_from(raw: bytes, relpath: str) -> Callable[[], Positions]:
    """The positions of a file's nodes, computed when first asked for (most documents never are)."""
    def compute() -> Positions:
        from charter.registry.yamlio import decode_text, parse_yaml

        text, _ = decode_text(raw, relpath)
        return parse_yaml(text, relpath).positions if text is not None else Positions()
    return compute


def read_document(root: Path, relpath: str) -> tuple[Document | None, list[Finding]]:
    """Read and parse one file of the registry."""
    raw, findings = read_raw(root, relpath)
    return parse_document(raw, relpath) if raw is not None else (None, findings)


def read_raw(root: Path, relpath: str, real_folders: set[str] | None = None) -> tuple[bytes | None, list[Finding]]:
    """The bytes of one file of the registry, never following a symlink (it could point anywhere on the machine)
    and never reading more than an entry may hold (`real_folders`: see `files.read_regular`)."""
    raw, findings, _ = read_raw_stat(root, relpath, real_folders)
    return raw, findings


def read_raw_stat(root: Path, relpath: str, real_folders: set[str] | None = None
                  ) -> tuple[bytes | None, list[Finding], os.stat_result | None]:
    """`read_raw`, and the file's stat as taken before its bytes were read (None where it was not read).

    Only a regular file is read (`charter.registry.files`): a link, FIFO, socket or device is CH105, a file past the
    size limit CH106, a path that is not UTF-8 (it could be neither stored, shown nor committed as written) CH307.
    """
    if not is_utf8(relpath):
        return None, [finding("CH307.encoding", relpath, (1, 1))], None
    try:
        raw, info = read_regular(relpath, root=root, real_folders=real_folders)
    except SpecialFile as refused:
        folder = str(refused.path)
        return None, [finding("CH105", relpath, (1, 1), what=refused.what) if folder == relpath else
                      finding("CH105.folder", relpath, (1, 1), what=refused.what, folder=folder)], None
    except TooLarge as refused:
        return None, [finding("CH106", relpath, (1, 1), size=refused.size, limit=MAX_FILE_BYTES)
                      if refused.size is not None else finding("CH106.grew", relpath, (1, 1), limit=MAX_FILE_BYTES)
                      ], None
    except OSError as exc:
        return None, [unreadable(relpath, exc)], None
    return raw, [], info


def unreadable(relpath: str, error: OSError) -> Finding:
    return finding("CH100", relpath, (1, 1), error=error.strerror)


def blob_id(raw: bytes) -> str:
    """The id git gives these bytes as a blob (`git hash-object`), so a cached entry names exactly one content."""
    digest = hashlib.sha1(b"blob %d\0" % len(raw))
    digest.update(raw)
    return digest.hexdigest()
