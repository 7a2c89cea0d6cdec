"""`promote` on every environment file a person may have written: each is edited exactly, or refused in one line
that names the file (exit 1 with its findings, or 2), never a crash (exit 3)."""

from __future__ import annotations

import difflib
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from charter.registry.yamlio import parse_yaml
from tests.conftest import Charter, git
from tests.helpers import no_traceback

PRODUCTION = "environments/production.yaml"
BRANCH = "charter/promote-sepsis-risk-1.1.0-to-production"
REF = "model:sepsis-risk@1.1.0"

FLOW = """apiVersion: charter/v1
kind: Environment
metadata: {name: production, owner: team-ml-platform, description: Live traffic., status: active}
spec:
  assignments: [{model: "model:sepsis-risk@1.0.0", mode: full, promotedAt: 2026-04-14T08:30:00Z, reason: First},
                {model: "model:card-fraud@3.2.0", mode: full, promotedAt: 2026-06-09T06:00:00Z, reason: Second}]
"""


def _between_items(text: str) -> str:
    return text.replace("    - model: model:card-fraud@3.2.0",
                        "    # card fraud, since June\n\n    - model: model:card-fraud@3.2.0")


def _tab_in_comment(text: str) -> str:
    return text.replace("mode: full          #", "mode: full\t#")


def _tab_indented(text: str) -> str:
    return text.replace("    - model: model:card-fraud@3.2.0", "\t- model: model:card-fraud@3.2.0")


def _tagged(text: str) -> str:
    return text.replace("mode: full          #", "mode: !!python/name:os.system full  #")


#: variant -> (how production.yaml is rewritten (bytes), expected exit code, words that must be in the output)
EDITED: dict[str, Callable[[bytes], bytes]] = {
    "utf-8 BOM": lambda raw: b"\xef\xbb\xbf" + raw,
    "CRLF line endings": lambda raw: raw.replace(b"\n", b"\r\n"),
    "BOM and CRLF": lambda raw: b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"),
    "comments between items": lambda raw: _between_items(raw.decode()).encode(),
    "tab in a comment": lambda raw: _tab_in_comment(raw.decode()).encode(),
    "flow-style assignments": lambda raw: FLOW.encode(),
    "folded reason": lambda raw: raw.replace(b"reason: First release after", b"reason: >\n        First release after"),
}
REFUSED: dict[str, tuple[Callable[[bytes], bytes], int, str]] = {
    "binary": (lambda raw: b"\x00\xff\xfe\x89PNG\r\n" + bytes(range(256)), 1, f"{PRODUCTION}:1:1"),
    "latin-1": (lambda raw: raw.replace(b"First release", "Première".encode("latin-1")), 1, f"{PRODUCTION}:16:"),
    "empty": (lambda raw: b"", 1, f"{PRODUCTION}:1:1"),
    "syntax error": (lambda raw: raw.replace(b"mode: full          #", b"mode: [full  #"), 1, f"{PRODUCTION}:"),
    "tab indentation": (lambda raw: _tab_indented(raw.decode()).encode(), 1, f"{PRODUCTION}:"),
    "a !!tag": (lambda raw: _tagged(raw.decode()).encode(), 1, f"{PRODUCTION}:14:"),
    "assignments a mapping": (lambda raw: re.sub(rb"(?s)  assignments:.*", b"  assignments: {}\n", raw), 1,
                              f"{PRODUCTION}:12:"),
    "assignments missing": (lambda raw: re.sub(rb"(?s)spec:.*", b"spec: {}\n", raw), 1, f"{PRODUCTION}:"),
    "an item that is text": (lambda raw: raw + b"    - just text\n", 1, f"{PRODUCTION}:21:"),
}


def _rewrite(registry: Path, change: Callable[[bytes], bytes]) -> bytes:
    path = registry / PRODUCTION
    path.write_bytes(change(path.read_bytes()))
    git(registry, "commit", "-qam", "production written another way")
    return path.read_bytes()


@pytest.mark.parametrize("variant", EDITED)
def test_promote_edits_every_environment_file_validate_accepts(registry: Path, origin: Path, charter: Charter,
                                                               variant: str) -> None:
    before = _rewrite(registry, EDITED[variant])
    assert charter("-C", registry, "validate", PRODUCTION).code == 0
    result = charter("-C", registry, "promote", REF, "--to", "production", "--reason", "Better, calmer")
    no_traceback(result)
    assert result.code == 0, result
    after = subprocess_show(registry, f"{BRANCH}:{PRODUCTION}")
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")
    assert (b"\r\n" in before) == (b"\r\n" in after) and (b"\r\n" not in before or b"\n" not in
                                                          after.replace(b"\r\n", b""))
    diff = list(difflib.ndiff(before.decode("utf-8-sig").splitlines(), after.decode("utf-8-sig").splitlines()))
    removed, added = [x for x in diff if x.startswith("- ")], [x for x in diff if x.startswith("+ ")]
    assert 1 <= len(added) <= 3, diff  # only the lines of the promotion
    assert all(re.search(r"sepsis-risk|promotedAt|reason|First release", x) for x in removed), removed
    git(registry, "checkout", "-q", BRANCH)
    assert charter("-C", registry, "validate", PRODUCTION).code == 0
    data = parse_yaml(after.decode("utf-8-sig"), PRODUCTION).data
    first = data["spec"]["assignments"][0]
    assert first["model"] == REF and first["reason"] == "Better, calmer"


@pytest.mark.parametrize("variant", REFUSED)
def test_promote_refuses_environment_files_it_cannot_edit_in_one_line(registry: Path, origin: Path,
                                                                      charter: Charter, variant: str) -> None:
    change, code, words = REFUSED[variant]
    _rewrite(registry, change)
    head = git(registry, "rev-parse", "HEAD")
    result = charter("-C", registry, "promote", REF, "--to", "production")
    no_traceback(result)
    assert result.code == code, result
    assert words in result.stdout + result.stderr, result
    assert git(registry, "rev-parse", "HEAD") == head and git(registry, "status", "--porcelain") == ""
    assert "charter/" not in git(registry, "branch", "--list") + git(origin, "branch", "--list")


def test_a_flow_style_list_that_needs_a_new_item_is_refused_with_a_hint(registry: Path, origin: Path,
                                                                        charter: Charter) -> None:
    _rewrite(registry, lambda raw: FLOW.encode())
    result = charter("-C", registry, "promote", REF, "--to", "production", "--canary", "10")
    no_traceback(result)
    assert result.code == 2, result
    assert f"{PRODUCTION}:5:" in result.stderr and "block" in result.stderr, result


def subprocess_show(root: Path, spec: str) -> bytes:
    return subprocess.run(["git", "show", spec], cwd=root, check=True, capture_output=True).stdout


def test_promote_pushes_to_a_relative_remote(registry: Path, tmp_path: Path, charter: Charter) -> None:
    """`git remote add origin ../origin.git` is relative to the person's work tree, not to the temporary worktree
    the promotion is built in."""
    subprocess.run(["git", "clone", "-q", "--bare", str(registry), str(tmp_path / "origin.git")], check=True)
    git(registry, "remote", "add", "origin", "../origin.git")
    git(registry, "fetch", "-q", "origin")
    git(registry, "branch", "-q", "--set-upstream-to=origin/main")
    result = charter("-C", registry, "promote", REF, "--to", "production")
    no_traceback(result)
    assert result.code == 0, result
    assert BRANCH in git(tmp_path / "origin.git", "branch", "--list")
    assert git(registry, "worktree", "list").count("\n") == 1
