"""The Python API offers training and deploy code the same reads as the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

import charter
from charter.errors import CharterError
from charter.registry.kinds import KINDS


def test_registry_lists_shows_and_validates(template_registry: Path) -> None:
    registry = charter.Registry(template_registry / "models")  # found from a sub-folder, like git
    assert registry.root == template_registry.resolve()
    versions = registry.list(KINDS["ModelVersion"])
    assert {v.ref for v in versions} >= {"model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"}
    assert [v.version for v in versions if v.name == "sepsis-risk"] == ["1.0.0", "1.1.0"]
    detail = registry.show("event:sepsis-onset@2.0.0")
    assert ("model:sepsis-risk@1.1.0", "spec.labelEvent") in detail.used_by
    assert detail.versions == ["1.0.0", "2.0.0"]
    model = registry.show("model:sepsis-risk")
    assert model.versions == ["1.0.0", "1.1.0"]
    report = registry.validate()
    assert report.ok and report.findings == [] and report.files_checked > 15


def test_unknown_reference_says_which_versions_exist(template_registry: Path) -> None:
    registry = charter.Registry(template_registry)
    with pytest.raises(CharterError) as caught:
        registry.get("event:sepsis-onset@3.0.0")
    assert "does not exist" in caught.value.message and "1.0.0, 2.0.0" in caught.value.hint
    with pytest.raises(CharterError, match="not a reference"):
        registry.get("sepsis-onset")


def test_not_a_registry(tmp_path: Path) -> None:
    with pytest.raises(CharterError, match="not inside a Charter registry"):
        charter.Registry(tmp_path)
