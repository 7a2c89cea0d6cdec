"""The parse cache never changes a result: cached and uncached runs find exactly the same things."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from charter.registry.documents import blob_id
from charter.store.cache import CACHE_FILE, ParseCache
from charter.validation.runner import validate_registry
from tests.conftest import Charter, git

VERSION = "models/sepsis-risk/versions/1.1.0.yaml"
CONTRACT = "contracts/sepsis-risk-serving/1.0.0.yaml"
COHORT = "cohorts/sepsis-adult-inpatients-eval/1.0.0.yaml"


def cache_file(registry: Path) -> Path:
    return registry / ".git" / "charter" / CACHE_FILE


def clear_cache(registry: Path) -> None:
    """`charter init` already validated the example (and so filled its cache): start from nothing."""
    folder = cache_file(registry).parent
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def edit(registry: Path, relpath: str, pattern: str, replacement: str) -> None:
    path = registry / relpath
    text = path.read_text(encoding="utf-8")
    changed = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert changed != text, (relpath, pattern)
    path.write_text(changed, encoding="utf-8")


def break_things(registry: Path) -> None:
    """Findings of every stage: YAML, schema (with positions), identity, references, environments."""
    edit(registry, VERSION, r"^(  owner: .*)$", r"\1\n  ownr: typo\n  owner: twice")
    edit(registry, CONTRACT, r"^(  model: .*)$", r"\1\n  broken: [unclosed")
    edit(registry, "models/card-fraud/versions/3.3.0.yaml", r"^(  labelEvent: ).*$", r"\1event:nope@1.0.0")
    edit(registry, "events/sepsis-onset/2.0.0.yaml", r"^(  status: ).*$", r"\1deprecated")
    (registry / "cohorts/hostile").mkdir()
    (registry / "cohorts/hostile/1.0.0.yaml").write_bytes(b"apiVersion: charter/v1\nkind: Cohort\nx: !!binary aGk=\n")
    (registry / "cohorts/binary").mkdir()
    (registry / "cohorts/binary/1.0.0.yaml").write_bytes(b"\x00\x01")


def run(registry: Path, *paths: str, base: str | None = None, cache: bool = True) -> list[dict[str, Any]]:
    report = validate_registry(registry, list(paths) or None, base, cwd=registry, use_cache=cache)
    return [f.to_dict() for f in report.findings]


def test_cached_runs_find_what_an_uncached_run_finds(registry: Path) -> None:
    clear_cache(registry)
    break_things(registry)
    uncached = run(registry, cache=False)
    assert not cache_file(registry).exists()
    assert {f["code"] for f in uncached} >= {"CH100", "CH101", "CH102", "CH103", "CH201", "CH401", "CH403"}

    first = run(registry)  # fills the cache
    assert cache_file(registry).is_file()
    second = run(registry)  # reads it
    assert first == uncached and second == uncached
    assert git(registry, "status", "--porcelain", "--ignored", ".git") == ""  # nothing in the working tree


def test_a_warm_cache_gives_the_right_answer_after_edits(registry: Path) -> None:
    run(registry)
    break_things(registry)
    assert run(registry) == run(registry, cache=False)
    edit(registry, VERSION, r"^  ownr: typo\n", "")  # fix one, break another the other way round
    edit(registry, COHORT, r"^(  owner: ).*$", r"\1[not, a, string]")
    assert run(registry) == run(registry, cache=False)


def test_paths_and_base_runs_are_the_same_with_and_without_the_cache(registry: Path) -> None:
    break_things(registry)
    edit(registry, COHORT, r"^(  description: ).*$", r"\1Reworded.")
    run(registry)
    for paths in ([VERSION], [CONTRACT, COHORT], ["cohorts"]):
        assert run(registry, *paths) == run(registry, *paths, cache=False)
    assert run(registry, base="HEAD") == run(registry, base="HEAD", cache=False)


def test_a_corrupt_cache_file_is_replaced_and_changes_nothing(registry: Path) -> None:
    break_things(registry)
    expected = run(registry, cache=False)
    run(registry)
    cache_file(registry).write_bytes(b"this is not a database" * 100)
    assert run(registry) == expected
    with sqlite3.connect(cache_file(registry)) as db:  # rebuilt: a database again, with the files in it
        assert db.execute("SELECT count(*) FROM parsed").fetchone()[0] > 10
    assert run(registry) == expected


def test_damaged_or_misplaced_entries_are_not_trusted(registry: Path) -> None:
    break_things(registry)
    expected = run(registry, cache=False)
    run(registry)
    with sqlite3.connect(cache_file(registry)) as db:
        rows = dict(db.execute("SELECT path, value FROM parsed").fetchall())
        # a flipped byte (the checksum no longer holds) and an entry moved to another file's key (it still holds)
        damaged = bytearray(rows[VERSION])
        damaged[len(damaged) // 2] ^= 0xFF
        db.execute("UPDATE parsed SET value = ? WHERE path = ?", (bytes(damaged), VERSION))
        db.execute("UPDATE parsed SET value = ?, checksum = (SELECT checksum FROM parsed WHERE path = ?) "
                   "WHERE path = ?", (rows[CONTRACT], CONTRACT, COHORT))
        db.execute("UPDATE schema SET value = (SELECT value FROM schema WHERE path = ?), "
                   "checksum = (SELECT checksum FROM schema WHERE path = ?) WHERE path = ?",
                   (VERSION, VERSION, "models/card-fraud/versions/3.3.0.yaml"))
    assert run(registry) == expected


def test_deleting_the_cache_is_safe(registry: Path) -> None:
    break_things(registry)
    expected = run(registry)
    clear_cache(registry)
    assert run(registry) == expected
    assert cache_file(registry).is_file()


def test_charter_no_cache_neither_reads_nor_writes(registry: Path, charter: Charter,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clear_cache(registry)
    monkeypatch.setenv("CHARTER_NO_CACHE", "1")
    result = charter("-C", registry, "validate")
    assert result.code == 0, result.stdout
    assert not cache_file(registry).exists()
    assert ParseCache.open(registry) is None


def test_blob_ids_are_gits(registry: Path) -> None:
    raw = (registry / VERSION).read_bytes()
    assert blob_id(raw) == git(registry, "hash-object", VERSION).strip()


def test_a_worktree_shares_its_repository_cache(registry: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "other"
    git(registry, "worktree", "add", "--quiet", str(worktree))
    cache = ParseCache.open(worktree)
    assert cache is not None and cache.location == cache_file(registry).resolve()
    cache.close()
    assert run(worktree) == run(worktree, cache=False)


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, {c: 2.5, d: null, e: true}]\nwhen: 2026-01-01\n",
    "a: 1\nb: 2\na: 3\na: 4\n",
    "a: &x {k: v}\nb: *x\n",
    "a: !!python/name:os.system x\n",
    "<<: {a: 1}\n",
    "? [a]\n: 1\n",
    "a: .nan\n",
    "a: [unclosed\n",
    "---\na: 1\n---\nb: 2\n",
    "",
    "- just\n- a list\n",
])
def test_reading_without_positions_gives_the_same_data_and_findings(text: str) -> None:
    from charter.registry.yamlio import load_plain, parse_yaml

    parsed = parse_yaml(text, "x.yaml")
    assert load_plain(text, "x.yaml") == (parsed.data, parsed.findings)


def _copy_of_charter(into: Path) -> Path:
    """A copy of the installed package (schemas and template included) that a child Python imports instead."""
    import shutil

    import charter

    shutil.copytree(Path(charter.__file__).parent, into / "charter", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def _validate_with(package: Path, registry: Path) -> str:
    """The messages of `charter validate` run by the package copy in `package`."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(package)}
    env.pop("CHARTER_NO_CACHE", None)
    done = subprocess.run([sys.executable, "-m", "charter", "validate", "--format", "json"], cwd=registry, env=env,
                          capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return " ".join(finding["message"] for finding in json.loads(done.stdout)["findings"])


def test_any_change_to_charters_code_invalidates_what_the_cache_keeps(registry: Path, tmp_path: Path) -> None:
    """The references found in a file are cached with it: a release that changes only how references are found
    (no module on a hand-kept list) must not be served the old ones."""
    package = _copy_of_charter(tmp_path / "release")
    edit(registry, "models/card-fraud/versions/3.3.0.yaml", r"^(  labelEvent: ).*$", r"\1event:nope@1.0.0")
    assert "event:nope@1.0.0" in _validate_with(package, registry)  # cached
    finder = package / "charter" / "registry" / "index.py"
    code = finder.read_text(encoding="utf-8")
    blind = re.sub(r"^(def _match\(.*\) -> None:\n)", r"\1    return\n", code, count=1, flags=re.M)
    assert blind != code
    finder.write_text(blind, encoding="utf-8")  # the new release finds no references at all
    assert "event:nope@1.0.0" not in _validate_with(package, registry)


def test_a_schema_change_invalidates_the_cache_too(tmp_path: Path) -> None:
    import subprocess
    import sys

    package = _copy_of_charter(tmp_path / "release")

    def fingerprint() -> str:
        script = "from charter.store.cache import code_fingerprint; print(code_fingerprint())"
        return subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(package)}, capture_output=True,
                              text=True, check=True).stdout
    before = fingerprint()
    schema = next((package / "charter" / "data" / "schemas").glob("*.json"))
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert fingerprint() != before


def test_a_module_touched_but_not_changed_keeps_the_cache(registry: Path, tmp_path: Path) -> None:
    """The digest of the code is kept under the files' stat signature: a touch re-reads them, finds the same bytes,
    and the stored rows stay valid (as they do for a second installation of the same release)."""
    import os

    package = _copy_of_charter(tmp_path / "release")
    _validate_with(package, registry)

    def memo() -> list[tuple[str, str]]:
        with sqlite3.connect(cache_file(registry)) as db:
            return list(db.execute("SELECT signature, digest FROM code"))

    [(signature, digest)] = memo()
    os.utime(package / "charter" / "registry" / "index.py")
    _validate_with(package, registry)
    [(touched_signature, touched_digest)] = memo()
    assert touched_signature != signature and touched_digest == digest
