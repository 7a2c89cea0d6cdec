"""`charter register`: a training run becomes a model version, its artifact in DVC, in one commit or not at all.

Everything is real: the training code is a git repository, the registry a `charter init` registry with DVC and a
local remote folder; nothing is mocked. A failed registration must leave the registry exactly as it was.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import charter
from tests.conftest import Charter, git
from tests.helpers import MODEL, TOKEN, make_training, md5, no_traceback, object_path, remote_folder

# --- helpers -------------------------------------------------------------------------------------------------------


def cache_folder(root: Path) -> Path:
    return root / ".dvc" / "cache"


def cache_files(root: Path) -> set[Path]:
    return {p for p in cache_folder(root).rglob("*") if p.is_file()}


def load(root: Path, relpath: str) -> dict[str, Any]:
    data = yaml.safe_load((root / relpath).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def tree(root: Path, folder: str) -> set[str]:
    """Every file and folder below `folder`, ignored ones included (git status does not show those)."""
    return {p.relative_to(root).as_posix() for p in (root / folder).rglob("*")}


def snapshot(root: Path) -> dict[str, object]:
    """Everything a failed registration must leave untouched."""
    return {
        "head": git(root, "rev-parse", "HEAD").strip(),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        "staged": git(root, "diff", "--cached", "--name-only"),
        "artifacts": tree(root, "artifacts"),
        "models": tree(root, "models"),
        "cache": cache_files(root),
    }


def scan_for(root: Path, needle: str) -> list[str]:
    """Files under `root` (the .git folder included) and committed content that contain `needle`."""
    hits = [p.as_posix() for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]
    if needle in git(root, "log", "--all", "-p", "--format=%H %B"):
        hits.append("git log -p")
    return hits


@pytest.fixture
def training(tmp_path: Path) -> Path:
    return make_training(tmp_path / "train")


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def commit_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def committed_files(repo: Path, revision: str = "HEAD") -> list[str]:
    return sorted(git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", revision).split())


# --- successful registrations --------------------------------------------------------------------------------------


def test_register_a_file_artifact(registry: Path, training: Path, charter: Charter) -> None:
    before_head, before_count = head(registry), commit_count(registry)
    artifact = training / "out" / "model.onnx"
    result = charter("-C", registry, "register", MODEL, "--artifact", artifact,
                     "--metrics", training / "out" / "metrics.json", cwd=training)
    no_traceback(result)
    assert result.code == 0, result
    relpath = "models/sepsis-risk/versions/1.2.0.yaml"  # next minor after 1.1.0
    assert "registered model:sepsis-risk@1.2.0" in result.stdout and relpath in result.stdout

    doc = load(registry, relpath)
    spec = doc["spec"]
    assert doc["kind"] == "ModelVersion"
    assert doc["metadata"]["name"] == MODEL and doc["metadata"]["version"] == "1.2.0"
    assert doc["metadata"]["status"] == "active" and doc["metadata"]["owner"] == "team-clinical-ml"
    assert spec["artifact"] == {"path": "artifacts/sepsis-risk/1.2.0/model.onnx", "hash": md5(artifact),
                                "size": 4096, "format": "onnx"}
    assert spec["artifact"]["hash"] in result.stdout

    parent = load(registry, "models/sepsis-risk/versions/1.1.0.yaml")["spec"]
    assert spec["parent"] == "model:sepsis-risk@1.1.0"
    for key in ("labelEvent", "trainingCohorts", "validationCohorts", "contract"):
        assert spec[key] == parent[key], key

    provenance = spec["provenance"]
    assert provenance["codeRepo"] == "https://host/x.git"
    assert provenance["commit"] == head(training)
    assert provenance["dirty"] is False
    assert provenance["params"] == {"learning_rate": 0.05, "model.depth": 6, "model.features": ["age", "lactate"]}
    assert provenance["environment"]["python"].count(".") == 2
    assert provenance["datasets"][0]["name"] == "sepsis-adult-inpatients-train"  # from the carried-over cohort
    assert spec["metrics"] == {"val.auprc": 0.41, "val.auroc": 0.87, "loss": 0.12}

    # one new commit on top of the old head, holding exactly the version file, the pointer and the .gitignore
    assert commit_count(registry) == before_count + 1 and head(registry) != before_head
    assert git(registry, "rev-parse", "HEAD~1").strip() == before_head
    assert committed_files(registry) == ["artifacts/sepsis-risk/1.2.0/.gitignore",
                                         "artifacts/sepsis-risk/1.2.0/model.onnx.dvc", relpath]
    assert git(registry, "log", "-1", "--format=%s").strip() == "Register model:sepsis-risk@1.2.0"
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(registry, "ls-files", "artifacts/sepsis-risk/1.2.0/model.onnx") == ""  # the artifact is not in git

    pointer = yaml.safe_load((registry / "artifacts/sepsis-risk/1.2.0/model.onnx.dvc").read_text())
    assert pointer["outs"][0]["md5"] == md5(artifact)
    stored = object_path(remote_folder(registry), md5(artifact))
    assert stored.is_file() and stored.read_bytes() == artifact.read_bytes()

    validated = charter("-C", registry, "validate", "--check-artifacts")
    no_traceback(validated)
    assert validated.code == 0, validated

    assert scan_for(registry, TOKEN) == []
    assert TOKEN not in result.stdout + result.stderr + validated.stdout + validated.stderr


def test_register_a_directory_as_a_draft_with_an_explicit_version_from_dirty_code(
        registry: Path, training: Path, charter: Charter) -> None:
    folder = training / "out" / "saved_model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(os.urandom(1000))
    (folder / "variables" / "weights.bin").write_bytes(os.urandom(3000))
    (training / "params.yaml").write_text("learning_rate: 0.01\n")  # an uncommitted edit: not reproducible
    result = charter("-C", registry, "register", MODEL, "--artifact", folder, "--version", "2.0.0", "--draft",
                     "--metrics", training / "out" / "metrics.json", "--message", "Bigger model.\n\nMore layers.",
                     cwd=training)
    no_traceback(result)
    assert result.code == 0, result
    relpath = "models/sepsis-risk/versions/2.0.0.yaml"
    doc = load(registry, relpath)
    artifact = doc["spec"]["artifact"]
    assert artifact["path"] == "artifacts/sepsis-risk/2.0.0/saved_model"
    assert artifact["hash"].endswith(".dir") and artifact["size"] == 4000 and artifact["format"] == "other"
    assert doc["metadata"]["status"] == "draft"
    assert doc["metadata"]["description"] == "Bigger model."
    assert doc["spec"]["notes"] == "Bigger model.\n\nMore layers."
    assert doc["spec"]["provenance"]["dirty"] is True
    assert doc["spec"]["provenance"]["params"] == {"learning_rate": 0.01}  # what was used, not what is committed
    assert doc["spec"]["parent"] == "model:sepsis-risk@1.1.0"

    assert committed_files(registry) == ["artifacts/sepsis-risk/2.0.0/.gitignore",
                                         "artifacts/sepsis-risk/2.0.0/saved_model.dvc", relpath]
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""
    remote = remote_folder(registry)
    assert object_path(remote, artifact["hash"]).is_file()  # the folder's listing
    for part in (folder / "saved_model.pb", folder / "variables" / "weights.bin"):
        assert object_path(remote, md5(part)).read_bytes() == part.read_bytes()

    # a draft is never "latest": deploy code asking for the latest release still gets 1.1.0
    latest = charter("-C", registry, "resolve", "model:sepsis-risk@latest", "--format", "json")
    assert latest.code == 0 and json.loads(latest.stdout)["ref"] == "model:sepsis-risk@1.1.0"
    validated = charter("-C", registry, "validate", "--check-artifacts")
    assert validated.code == 0, validated


def test_no_push_keeps_the_artifact_in_the_cache_only(registry: Path, training: Path, charter: Charter) -> None:
    artifact = training / "out" / "model.onnx"
    digest = md5(artifact)
    for version in ("1.1.1", "1.1.2"):  # the same file twice: a re-release with other references, say
        result = charter("-C", registry, "register", MODEL, "--artifact", artifact, "--no-push",
                         "--version", version, cwd=training)
        no_traceback(result)
        assert result.code == 0, result
        assert "(not pushed)" in result.stdout
    assert not object_path(remote_folder(registry), digest).exists()
    cached = object_path(cache_folder(registry), digest)
    assert cached.is_file()

    validated = charter("-C", registry, "validate", "--check-artifacts")
    assert validated.code == 0, validated  # the cache has it

    cached.unlink()  # lost with the machine that registered it
    report = charter("-C", registry, "validate", "--check-artifacts", "--trust-remote-config", "--format", "json")
    no_traceback(report)
    assert report.code == 1
    found = json.loads(report.stdout)["findings"]
    assert [(f["code"], f["path"]) for f in found] == [("CH703", "models/sepsis-risk/versions/1.1.1.yaml"),
                                                      ("CH703", "models/sepsis-risk/versions/1.1.2.yaml")]
    assert all(digest in f["message"] for f in found)


def test_python_api_registers_and_returns_the_reference(registry: Path, training: Path) -> None:
    api = charter.Registry(registry)
    assert [v.version for v in api.list() if v.name == MODEL and v.kind == "ModelVersion"] == ["1.0.0", "1.1.0"]
    ref = api.register(MODEL, training / "out" / "model.onnx", metrics=str(training / "out" / "metrics.json"),
                       code_repo=str(training), message="From the API.")  # strings, as scripts pass them
    assert ref == "model:sepsis-risk@1.2.0"
    version = api.get(ref)  # the registry is read again after the change
    assert version.spec["metrics"]["val.auprc"] == 0.41
    assert version.spec["provenance"]["commit"] == head(training)
    assert version.spec["provenance"]["codeRepo"] == "https://host/x.git"
    assert version.spec["notes"] == "From the API."
    assert api.resolve(f"model:{MODEL}@latest")[0].ref == ref
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == ""
    assert object_path(remote_folder(registry), md5(training / "out" / "model.onnx")).is_file()
    assert scan_for(registry, TOKEN) == []


# --- bad input changes nothing -------------------------------------------------------------------------------------


def write_file(name: str, text: str) -> Callable[[Path], list[str]]:
    def make(training: Path) -> list[str]:
        path = training / "out" / name
        path.write_text(text)
        return ["--metrics", str(path)]

    return make


BAD_INPUT: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "missing artifact": (lambda t: ["--artifact", str(t / "out" / "nope.onnx")], "nope.onnx does not exist"),
    "missing metrics file": (lambda t: ["--metrics", str(t / "out" / "gone.json")], "cannot read metrics file"),
    "metrics file is a folder": (lambda t: ["--metrics", str(t / "out")], "cannot read metrics file"),
    "metrics not JSON": (write_file("bad.json", '{"auprc": 0.4,'), "not valid JSON"),
    "metric not a number": (write_file("words.json", '{"val": {"auprc": "high"}}'), "'val.auprc'"),
    "metric is a boolean": (write_file("flag.yaml", "val:\n  passed: true\n"), "'val.passed'"),
    "metric is a list": (write_file("listed.json", '{"auprc": [0.4, 0.5]}'), "'auprc'"),
    "metrics file is a list": (write_file("list.json", "[0.4, 0.5]"), "must hold a mapping"),
    "metric is NaN": (write_file("nan.json", '{"val": {"auprc": NaN}}'), "'val.auprc' has an unsupported value nan"),
    "metric is infinite": (write_file("inf.json", '{"loss": -Infinity}'), "'loss' has an unsupported value -inf"),
    "metrics YAML broken": (write_file("broken.yaml", "auprc: [0.4\n"), "broken.yaml:"),
    "version exists": (lambda t: ["--version", "1.1.0"], "model:sepsis-risk@1.1.0 already exists"),
    "version not semver": (lambda t: ["--version", "1.2"], "'1.2' is not semver"),
    "version with v": (lambda t: ["--version", "v1.2.0"], "is not semver"),
    "code repo missing": (lambda t: ["--code-repo", str(t / "elsewhere")], "elsewhere does not exist"),
    "code repo not in git": (lambda t: ["--code-repo", str(t.parent)], "is not in a git repository"),
    "unknown parent": (lambda t: ["--parent", "model:sepsis-risk@0.9.0"], "parent model:sepsis-risk@0.9.0"),
    "bad start time": (lambda t: ["--started-at", "yesterday"], "not an ISO 8601"),
    "start time without zone": (lambda t: ["--started-at", "2026-11-23T09:30:00"], "has no time zone"),
}


def assert_unchanged(root: Path, before: dict[str, object]) -> None:
    after = snapshot(root)
    for key, value in before.items():
        assert after[key] == value, f"{key} changed: {value!r} -> {after[key]!r}"


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_changes_nothing(case: str, registry: Path, training: Path, charter: Charter) -> None:
    make, message = BAD_INPUT[case]
    extra = make(training)
    args = ["--artifact", str(training / "out" / "model.onnx"), *extra]
    before = snapshot(registry)
    result = charter("-C", registry, "register", MODEL, *args, cwd=training)
    no_traceback(result)
    assert result.code == 2, result
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("error: ")
    assert_unchanged(registry, before)


@pytest.mark.parametrize("name", ["../x", "-rf", "has space", "UPPER", "model:", "x" * 64, "trailing-"])
def test_invalid_model_names(name: str, registry: Path, training: Path, charter: Charter) -> None:
    before = snapshot(registry)
    # `--` so that a name starting with a dash reaches charter as a name, not as an option
    result = charter("-C", registry, "register", "--artifact", training / "out" / "model.onnx", "--", name,
                     cwd=training)
    no_traceback(result)
    assert result.code == 2, result
    assert "is not a valid model name" in result.stderr
    assert_unchanged(registry, before)
    assert not (registry / "x").exists() and not (registry.parent / "x").exists()


def test_unknown_model(registry: Path, training: Path, charter: Charter) -> None:
    before = snapshot(registry)
    result = charter("-C", registry, "register", "heart-failure", "--artifact", training / "out" / "model.onnx",
                     cwd=training)
    no_traceback(result)
    assert result.code == 2 and "there is no model 'heart-failure'" in result.stderr
    assert_unchanged(registry, before)


def test_invalid_reference_is_a_finding_and_nothing_is_written(
        registry: Path, training: Path, charter: Charter) -> None:
    before = snapshot(registry)
    artifact = training / "out" / "model.onnx"
    result = charter("-C", registry, "register", MODEL, "--artifact", artifact, "--event", "event:nope@1.0.0",
                     cwd=training)
    no_traceback(result)
    assert result.code == 1, result
    assert "CH401" in result.stdout and "event:nope@1.0.0" in result.stdout
    assert "nothing was registered" in result.stdout
    assert_unchanged(registry, before)  # the artifact went through DVC and back out of the cache
    assert not object_path(remote_folder(registry), md5(artifact)).exists()


def test_unreachable_remote_commits_nothing(registry: Path, training: Path, tmp_path: Path,
                                           charter: Charter) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("a regular file, so nothing can be created below it\n")
    config = registry / ".dvc" / "config"
    config.write_text(re.sub(r"(?m)^(\s*url = ).*$", rf"\g<1>{blocker / 'remote'}", config.read_text()))
    git(registry, "commit", "-qam", "point the remote somewhere unreachable")
    before = snapshot(registry)
    result = charter("-C", registry, "register", MODEL, "--artifact", training / "out" / "model.onnx",
                     cwd=training)
    no_traceback(result)
    assert result.code == 2, result
    assert "DVC could not push to the remote" in result.stderr
    assert_unchanged(registry, before)
    assert blocker.read_text().startswith("a regular file")


@pytest.mark.parametrize("held", ["index.lock", "refs/heads/main.lock"])
def test_held_git_lock_leaves_nothing_staged_or_written(held: str, registry: Path, training: Path,
                                                        charter: Charter) -> None:
    lock = registry / ".git" / held  # the index (git add fails) or the branch (git commit fails after add)
    before = snapshot(registry)
    lock.write_text("")  # another git process is at work
    artifact = training / "out" / "model.onnx"
    result = charter("-C", registry, "register", MODEL, "--artifact", artifact, "--no-push", cwd=training)
    no_traceback(result)
    assert result.code == 2, result
    assert "git commit failed" in result.stderr and "lock" in result.stderr
    assert lock.exists()  # not ours to remove
    lock.unlink()
    assert_unchanged(registry, before)
    # and the same registration goes through once the lock is gone
    retry = charter("-C", registry, "register", MODEL, "--artifact", artifact, "--no-push", cwd=training)
    assert retry.code == 0, retry
    assert committed_files(registry)[-1] == "models/sepsis-risk/versions/1.2.0.yaml"


def test_other_staged_work_is_neither_committed_nor_unstaged(registry: Path, training: Path,
                                                             charter: Charter) -> None:
    readme = registry / "README.md"
    readme.write_text(readme.read_text() + "\nWork in progress.\n")
    git(registry, "add", "README.md")
    result = charter("-C", registry, "register", MODEL, "--artifact", training / "out" / "model.onnx",
                     "--no-push", cwd=training)
    assert result.code == 0, result
    assert "README.md" not in committed_files(registry)
    assert git(registry, "diff", "--cached", "--name-only").split() == ["README.md"]
    assert "Work in progress." in readme.read_text()


def test_registry_without_dvc_changes_nothing(training: Path, tmp_path: Path, charter: Charter) -> None:
    root = tmp_path / "plain"
    created = charter("init", root, "--no-artifacts")
    assert created.code == 0, created
    before = snapshot(root)
    result = charter("-C", root, "register", MODEL, "--artifact", training / "out" / "model.onnx", cwd=training)
    no_traceback(result)
    assert result.code == 2 and "has no DVC set-up" in result.stderr, result
    assert_unchanged(root, before)


def test_registry_in_a_folder_of_a_larger_repository(training: Path, tmp_path: Path, charter: Charter) -> None:
    from dvc.logger import set_loggers_level
    from dvc.repo import Repo

    from charter.authoring.create_registry import create_registry

    mono = tmp_path / "mono"
    mono.mkdir()
    git(mono, "init", "-q", "-b", "main")
    root = mono / "ml" / "registry"
    create_registry(root, artifacts=False)
    shutil.rmtree(root / ".git")  # the registry moves into the team's repository
    store = tmp_path / "store"
    # DVC's log handlers keep the stdout of the run that imported DVC (a CliRunner's, closed since): quiet here
    with set_loggers_level(logging.WARNING):
        dvc_repo = Repo.init(str(root), subdir=True)
        with dvc_repo.config.edit() as conf:
            conf["remote"]["store"] = {"url": str(store)}
            conf["core"]["remote"] = "store"
    git(mono, "add", "-A")
    git(mono, "commit", "-qm", "registry in a folder")
    artifact = training / "out" / "model.onnx"
    result = charter("-C", root, "register", MODEL, "--artifact", artifact, "--version", "1.5.0", cwd=training)
    no_traceback(result)
    assert result.code == 0, result
    assert committed_files(mono) == ["ml/registry/artifacts/sepsis-risk/1.5.0/.gitignore",
                                     "ml/registry/artifacts/sepsis-risk/1.5.0/model.onnx.dvc",
                                     "ml/registry/models/sepsis-risk/versions/1.5.0.yaml"]
    assert git(mono, "status", "--porcelain", "--untracked-files=all") == ""
    assert object_path(store, md5(artifact)).read_bytes() == artifact.read_bytes()
