"""Reference checks: every reference resolves, and not to something withdrawn."""

from __future__ import annotations

from charter.registry.documents import Document
from charter.registry.fields import dotted
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex, references_in
from charter.registry.kinds import REGISTRY_KIND
from charter.registry.references import Reference


def check_references(doc: Document, index: RegistryIndex) -> list[Finding]:
    if doc.kind is None or doc.kind is REGISTRY_KIND:
        return []
    findings: list[Finding] = []
    for spec_field, target_ref in references_in(doc):
        field = ("spec", *spec_field)
        target = index.get(target_ref)
        if target is None and str(target_ref) in index.unusable:
            continue  # the target's own file has a finding; this reference is not the problem
        if target is not None and (target.status == "active" or (
                target.status == "draft" and doc.status in ("draft", "retired"))):
            continue  # fine: no finding, so no need for its place (positions cost a second parse)
        place = doc.place(field)
        where = dotted(field)
        if target is None:
            findings.append(finding("CH401", doc.path, place, where=where, ref=target_ref,
                                    suggestion=_suggest(index, target_ref)))
        elif target.status == "retired":
            findings.append(finding("CH402", doc.path, place, where=where, ref=target_ref))
        elif target.status == "deprecated":
            findings.append(finding("CH403", doc.path, place, where=where, ref=target_ref))
        elif target.status == "draft" and doc.status not in ("draft", "retired"):
            findings.append(finding("CH404", doc.path, place, where=where, ref=target_ref,
                                    status=doc.status))
    return findings


def _suggest(index: RegistryIndex, ref: Reference) -> str:
    kind = ref.kind
    if kind is None:
        return "correct the reference"
    if kind.versioned:
        versions = [d.version for d in index.versions(kind, ref.name) if d.version]
        if versions:
            return f"existing versions of {ref.prefix}:{ref.name}: {', '.join(versions)}"
    return f"no {kind.name} named {ref.name!r}: create it first, or correct the reference"
