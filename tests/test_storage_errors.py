"""A full disk or a read-only file system is said as such, naming the path, by every command that writes; the
registry is left as it was found. In-process with the failure injected at the rename every write ends with, and
end to end on a real tmpfs that is filled, then remounted read-only."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.adapters.git.repo import commit_failure
from charter.errors import CommitFailed, DiskFull, IndexLocked, ReadOnlyFileSystem
from tests.conftest import Charter, git
from tests.helpers import HEALTH, MODEL, make_training

RESULTS = Path(__file__).parent / "data" / "evaluate" / "sepsis-risk-1.2.0.json"
WORDS = {errno.ENOSPC: "the disk is full: cannot write", errno.EROFS: "the file system is read-only: cannot write"}


def commands(registry: Path, tmp_path: Path) -> dict[str, tuple[str | Path, ...]]:
    (tmp_path / "health.yaml").write_text(HEALTH)
    training = make_training(tmp_path / "train")
    return {
        "monitor record": ("-C", registry, "monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production",
                           "--file", tmp_path / "health.yaml"),
        "evaluate record": ("-C", registry, "evaluate", "record", "model:sepsis-risk@1.1.0", "--cohort",
                            "cohort:sepsis-adult-inpatients-eval@1.0.0", "--results", RESULTS),
        "new": ("-C", registry, "new", "model", "fresh-model", "--no-edit"),
        "register": ("-C", registry, "register", MODEL, "--artifact", training / "out" / "model.onnx",
                     "--code-repo", training, "--no-push"),
        "promote": ("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--no-push"),
        "report": ("-C", registry, "report", "-o", tmp_path / "site"),
        "codeowners": ("-C", registry, "codeowners"),
    }


@pytest.fixture
def failing_renames(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[int]:
    """Every rename into place outside the git directory fails with the errno asked for, as the kernel would."""
    code: int = request.param
    originals = {name: getattr(os, name) for name in ("replace", "rename")}

    def failing(name: str):  # type: ignore[no-untyped-def]
        def rename(source: object, target: object, *args: object, **kwargs: object) -> None:
            if f"{os.sep}.git{os.sep}" not in os.fspath(target):  # type: ignore[arg-type]
                raise OSError(code, os.strerror(code), os.fspath(target))  # type: ignore[arg-type]
            originals[name](source, target, *args, **kwargs)
        return rename

    for name in originals:
        monkeypatch.setattr(os, name, failing(name))
    yield code


@pytest.mark.parametrize("failing_renames", [errno.ENOSPC, errno.EROFS], indirect=True, ids=["ENOSPC", "EROFS"])
@pytest.mark.parametrize("command", ["monitor record", "evaluate record", "new", "register", "promote", "report",
                                     "codeowners"])
def test_every_writer_says_the_disk_is_full_or_read_only(command: str, failing_renames: int, registry: Path,
                                                        charter: Charter, tmp_path: Path) -> None:
    args = commands(registry, tmp_path)[command]
    if command == "codeowners":
        owners = registry / "CODEOWNERS"
        owners.write_text(owners.read_text() + "# edited by hand\n")
        git(registry, "commit", "-qam", "An edit the command will undo")
    head, status = git(registry, "rev-parse", "HEAD"), git(registry, "status", "--porcelain", "--untracked-files=all")
    result = charter(*args, cwd=tmp_path / "train" if command == "register" else registry)
    assert result.code == 2, result
    assert WORDS[failing_renames] in result.stderr, result.stderr
    assert re.search(r"cannot write /\S+", result.stderr), "the message names the path"
    assert "Traceback" not in result.stderr and "another git process" not in result.stderr
    assert git(registry, "rev-parse", "HEAD") == head
    assert git(registry, "status", "--porcelain", "--untracked-files=all") == status, "left as it was found"
    assert not list((registry / ".git").glob("charter-*-journal.json"))


@pytest.mark.parametrize(("said", "error"), [
    ("error: unable to write file records/x.yaml\nfatal: No space left on device", DiskFull),
    ("fatal: Unable to create '/r/.git/index.lock': Read-only file system", ReadOnlyFileSystem),
    ("fatal: Unable to create '/r/.git/index.lock': File exists.\n\nAnother git process seems to be running",
     IndexLocked),
    ("fatal: cannot do a partial commit during a merge.", CommitFailed),
])
def test_what_git_says_of_a_failed_commit_becomes_the_error_a_person_can_act_on(said: str, error: type) -> None:
    failure = commit_failure(Path("/r"), said)
    assert type(failure) is error
    assert "\n" not in failure.message and "/r" in failure.message
    if error is not IndexLocked:
        assert "another git process" not in failure.hint


# --- end to end, on a file system that really is full, then really is read-only -------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs, mounted for this test and unmounted after it (needs the privilege to mount: root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): the in-process tests above cover this")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_real_full_disk_then_a_real_read_only_one(small_disk: Path, registry: Path, tmp_path: Path) -> None:
    copy = small_disk / "registry"
    shutil.copytree(registry, copy, symlinks=True)
    (tmp_path / "health.yaml").write_text(HEALTH)
    args = [sys.executable, "-m", "charter", "-C", str(copy), "monitor", "record", "model:sepsis-risk@1.0.0",
            "--env", "production", "--file", str(tmp_path / "health.yaml")]
    assert subprocess.run(args, capture_output=True, check=False).returncode == 0, "the disk works before it fills"
    head = git(copy, "rev-parse", "HEAD")
    # fill the disk to its last byte
    with (small_disk / "filler").open("wb") as filler, pytest.raises(OSError, match="No space left on device"):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    full = subprocess.run(args, capture_output=True, text=True, check=False)
    assert full.returncode == 2, full.stdout + full.stderr
    assert "the disk is full: cannot write" in full.stderr and "Traceback" not in full.stderr
    assert git(copy, "rev-parse", "HEAD") == head

    (small_disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    read_only = subprocess.run(args, capture_output=True, text=True, check=False)
    assert read_only.returncode == 2, read_only.stdout + read_only.stderr
    assert "the file system is read-only: cannot write" in read_only.stderr and "Traceback" not in read_only.stderr
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert git(copy, "rev-parse", "HEAD") == head
    assert git(copy, "status", "--porcelain", "--untracked-files=all") == ""
    assert not list((copy / ".git").glob("charter-*-journal.json"))
