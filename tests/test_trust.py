"""Who may change what, and what Charter will not do on an untrusted checkout.

- gate counts only the approvals of the environment's own approvers (forge review data where a forge is configured,
  CODEOWNERS coverage where none is), and a production assignment changed without a reviewed pull request does not
  pass;
- a token is read from the environment only and appears in no output, file, commit or pull request body, whichever
  command runs and however it fails;
- on an untrusted checkout Charter runs nothing of the repository's: no git hook, no fsmonitor, no module shadowing
  its own imports, no DVC stage, and no DVC remote that the checkout configures itself unless told to trust it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.registry.yamlio import add_mapping_keys, replace_scalar
from tests.conftest import git
from tests.forge_server import GITHUB, ForgeServer, github_pull, github_review, serve
from tests.helpers import MODEL, make_training

TOKEN = "ghp_TrustSuiteT0kenValue0123456789abcdefXYZ"
BRANCH = "charter/promote-sepsis-risk-1.1.0-to-production"
CHARTER = Path(sys.executable).parent / "charter"
HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "pre-push",
         "reference-transaction", "post-merge", "pre-rebase", "post-rewrite", "pre-auto-gc", "post-index-change")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHARTER), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def github() -> Iterator[ForgeServer]:
    yield from serve(GITHUB, TOKEN)


def use_github(registry: Path, github: ForgeServer) -> None:
    config = registry / "registry.yaml"
    text = replace_scalar(config.read_text(), ("spec", "forge", "type"), "github")
    config.write_text(add_mapping_keys(text, ("spec", "forge"), {"repository": "acme/registry",
                                                                 "apiUrl": github.url}))
    git(registry, "commit", "-qam", "use GitHub")
    git(registry, "push", "-q", "origin", "main")


def hand_edit_production(registry: Path) -> None:
    """Assign sepsis-risk 1.1.0 in production by editing the file, as a pull request made by hand would."""
    production = registry / "environments/production.yaml"
    production.write_text(production.read_text().replace("model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"))
    git(registry, "commit", "-qam", "hand promotion")


def approved_check(output: str) -> dict[str, object]:
    [promotion] = json.loads(output)["promotions"]
    return next(c for c in promotion["checks"] if c["name"] in ("approved", "code-owner review"))


# --- who may change what ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("reviews", "passes"),
    [
        ([("clinical-governance", "APPROVED"), ("model-risk", "APPROVED")], True),
        ([("clinical-governance", "APPROVED")], False),  # production needs two
        ([("ml-reviewers", "APPROVED"), ("mallory", "APPROVED")], False),  # staging's approver, and a stranger
        ([("clinical-governance", "APPROVED"), ("model-risk", "CHANGES_REQUESTED")], False),
        ([("clinical-governance", "APPROVED"), ("model-risk", "COMMENTED")], False),
    ],
)
def test_gate_counts_only_the_environments_own_approvers_from_review_data(
        reviews: list[tuple[str, str]], passes: bool, registry: Path, origin: Path, github: ForgeServer,
        tmp_path: Path) -> None:
    use_github(registry, github)
    base = git(registry, "rev-parse", "HEAD").strip()
    hand_edit_production(registry)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    github.reply("pulls/list-reviews", 200, [github_review(i, who, state) for i, (who, state) in enumerate(reviews)])
    gate = run("gate", "--base", base, "--format", "json", cwd=registry,
               env={"GITHUB_TOKEN": TOKEN, "GITHUB_EVENT_PATH": str(event)})
    approved = approved_check(gate.stdout)
    assert approved["passed"] is passes, approved
    assert gate.returncode == (0 if passes else 1) or not passes, gate.stdout
    assert github.calls("pulls/list-reviews"), "the review data was read"
    assert TOKEN not in gate.stdout + gate.stderr


def test_a_production_change_without_a_pull_request_or_codeowners_does_not_pass(registry: Path,
                                                                                origin: Path) -> None:
    base = git(registry, "rev-parse", "HEAD").strip()
    (registry / "CODEOWNERS").unlink(missing_ok=True)
    git(registry, "commit", "-qam", "no CODEOWNERS", "--allow-empty")
    hand_edit_production(registry)
    gate = run("gate", "--base", base, "--format", "json", cwd=registry)
    assert gate.returncode == 1
    approved = approved_check(gate.stdout)
    assert approved["name"] == "code-owner review" and not approved["passed"]
    assert "approvals not checked, and no CODEOWNERS rule" in str(approved["detail"])


def test_without_review_data_codeowners_decides(registry: Path, origin: Path) -> None:
    coded = run("codeowners", cwd=registry)
    assert coded.returncode == 0, coded.stderr
    git(registry, "add", "CODEOWNERS")
    git(registry, "commit", "-qm", "CODEOWNERS", "--allow-empty")
    base = git(registry, "rev-parse", "HEAD").strip()
    hand_edit_production(registry)
    gate = run("gate", "--base", base, "--format", "json", cwd=registry, env={"GITHUB_TOKEN": TOKEN})
    approved = approved_check(gate.stdout)
    assert approved["name"] == "code-owner review" and approved["passed"]
    assert "CODEOWNERS cover the change (approvals not checked)" in str(approved["detail"])


def test_a_pull_request_cannot_lower_the_approvals_it_is_judged_by(registry: Path, origin: Path) -> None:
    coded = run("codeowners", cwd=registry)
    assert coded.returncode == 0, coded.stderr
    (registry / "CODEOWNERS").unlink()  # no CODEOWNERS: only the policy's approvers could pass it
    git(registry, "commit", "-qam", "no CODEOWNERS", "--allow-empty")
    base = git(registry, "rev-parse", "HEAD").strip()
    config = registry / "registry.yaml"
    text = config.read_text()
    lowered = re.sub(r'(?m)^(\s+)approvers: \["@clinical-governance".*$', r"\1approvers: []", text)
    lowered = re.sub(r"(?m)^(\s+minApprovals: )2", r"\g<1>0", lowered)
    assert lowered != text
    config.write_text(lowered)
    hand_edit_production(registry)  # commits the lowered policy with the assignment
    gate = run("gate", "--base", base, "--format", "json", cwd=registry)
    assert gate.returncode == 1, gate.stdout
    approved = approved_check(gate.stdout)
    assert not approved["passed"] and "@clinical-governance" in str(approved["detail"])


def test_a_pull_request_cannot_send_the_token_to_a_forge_of_its_choosing(
        registry: Path, origin: Path, github: ForgeServer, tmp_path: Path) -> None:
    use_github(registry, github)
    base = git(registry, "rev-parse", "HEAD").strip()
    for attacker in serve(GITHUB, "not-the-token"):
        config = registry / "registry.yaml"
        config.write_text(config.read_text().replace(github.url, attacker.url)
                          .replace("acme/registry", "mallory/fork"))
        hand_edit_production(registry)
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
        github.reply("pulls/list-reviews", 200, [github_review(1, "clinical-governance", "APPROVED")])
        gate = run("gate", "--base", base, "--format", "json", cwd=registry,
                   env={"GITHUB_TOKEN": TOKEN, "GITHUB_EVENT_PATH": str(event)})
        assert attacker.calls("pulls/list-reviews") == [], "HEAD's forge settings were used"
        assert github.calls("pulls/list-reviews"), "the base's forge was asked"
        assert "1 of 2" in str(approved_check(gate.stdout)["detail"])


# --- tokens ----------------------------------------------------------------------------------------------------------

def test_the_token_appears_in_no_output_file_commit_or_pull_request(
        registry: Path, origin: Path, github: ForgeServer, tmp_path: Path) -> None:
    use_github(registry, github)
    env = {"GITHUB_TOKEN": TOKEN}
    training = make_training(tmp_path / "train")
    outputs: list[str] = []

    def charter(*args: str | Path, cwd: Path = registry, **extra: str) -> subprocess.CompletedProcess[str]:
        result = run(*args, cwd=cwd, env={**env, **extra, "CHARTER_DEBUG": "1"})
        outputs.append(result.stdout + result.stderr)
        return result

    # failing first: the forge refuses the token (and echoes it), then a policy refusal
    github.reply("pulls/list", 401, {"message": f"Bad credentials {TOKEN}"})
    refused = charter("promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert refused.returncode == 2 and "GITHUB_TOKEN" in refused.stderr
    charter("promote", "model:card-fraud@3.3.0", "--to", "staging")
    # then everything that succeeds
    github.reply("pulls/list", 200, [])
    github.reply("pulls/create", 201, github_pull(12, "acme", "registry", BRANCH, "main"))
    promoted = charter("promote", "model:sepsis-risk@1.1.0", "--to", "production", "--reason", "better")
    assert promoted.returncode == 0, promoted.stderr
    registered = charter("-C", registry, "register", MODEL, "--artifact", training / "out" / "model.onnx",
                         cwd=training)
    assert registered.returncode == 0, registered.stderr
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    for _ in range(2):  # one per gate run
        github.reply("pulls/list-reviews", 200, [github_review(1, "clinical-governance", "APPROVED")])
    git(registry, "checkout", "-q", BRANCH)
    for args in (("gate", "--base", "main"), ("gate", "--base", "main", "--format", "json"), ("validate",),
                 ("validate", "--base", "main", "--format", "github"), ("audit",), ("history", "model:sepsis-risk"),
                 ("show", "model:sepsis-risk@1.1.0"), ("resolve", "sepsis-risk", "--env", "production"),
                 ("search", "sepsis"), ("status",), ("lineage", "model:sepsis-risk@1.1.0"),
                 ("evaluate", "compare", "model:sepsis-risk@1.1.0"), ("report", "-o", str(tmp_path / "site"))):
        charter(*args, GITHUB_EVENT_PATH=str(event))
    git(registry, "checkout", "-q", "main")

    assert all(TOKEN not in text for text in outputs)
    for call in github.calls("pulls/create"):
        assert TOKEN not in json.dumps(call.body)
    for place in (registry, origin, training, tmp_path / "site"):
        hits = [p for p in place.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
        assert hits == [], hits
    assert TOKEN not in git(registry, "log", "--all", "-p", "--format=%H %B")
    assert TOKEN not in git(registry, "config", "--list", "--show-origin")


# --- nothing of the repository's runs --------------------------------------------------------------------------------

@pytest.fixture
def booby_trapped(registry: Path, origin: Path, tmp_path: Path) -> Path:
    """A checkout whose git configuration names hooks and an fsmonitor, and whose files hold code and DVC stages;
    each of them writes the marker if it ever runs."""
    marker = tmp_path / "EXECUTED"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    script = f"#!/bin/sh\necho \"$0\" >> {marker}\n"
    for name in HOOKS:
        (hooks / name).write_text(script)
        (hooks / name).chmod(stat.S_IRWXU)
    shutil.copy(hooks / "pre-commit", tmp_path / "fsmonitor")
    git(registry, "config", "core.hooksPath", str(hooks))
    git(registry, "config", "core.fsmonitor", str(tmp_path / "fsmonitor"))
    python = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('imported')\n"
    for module in ("yaml.py", "typer.py", "sitecustomize.py", "charter_plugin.py", "conftest.py"):
        (registry / module).write_text(python)
    (registry / "dvc.yaml").write_text(f"stages:\n  evil:\n    cmd: touch {marker}\n")
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "trap", "--no-verify")
    marker.unlink(missing_ok=True)
    return marker


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("validate", "--base", "HEAD~1"),
        ("validate", "--check-artifacts", "--base", "HEAD~1"),
        ("gate", "--base", "HEAD~1"),
        ("diff", "HEAD~1"),
        ("history", "model:sepsis-risk"),
        ("audit",),
        ("promote", "model:sepsis-risk@1.1.0", "--to", "production"),
        ("register",),
        ("search", "sepsis AND env = production"),
        ("status",),
        ("lineage", "event:sepsis-onset@2.0.0", "--impact"),
        ("evaluate", "compare", "model:sepsis-risk@1.1.0"),
        ("monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production", "--file", "{tmp}/deployed.yaml"),
        ("report", "-o", "{tmp}/site"),
    ],
    ids=lambda args: "-".join(a.strip("-") for a in args[:2]),
)
def test_nothing_of_the_repository_runs(args: tuple[str, ...], registry: Path, booby_trapped: Path,
                                        tmp_path: Path) -> None:
    cwd = registry
    if args == ("register",):
        training = make_training(tmp_path / "train")
        args = ("-C", str(registry), "register", MODEL, "--artifact", str(training / "out" / "model.onnx"))
        cwd = training
    (tmp_path / "deployed.yaml").write_text("type: deployed\nreporter: argo-cd\n")
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    result = run(*args, cwd=cwd)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert not booby_trapped.exists(), booby_trapped.read_text()


def _drop_cache(registry: Path) -> None:
    shutil.rmtree(registry / ".dvc" / "cache")


def test_the_dvc_remote_of_an_untrusted_checkout_is_not_used_unasked(registry: Path) -> None:
    _drop_cache(registry)  # the artifacts are only in the remote now
    untrusted = run("validate", "--check-artifacts", cwd=registry)
    assert untrusted.returncode == 2, untrusted.stdout + untrusted.stderr
    assert "--trust-remote-config" in untrusted.stderr and "CH703" not in untrusted.stdout
    trusted = run("validate", "--check-artifacts", "--trust-remote-config", cwd=registry)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    unchanged = run("validate", "--check-artifacts", "--base", "HEAD", cwd=registry)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr


def test_a_dvc_remote_changed_by_the_pull_request_is_not_used(registry: Path, tmp_path: Path) -> None:
    _drop_cache(registry)
    lure = tmp_path / "attacker-remote"
    config = registry / ".dvc" / "config"
    config.write_text(re.sub(r"(?m)^(\s*url = ).*$", rf"\g<1>{lure}", config.read_text()))
    git(registry, "commit", "-qam", "point the remote elsewhere")
    result = run("validate", "--check-artifacts", "--base", "HEAD~1", cwd=registry)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "configured by this checkout's .dvc/config" in result.stderr
    assert not lure.exists()
