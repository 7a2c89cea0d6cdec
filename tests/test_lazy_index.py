"""The lazy index answers what the full index answers, for every reference, however odd the file layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from charter.kinds import KINDS, locate_path
from charter.loader import LazyRegistry, load_registry
from charter.references import reference_of


def test_lazy_index_agrees_with_the_full_index(registry: Path) -> None:
    version = registry / "models/sepsis-risk/versions/1.1.0.yaml"
    shutil.copy(version, version.with_suffix(".yml"))  # the same entry twice
    shutil.copy(registry / "environments/production.yaml", registry / "environments/production.yml")
    odd = registry / "models/sepsis-risk@1.1.0"  # a folder whose name looks like a reference's version part
    odd.mkdir()
    shutil.copy(registry / "models/sepsis-risk/model.yaml", odd / "model.yaml")
    full = load_registry(registry, use_cache=False).index
    keys = sorted({str(reference_of(loc.kind, loc.name, loc.version))
                   for p in load_registry(registry, use_cache=False).files
                   for loc in [locate_path(p)] if loc is not None} | {"model:nope", "cohort:nope@1.0.0", "x:y"})
    for key in keys:
        lazy = LazyRegistry(registry, use_cache=False).index  # a fresh one per key: nothing located before
        assert (lazy.get(key) or None) == full.get(key), key
        assert (key in lazy.unusable) == (key in full.unusable and full.get(key) is None), key
    for name in ("sepsis-risk", "sepsis-risk@1.1.0", "card-fraud", "nope"):
        lazy = LazyRegistry(registry, use_cache=False).index
        assert [d.path for d in lazy.versions(KINDS["ModelVersion"], name)] == \
            [d.path for d in full.versions(KINDS["ModelVersion"], name)], name
    for paths in ({"models/sepsis-risk/versions/1.1.0.yml"}, {"environments/production.yaml"}, {"registry.yaml"}):
        lazy = LazyRegistry(registry, use_cache=False).index
        assert [(a.path, b.path) for a, b in lazy.duplicate_pairs(paths)] == \
            [(a.path, b.path) for a, b in full.duplicate_pairs(paths)], paths
