"""What `list` and `show` say of an entry: its summary row, and its detail with references both ways."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from charter.registry.documents import Document


@dataclass(frozen=True)
class EntrySummary:
    """One row of `list`: what a person or a script needs to find an entry."""

    ref: str
    kind: str
    name: str
    version: str | None
    status: str
    owner: str
    path: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "kind": self.kind, "name": self.name, "version": self.version,
                "status": self.status, "owner": self.owner, "path": self.path, "description": self.description}


@dataclass(frozen=True)
class EntryDetail:
    """One entry with its outgoing references and the entries that refer to it (computed)."""

    summary: EntrySummary
    data: dict[str, Any]
    references: list[tuple[str, str]]  # (field, reference)
    used_by: list[tuple[str, str]]  # (referring entry, field)
    versions: list[str]  # every version of this entry's name, oldest first

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "document": self.data,
            "references": [{"field": f, "ref": r} for f, r in self.references],
            "usedBy": [{"ref": r, "field": f} for r, f in self.used_by],
            "versions": self.versions,
        }


def summarize(doc: Document) -> EntrySummary:
    assert doc.kind is not None  # only indexed documents are summarized
    return EntrySummary(str(doc.ref), doc.kind.name, doc.name or "", doc.version, doc.status, doc.owner,
                        doc.path, doc.description)
