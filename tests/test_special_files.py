"""Links, pipes, devices and non-UTF-8 names in a registry: no command reads or writes through them, none hangs on
them, none crashes on them. Commands run as the installed console script in a child process: the timeout is a hang
guard, not a timing assertion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Charter, git, no_traceback

#: Hang guard for one command: a FIFO that is opened blocks until the test's timeout.
TIMEOUT = 60
FIFO = "models/card-fraud/versions/9.9.9.yaml"


def run(root: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "charter"
    return subprocess.run([str(exe), *map(str, args)], cwd=root, capture_output=True, text=True, errors="replace",
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}, timeout=TIMEOUT)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


# --- reading ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("validate",), ("list",), ("search", "fraud"), ("show", "model:card-fraud@9.9.9"), ("status",),
    ("report", "-o", "{tmp}/site"), ("promote", "model:card-fraud@3.3.0", "--to", "staging", "--no-push"),
], ids=lambda args: args[0])
def test_a_fifo_named_yaml_hangs_no_command(args: tuple[str, ...], registry: Path, tmp_path: Path) -> None:
    os.mkfifo(registry / FIFO)
    done = run(registry, *(a.format(tmp=tmp_path) for a in args))  # raises TimeoutExpired where it would hang
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1, 2), output
    assert "Traceback" not in output and "internal error" not in output
    if args[0] == "validate":
        assert done.returncode == 1 and f"{FIFO}:1:1: error CH105 is a named pipe (FIFO)" in output
    if args[0] in ("list", "search"):
        assert "9.9.9" not in output  # skipped, not guessed at


def test_a_committed_link_to_dev_zero_is_not_read(registry: Path) -> None:
    (registry / "models/card-fraud/versions/9.9.9.yaml").symlink_to("/dev/zero")
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "a link to /dev/zero")
    for args in (("search", "fraud"), ("search", "description ~ zero"), ("list", "--where", "status = active")):
        done = run(registry, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "MemoryError" not in done.stderr and "internal error" not in done.stderr
    checked = run(registry, "validate")
    assert checked.returncode == 1 and "9.9.9.yaml:1:1: error CH105 is a symbolic link" in checked.stdout


def test_a_symlinked_entry_folder_is_not_read_through(registry: Path, tmp_path: Path, charter: Charter) -> None:
    """`environments` a link to a folder outside: promote refuses the file reached through it (it edited it)."""
    outside = tmp_path / "outside-environments"
    (registry / "environments").rename(outside)
    (registry / "environments").symlink_to(outside)
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "environments elsewhere")
    before = (outside / "dev.yaml").read_bytes()
    result = charter("-C", registry, "promote", "model:card-fraud@3.3.0", "--to", "dev", "--no-push")
    no_traceback(result)
    assert result.code == 1, result
    assert "environments/dev.yaml:1:1: error CH105 is reached through environments, which is a symbolic link" \
        in result.stdout + result.stderr
    assert (outside / "dev.yaml").read_bytes() == before
    assert git(registry, "branch", "--list", "charter/*") == ""


# --- promote's environment file ---------------------------------------------------------------------------------


def test_promote_never_reads_or_commits_a_linked_environment_file(registry: Path, tmp_path: Path,
                                                                  charter: Charter) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes((registry / "environments/staging.yaml").read_bytes())
    (registry / "environments/staging.yaml").unlink()
    (registry / "environments/staging.yaml").symlink_to(outside)
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "staging lives elsewhere")
    before, commit = outside.read_bytes(), head(registry)

    result = charter("-C", registry, "promote", "model:card-fraud@3.3.0", "--to", "staging", "--no-push")

    no_traceback(result)
    assert result.code == 1, result
    assert "environments/staging.yaml:1:1: error CH105 is a symbolic link" in result.stdout + result.stderr
    assert outside.read_bytes() == before, "the file outside is untouched"
    assert head(registry) == commit and git(registry, "branch", "--list", "charter/*") == "", "nothing committed"
    assert (registry / "environments/staging.yaml").is_symlink()


# --- writing ----------------------------------------------------------------------------------------------------


def test_codeowners_is_not_written_through_a_link(registry: Path, tmp_path: Path, charter: Charter) -> None:
    outside = tmp_path / "outside"
    outside.write_text("keep me\n")
    (registry / "CODEOWNERS").unlink()
    (registry / "CODEOWNERS").symlink_to(outside)
    result = charter("-C", registry, "codeowners")
    no_traceback(result)
    assert result.code == 2 and "CODEOWNERS is a symbolic link" in result.stderr, result
    assert outside.read_text() == "keep me\n" and (registry / "CODEOWNERS").is_symlink()


def test_pull_never_replaces_a_link_or_a_device(registry: Path, tmp_path: Path, charter: Charter) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"not a model")
    link = tmp_path / "model.onnx"
    link.symlink_to(target)
    for output, what in ((link, "is a symbolic link"), (Path(os.devnull), "is a device")):
        for force in ((), ("--force",)):
            result = charter("-C", registry, "pull", "sepsis-risk", "--env", "production", "-o", output, *force)
            no_traceback(result)
            assert result.code == 2, result
            assert f"{output} {what}" in result.stderr, result
    assert link.is_symlink() and target.read_bytes() == b"not a model"
    assert Path(os.devnull).is_char_device()


@pytest.mark.parametrize("inside", [".git", "models", "environments/new-site", ".git/charter"])
def test_report_is_never_written_inside_the_registry(inside: str, registry: Path, charter: Charter) -> None:
    listing = sorted(str(p.relative_to(registry)) for p in registry.rglob("*"))
    for force in ((), ("--force",)):
        result = charter("-C", registry, "report", "-o", inside, *force)
        no_traceback(result)
        assert result.code == 2, result
        assert "is inside the registry" in result.stderr, result
    assert sorted(str(p.relative_to(registry)) for p in registry.rglob("*")) == listing
    assert git(registry, "status", "--porcelain") == ""


# --- non-UTF-8 file names ---------------------------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_crashes_no_command(registry: Path, tmp_path: Path) -> None:
    entry = (registry / "models/card-fraud/model.yaml").read_bytes()
    # Path takes undecodable bytes as os.fsdecode gives them (surrogateescape)
    (registry / os.fsdecode(b"models/caf\xe9")).mkdir()
    for name in (b"models/caf\xe9/model.yaml", b"environments/caf\xe9.yaml", b"models/card-fraud/versions/x\xff.yaml"):
        (registry / os.fsdecode(name)).write_bytes(entry)
    commands = [("validate",), ("validate", "--format", "json"), ("list",), ("list", "--format", "json"),
                ("search", "fraud"), ("show", "model:card-fraud"), ("status",), ("report", "-o", tmp_path / "site"),
                ("lineage", "model:card-fraud@3.2.0"), ("history", "model:card-fraud"), ("diff", "HEAD"), ("audit",)]
    for _ in range(2):  # the second time through the parse cache the first one filled
        for args in commands:
            done = run(registry, *args, *(("--force",) if args[0] == "report" else ()))
            output = done.stdout + done.stderr
            assert done.returncode in (0, 1), (args, output)
            assert "Traceback" not in output and "internal error" not in output, (args, output)
    checked = run(registry, "validate")
    assert "models/caf\\xe9/model.yaml:1:1: error CH307 unsafe path: the name is not valid UTF-8" in checked.stdout
    assert "environments/caf\\xe9.yaml:1:1: error CH307" in checked.stdout
    assert checked.stdout.count("CH307") == 3, "one finding a file, from reading it"
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "non-UTF-8 names")
    for args in (("diff", "HEAD~1", "HEAD"), ("validate", "--base", "HEAD~1"), ("history", "model:card-fraud"),
                 ("audit",)):
        done = run(registry, *args)
        assert done.returncode in (0, 1), (args, done.stdout + done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
