"""The files commands take (--metrics, --params, --file, --results): every unreadable one is a one-line error that
names the file (and the line and column where there is one), exit 2, never a crash (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Charter, git
from tests.helpers import make_training, no_traceback

DEEP = 100_000
#: name -> (file name, bytes, words the error must hold after the file name)
HOSTILE: dict[str, tuple[str, bytes, str]] = {
    "deeply nested JSON": ("deep.json", b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}", ":1:"),
    "deeply nested YAML": ("deep.yaml", b"a: " + b"[" * DEEP + b"]" * DEEP + b"\n", ":1:"),
    "a huge JSON integer": ("huge.json", b'{\n  "auroc": ' + b"9" * 5000 + b"\n}", ":2:"),
    "a huge YAML integer": ("huge.yaml", b"auroc: " + b"9" * 5000 + b"\n", ":1:"),
    "Latin-1 JSON": ("latin.json", '{\n  "note": "café"\n}'.encode("latin-1"), ":2:"),
    "Latin-1 YAML": ("latin.yaml", "note: café\n".encode("latin-1"), ":1:"),
}
CSV: dict[str, tuple[str, bytes, str]] = {
    "a CSV field past the csv limit": ("long.csv", b"threshold,tp,fp,tn,fn\n0.5,1,2,3," + b"4" * 200_000 + b"\n",
                                       ":2:"),
    "Latin-1 CSV": ("latin.csv", "threshold,tp,fp,tn,fn\n0.5,1,2,3,4 é\n".encode("latin-1"), ":2:"),
}


def _check(result: object, path: Path, where: str) -> None:
    no_traceback(result)
    assert result.code == 2, result  # type: ignore[attr-defined]
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert f"{path.name}{where}" in stderr, stderr
    assert len(stderr) < 2000, stderr


def _unchanged(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.parametrize("option", ["--metrics", "--params"])
@pytest.mark.parametrize("case", HOSTILE)
def test_register_refuses_hostile_metrics_and_params(registry: Path, tmp_path: Path, charter: Charter, case: str,
                                                     option: str) -> None:
    training = make_training(tmp_path / "train")
    name, raw, where = HOSTILE[case]
    path = tmp_path / name
    path.write_bytes(raw)
    before = _unchanged(registry)
    result = charter("-C", registry, "register", "sepsis-risk", "--artifact", training / "out/model.onnx",
                     option, path, "--no-push", cwd=training)
    _check(result, path, where)
    assert _unchanged(registry) == before


@pytest.mark.parametrize("case", HOSTILE)
def test_monitor_record_refuses_a_hostile_file(registry: Path, tmp_path: Path, charter: Charter, case: str) -> None:
    name, raw, where = HOSTILE[case]
    path = tmp_path / name
    path.write_bytes(raw)
    before = _unchanged(registry)
    result = charter("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                     "--file", path)
    _check(result, path, where)
    assert _unchanged(registry) == before


@pytest.mark.parametrize("case", {**HOSTILE, **CSV})
def test_evaluate_record_refuses_hostile_results(registry: Path, tmp_path: Path, charter: Charter, case: str) -> None:
    name, raw, where = {**HOSTILE, **CSV}[case]
    path = tmp_path / name
    path.write_bytes(raw)
    before = _unchanged(registry)
    result = charter("-C", registry, "evaluate", "record", "model:sepsis-risk@1.1.0", "--cohort",
                     "cohort:sepsis-adult-inpatients-eval@1.0.0", "--results", path)
    _check(result, path, where)
    assert _unchanged(registry) == before
