"""The lazy index answers what the full index answers, for every reference, however odd the file layout."""

from __future__ import annotations

import shutil
from pathlib import Path

from charter.registry.kinds import KINDS, locate_path, paths_of_key
from charter.registry.references import reference_of
from charter.store.loader import LazyRegistry, load_registry


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


def test_an_exact_lookup_finds_what_walking_the_folders_finds(registry: Path) -> None:
    """The lazy index finds a key's files from the paths that would hold it (kinds.paths_of_key), reading only the
    folders on their way; links, hidden folders, folders named like files and dangling links must come out as
    the full walk has them."""
    family = registry / "models/sepsis-risk"
    (registry / "models/linked-family").symlink_to(family)  # a link to a folder: listed as itself, never walked
    hidden = registry / "models/.hidden"
    shutil.copytree(family, hidden)  # a hidden folder: never walked
    (family / "versions/9.0.0.yaml").mkdir()  # a folder named like a version file: walked, holds nothing
    (family / "versions/9.1.0.yaml").symlink_to("missing.yaml")  # a dangling link: listed, reported when read
    (family / "versions/1.0.0.yml").symlink_to("1.0.0.yaml")  # a link to a file: listed
    other = registry / "cohorts/odd@name"
    other.mkdir()
    shutil.copyfile(registry / "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml", other / "1.0@2.yaml")
    full = load_registry(registry, use_cache=False)
    keys = {str(reference_of(loc.kind, loc.name, loc.version))
            for p in full.files for loc in [locate_path(p)] if loc is not None}
    keys |= {"model:linked-family", "model:linked-family@1.1.0", "model:.hidden", "model:sepsis-risk@9.0.0",
             "model:sepsis-risk@9.1.0", "cohort:odd@name@1.0@2", "cohort:odd@name@1.0", "model:sepsis-risk@"}
    for key in sorted(keys):
        assert all(locate_path(p) is not None for p in paths_of_key(key)), key
        lazy = LazyRegistry(registry, use_cache=False).index
        assert (lazy.get(key) or None) == full.index.get(key), key
        assert (key in lazy.unusable) == (key in full.index.unusable and full.index.get(key) is None), key
        assert lazy._located.get(key, []) == sorted(  # the exact lookup's files are the walk's files
            p for p in full.files for loc in [locate_path(p)] if loc is not None
            and str(reference_of(loc.kind, loc.name, loc.version)) == key), key
