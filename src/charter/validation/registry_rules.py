"""Rules a registry sets for itself in registry.yaml: naming patterns and extra fields per risk tier."""

from __future__ import annotations

import re
from typing import Any

from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, REGISTRY_FILE, REGISTRY_KIND
from charter.registry.references import Reference


def check_naming(doc: Document, config: RegistryConfig) -> list[Finding]:
    kind = doc.kind
    if kind is None or kind is REGISTRY_KIND or doc.name is None:
        return []
    pattern = config.naming.get(f"{kind.prefix}Pattern")
    if not isinstance(pattern, str):
        return []
    try:
        matches = re.search(pattern, doc.name) is not None
    except re.error:
        return []  # an invalid pattern is registry.yaml's own schema finding
    if matches:
        return []
    return [finding("CH305", doc.path, doc.place(("metadata", "name")), name=doc.name, kind=kind.name,
                    registry_file=REGISTRY_FILE, prefix=kind.prefix, pattern=pattern)]


def _present(data: Any, dotted_path: str) -> bool:
    return value_at(data, tuple(dotted_path.split("."))) not in (None, "", [], {})


def check_risk_tier(doc: Document, index: RegistryIndex, config: RegistryConfig) -> list[Finding]:
    """A model version fills in the extra fields its model's risk tier requires."""
    if doc.kind is not KINDS["ModelVersion"] or doc.name is None:
        return []
    model = index.get(Reference("model", doc.name))
    spec = model.spec if model is not None and isinstance(model.spec, dict) else {}
    tier = spec.get("riskTier")
    rules = config.risk_tiers.get(tier) if isinstance(tier, str) else None
    required = rules.get("requiredFields") if isinstance(rules, dict) else None
    if not isinstance(required, list):
        return []
    return [
        finding("CH306", doc.path, doc.place(tuple(field.split(".")), key=True), field=field, tier=tier,
                registry_file=REGISTRY_FILE)
        for field in required
        if isinstance(field, str) and not _present(doc.data, field)
    ]
