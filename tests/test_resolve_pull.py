"""`charter resolve` and `charter pull`: what should run where, and its artifact exactly as approved.

Real git, real DVC with a real local remote folder, and S3 through a moto server on 127.0.0.1: nothing is mocked.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from charter import Registry
from tests.conftest import Charter, git
from tests.helpers import make_training, md5, no_traceback, object_path, remote_folder

PRODUCTION_SEPSIS = "models/sepsis-risk/versions/1.0.0.yaml"


def recorded(root: Path, relpath: str) -> dict[str, Any]:
    artifact = yaml.safe_load((root / relpath).read_text())["spec"]["artifact"]
    assert isinstance(artifact, dict)
    return artifact


def files_below(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- resolve ---------------------------------------------------------------------------------------------------------


def test_resolve_an_environment_as_text(template_registry: Path, charter: Charter) -> None:
    result = charter("-C", template_registry, "resolve", "sepsis-risk", "--env", "production")
    no_traceback(result)
    assert result.code == 0, result
    artifact = recorded(template_registry, PRODUCTION_SEPSIS)
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["sepsis-risk", "in", "production"]
    assert lines[1] == ["model:sepsis-risk@1.0.0", "full", "active"]
    assert lines[2] == ["artifact", artifact["path"], "(onnx,", str(artifact["size"]), "bytes)"]
    assert lines[3] == ["md5", artifact["hash"]]
    assert lines[4] == ["contract", "contract:sepsis-risk-serving@1.0.0"]
    assert len(lines) == 5


def test_resolve_an_environment_as_json(template_registry: Path, charter: Charter) -> None:
    result = charter("-C", template_registry, "resolve", "sepsis-risk", "--env", "production", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    artifact = recorded(template_registry, PRODUCTION_SEPSIS)
    assert data["ref"] == "model:sepsis-risk@1.0.0" and data["model"] == "sepsis-risk" and data["version"] == "1.0.0"
    assert data["environment"] == "production" and data["mode"] == "full" and data["percent"] is None
    assert data["status"] == "active" and data["path"] == PRODUCTION_SEPSIS
    assert data["artifact"] == artifact and artifact["size"] == 2500
    assert md5(template_registry / artifact["path"]) == artifact["hash"]
    assert data["contract"] == "contract:sepsis-risk-serving@1.0.0"
    assert [a["ref"] for a in data["assignments"]] == ["model:sepsis-risk@1.0.0"]
    assert data["assignments"][0] == {k: v for k, v in data.items() if k != "assignments"}


def test_full_and_canary_with_the_primary_first(registry: Path, charter: Charter) -> None:
    # put the canary first in the file: the order in the answer must not depend on the order in the file
    dev = registry / "environments" / "dev.yaml"
    text = dev.read_text()
    blocks = re.split(r"(?m)^(?=    - model: )", text)
    head, rest = blocks[0], blocks[1:]
    canary = [b for b in rest if "mode: canary" in b]
    assert len(canary) == 1
    dev.write_text(head + "".join(canary + [b for b in rest if b not in canary]))
    assert dev.read_text().index("card-fraud@3.3.0") < dev.read_text().index("card-fraud@3.2.0")

    result = charter("-C", registry, "resolve", "model:card-fraud@dev", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["ref"] == "model:card-fraud@3.2.0" and data["mode"] == "full"
    assert [(a["ref"], a["mode"], a["percent"]) for a in data["assignments"]] == [
        ("model:card-fraud@3.2.0", "full", None), ("model:card-fraud@3.3.0", "canary", 20.0)]
    for assignment in data["assignments"]:
        version = assignment["version"]
        assert assignment["artifact"] == recorded(registry, f"models/card-fraud/versions/{version}.yaml")
        assert assignment["contract"] == "contract:card-fraud-scoring@1.0.0"
        assert assignment["environment"] == "dev"

    text_result = charter("-C", registry, "resolve", "model:card-fraud@dev")
    assert text_result.code == 0
    rows = [line.split()[:3] for line in text_result.stdout.splitlines() if "model:card-fraud@" in line]
    assert rows == [["model:card-fraud@3.2.0", "full", "active"], ["model:card-fraud@3.3.0", "canary", "20%"]]


def test_latest_and_pinned(registry: Path, charter: Charter) -> None:
    latest = charter("-C", registry, "resolve", "model:sepsis-risk@latest", "--format", "json")
    assert latest.code == 0, latest
    data = json.loads(latest.stdout)
    assert (data["ref"], data["mode"], data["environment"]) == ("model:sepsis-risk@1.1.0", "latest", None)
    assert data["artifact"] == recorded(registry, "models/sepsis-risk/versions/1.1.0.yaml")

    pinned = charter("-C", registry, "resolve", "model:sepsis-risk@1.0.0", "--format", "json")
    assert pinned.code == 0, pinned
    data = json.loads(pinned.stdout)
    assert (data["ref"], data["mode"], data["environment"]) == ("model:sepsis-risk@1.0.0", "pinned", None)
    assert data["artifact"]["hash"] == recorded(registry, PRODUCTION_SEPSIS)["hash"]

    # a retired version is no longer the latest release
    newest = registry / "models/sepsis-risk/versions/1.1.0.yaml"
    newest.write_text(newest.read_text().replace("  status: active", "  status: retired", 1))
    again = charter("-C", registry, "resolve", "model:sepsis-risk@latest", "--format", "json")
    assert again.code == 0 and json.loads(again.stdout)["ref"] == "model:sepsis-risk@1.0.0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["heart-failure", "--env", "production"], "there is no model 'heart-failure'"),
        (["model:heart-failure@latest"], "there is no model 'heart-failure'"),
        (["sepsis-risk", "--env", "qa"], "'qa' is neither a version nor an environment"),
        (["model:sepsis-risk@qa"], "'qa' is neither a version nor an environment"),
        (["model:sepsis-risk@9.9.9"], "model:sepsis-risk@9.9.9 does not exist"),
        (["model:sepsis-risk@production", "--env", "production"], "drop --env or the @ part"),
        (["model:sepsis-risk@1.0.0", "--env", "staging"], "drop --env or the @ part"),
        (["sepsis-risk"], "say which environment"),
        (["../x", "--env", "production"], "does not name a model"),
    ],
)
def test_resolve_errors(template_registry: Path, charter: Charter, args: list[str], message: str) -> None:
    result = charter("-C", template_registry, "resolve", *args)
    no_traceback(result)
    assert result.code == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr


def test_a_model_not_assigned_in_an_environment(registry: Path, charter: Charter) -> None:
    production = registry / "environments" / "production.yaml"
    text = production.read_text()
    kept = [b for b in re.split(r"(?m)^(?=    - model: )", text) if "model:card-fraud@" not in b]
    production.write_text("".join(kept))
    result = charter("-C", registry, "resolve", "card-fraud", "--env", "production")
    no_traceback(result)
    assert result.code == 2, result
    assert "model 'card-fraud' has no assignment in production" in result.stderr
    assert charter("-C", registry, "resolve", "sepsis-risk", "--env", "production").code == 0


# --- pull ------------------------------------------------------------------------------------------------------------


def test_pull_what_runs_in_production(registry: Path, tmp_path: Path, charter: Charter) -> None:
    expected = recorded(registry, PRODUCTION_SEPSIS)
    output = tmp_path / "deploy" / "out.onnx"
    result = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", output)
    no_traceback(result)
    assert result.code == 0, result
    assert md5(output) == expected["hash"] and output.stat().st_size == expected["size"]
    assert "model:sepsis-risk@1.0.0" in result.stdout and f"md5 {expected['hash']} verified" in result.stdout
    assert files_below(output.parent) == ["out.onnx"]  # no temporary folder left behind

    # into an existing folder: the artifact keeps its own name
    folder = tmp_path / "existing"
    folder.mkdir()
    into = charter("-C", registry, "pull", "model:sepsis-risk@1.1.0", "-o", folder)
    assert into.code == 0, into
    assert files_below(folder) == ["model.onnx"]
    assert md5(folder / "model.onnx") == recorded(registry, "models/sepsis-risk/versions/1.1.0.yaml")["hash"]

    # `-o deploy/` names a folder even before it exists (the README's example)
    fresh = tmp_path / "fresh"
    slash = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", f"{fresh}/")
    assert slash.code == 0, slash
    assert fresh.is_dir() and files_below(fresh) == ["model.onnx"]
    assert md5(fresh / "model.onnx") == expected["hash"]


def test_pull_refuses_to_overwrite_without_force(registry: Path, tmp_path: Path, charter: Charter) -> None:
    output = tmp_path / "model.onnx"
    output.write_bytes(b"the model that runs today")
    result = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", output)
    no_traceback(result)
    assert result.code == 2, result
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert output.read_bytes() == b"the model that runs today"
    forced = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", output, "--force")
    assert forced.code == 0, forced
    assert md5(output) == recorded(registry, PRODUCTION_SEPSIS)["hash"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".charter-pull-")]


def test_pull_to_an_impossible_path_is_an_environment_error(registry: Path, tmp_path: Path,
                                                            charter: Charter) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("a regular file\n")
    result = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", blocker / "x.onnx")
    no_traceback(result)
    assert result.code == 2, result
    assert "cannot write" in result.stderr and str(blocker) in result.stderr
    assert blocker.read_text() == "a regular file\n"


def test_pull_in_a_fresh_clone_fetches_from_the_remote(registry: Path, tmp_path: Path, charter: Charter) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(registry), str(clone))
    assert not (clone / ".dvc" / "cache").exists()
    assert not (clone / "artifacts/sepsis-risk/1.0.0/model.onnx").exists()  # only the pointer is in git
    expected = recorded(clone, PRODUCTION_SEPSIS)
    assert object_path(remote_folder(clone), expected["hash"]).is_file()

    output = tmp_path / "deploy" / "model.onnx"
    result = charter("-C", clone, "pull", "sepsis-risk", "--env", "production", "-o", output)
    no_traceback(result)
    assert result.code == 0, result
    assert md5(output) == expected["hash"]
    assert output.read_bytes() == (registry / "artifacts/sepsis-risk/1.0.0/model.onnx").read_bytes()
    assert git(clone, "status", "--porcelain", "--untracked-files=all") == ""

    # the Python API, as a deploy job would use it; a string ending in / is a folder
    written = Registry(clone).pull("sepsis-risk", f"{tmp_path / 'api'}/", env="production")
    assert written == tmp_path / "api" / "model.onnx" and md5(written) == expected["hash"]


@pytest.fixture
def own_registry(tmp_path: Path, charter: Charter) -> Path:
    """A registry with a remote folder of its own (tmp_path/charter-artifacts), so that it may be damaged."""
    result = charter("init", tmp_path / "own")
    assert result.code == 0, result
    assert remote_folder(tmp_path / "own") == tmp_path / "charter-artifacts"
    return tmp_path / "own"


def test_a_corrupted_remote_object_is_never_written(own_registry: Path, tmp_path: Path, charter: Charter) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(own_registry), str(clone))  # no cache: the remote is the only source
    digest = recorded(clone, PRODUCTION_SEPSIS)["hash"]
    stored = object_path(remote_folder(clone), digest)
    assert md5(stored) == digest
    stored.chmod(0o644)  # DVC makes stored objects read-only
    stored.write_bytes(b"not the approved model")

    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for output in (deploy / "model.onnx", f"{deploy}/"):
        result = charter("-C", clone, "pull", "sepsis-risk", "--env", "production", "-o", output)
        no_traceback(result)
        assert result.code == 2, result
        assert f"the registry records {digest}" in result.stderr and "nothing was written" in result.stderr
        assert list(deploy.iterdir()) == []  # no file, no half-written file, no temporary folder


def test_pull_a_folder_artifact_in_a_fresh_clone(registry: Path, tmp_path: Path, charter: Charter) -> None:
    training = make_training(tmp_path / "train")
    folder = training / "out" / "saved_model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(os.urandom(500))
    (folder / "variables" / "weights.bin").write_bytes(os.urandom(1500))
    ref = Registry(registry).register("sepsis-risk", folder, code_repo=training)
    assert ref == "model:sepsis-risk@1.2.0"

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(registry), str(clone))
    result = charter("-C", clone, "pull", ref, "-o", f"{tmp_path / 'deploy'}/")
    no_traceback(result)
    assert result.code == 0, result
    pulled = tmp_path / "deploy" / "saved_model"
    assert files_below(pulled) == ["saved_model.pb", "variables", "variables/weights.bin"]
    for name in ("saved_model.pb", "variables/weights.bin"):
        assert (pulled / name).read_bytes() == (folder / name).read_bytes()


# --- S3 through a local moto server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for _ in range(100):  # bounded: start() returns once the socket is bound, so the first try succeeds
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                break
            except OSError:
                continue
        else:
            pytest.fail(f"moto did not accept connections on {host}:{port}")
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def bucket_keys(endpoint: str, bucket: str) -> set[str]:
    client = boto3.client("s3", endpoint_url=endpoint)
    return {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_s3_remote_register_and_pull_from_a_fresh_clone(s3_endpoint: str, tmp_path: Path, charter: Charter,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="charter-models")

    # init pushes the example's artifacts at once; botocore takes the endpoint from AWS_ENDPOINT_URL for that
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    root = tmp_path / "reg"
    created = charter("init", root, "--remote", "s3://charter-models/store")
    no_traceback(created)
    assert created.code == 0, created
    example = {recorded(root, f"models/{m}/versions/{v}.yaml")["hash"]
               for m, v in [("sepsis-risk", "1.0.0"), ("sepsis-risk", "1.1.0"), ("card-fraud", "3.2.0"),
                            ("card-fraud", "3.3.0")]}
    # ... and the example's predictions file, by the md5 init recorded after moving its dates
    example.add(yaml.safe_load((root / "evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0.yaml").read_text())
                ["spec"]["evidence"]["predictions"]["md5"])
    assert bucket_keys(s3_endpoint, "charter-models") == {f"store/files/md5/{h[:2]}/{h[2:]}" for h in example}
    assert "url: s3://charter-models/store" in (root / "registry.yaml").read_text()

    # the endpoint goes into the registry's committed DVC config, so that every clone reaches the same store
    remote = re.search(r"^\s*remote = (\S+)", (root / ".dvc" / "config").read_text(), flags=re.M)
    assert remote
    dvc = subprocess.run([str(Path(sys.executable).parent / "dvc"), "remote", "modify", remote.group(1),
                          "endpointurl", s3_endpoint], cwd=root, capture_output=True, text=True, timeout=120)
    assert dvc.returncode == 0, dvc.stderr
    git(root, "commit", "-qam", "S3 endpoint")
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # from here on the endpoint comes from .dvc/config only

    training = make_training(tmp_path / "train")
    artifact = training / "out" / "model.onnx"
    result = charter("-C", root, "register", "sepsis-risk", "--artifact", artifact,
                     "--metrics", training / "out" / "metrics.json", cwd=training)
    no_traceback(result)
    assert result.code == 0, result
    digest = md5(artifact)
    assert f"store/files/md5/{digest[:2]}/{digest[2:]}" in bucket_keys(s3_endpoint, "charter-models")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    assert s3_endpoint in (clone / ".dvc" / "config").read_text()
    # no cache in the clone: the bucket has them (its own checkout: the remote configuration is trusted)
    validated = charter("-C", clone, "validate", "--check-artifacts", "--trust-remote-config")
    no_traceback(validated)
    assert validated.code == 0, validated
    output = tmp_path / "deploy" / "model.onnx"
    pulled = charter("-C", clone, "pull", "model:sepsis-risk@latest", "-o", output)
    no_traceback(pulled)
    assert pulled.code == 0, pulled
    assert "model:sepsis-risk@1.2.0" in pulled.stdout
    assert output.read_bytes() == artifact.read_bytes()
