"""`promote`, `gate`, `rollback`, `codeowners`: real repositories with a bare origin on disk."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.registry.yamlio import add_mapping_keys, replace_scalar
from tests.conftest import Charter, git
from tests.forge_server import GITHUB, ForgeServer, github_pull, github_review, serve

TOKEN = "ghp_PromoteT0kenThatMustNeverBePrinted0001"

PRODUCTION = "environments/production.yaml"
BRANCH = "charter/promote-sepsis-risk-1.1.0-to-production"


def state(root: Path) -> tuple[str, str, str, str]:
    """What must not change when a command refuses: HEAD, branch list, status, worktrees."""
    return (git(root, "rev-parse", "HEAD"), git(root, "branch", "--list"), git(root, "status", "--porcelain"),
            git(root, "worktree", "list", "--porcelain").count("worktree "))


def test_promote_opens_a_branch_with_only_the_lines_that_matter(registry: Path, origin: Path,
                                                                charter: Charter) -> None:
    before = (registry / PRODUCTION).read_text()
    head = git(registry, "rev-parse", "HEAD")
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production",
                     "--reason", "Better sensitivity")
    assert result.code == 0, result
    assert "Policy verdict: passed" in result.stdout and "| ✅ | evaluated |" in result.stdout
    assert "alert volume increase" in result.stdout and "Thresholds and alert volume" in result.stdout
    # the person's checkout is untouched
    assert git(registry, "rev-parse", "HEAD") == head and git(registry, "status", "--porcelain") == ""
    assert git(registry, "branch", "--show-current").strip() == "main"
    assert git(registry, "worktree", "list").count("\n") == 1
    assert (registry / PRODUCTION).read_text() == before
    # the branch is on origin, one commit on top of main, with structured trailers
    assert BRANCH in git(origin, "branch", "--list")
    message = git(registry, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith("Promote sepsis-risk 1.1.0 to production")
    for trailer in ("Model: sepsis-risk", "From-Version: 1.0.0", "To-Version: 1.1.0", "Environment: production",
                    "Reason: Better sensitivity"):
        assert trailer in message
    diff = git(registry, "diff", "main", BRANCH, "--unified=0")
    changed = [line for line in diff.splitlines() if re.match(r"^[+-] ", line)]
    assert sorted(line[1:].split(":")[0].strip(" -") for line in changed) == \
        sorted(["model", "model", "promotedAt", "promotedAt", "reason", "reason"])
    assert "# full | canary (with percent) | shadow" in git(registry, "show", f"{BRANCH}:{PRODUCTION}")


def test_a_promotion_without_evidence_is_refused_and_changes_nothing(registry: Path, origin: Path,
                                                                     charter: Charter) -> None:
    before = state(registry)
    result = charter("-C", registry, "promote", "model:card-fraud@3.3.0", "--to", "staging")
    assert result.code == 1
    assert "refused by the policy" in result.stderr and "| ❌ | evaluated |" in result.stdout
    assert state(registry) == before
    assert "charter/" not in git(origin, "branch", "--list")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["model:sepsis-risk@9.9.9", "--to", "production"], "missing"),
        (["model:sepsis-risk@1.1.0", "--to", "nowhere"], "no environment 'nowhere'"),
        (["model:sepsis-risk@1.1.0", "--to", "production", "--canary", "120"], "strictly between 0 and 100"),
        (["cohort:x@1.0.0", "--to", "production"], "not a model version"),
    ],
)
def test_bad_promotions(registry: Path, origin: Path, charter: Charter, args: list[str], words: str) -> None:
    before = state(registry)
    result = charter("-C", registry, "promote", *args)
    assert result.code in (1, 2) and words in result.stdout + result.stderr, result
    assert "Traceback" not in result.stdout + result.stderr
    assert state(registry) == before


def test_draft_version_cannot_be_promoted(registry: Path, origin: Path, charter: Charter) -> None:
    version = registry / "models/card-fraud/versions/3.3.0.yaml"
    version.write_text(version.read_text().replace("status: active", "status: draft", 1))
    for env in ("dev", "staging", "production"):
        path = registry / f"environments/{env}.yaml"
        path.write_text(path.read_text().replace("model:card-fraud@3.3.0", "model:card-fraud@3.2.0"))
    git(registry, "commit", "-qam", "3.3.0 back to draft")
    result = charter("-C", registry, "promote", "model:card-fraud@3.3.0", "--to", "dev")
    assert result.code == 1 and "is draft" in result.stdout


def test_dirty_tree_and_existing_branch_are_refused(registry: Path, origin: Path, charter: Charter) -> None:
    (registry / PRODUCTION).write_text((registry / PRODUCTION).read_text() + "# local edit\n")
    dirty = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert dirty.code == 2 and "uncommitted changes" in dirty.stderr
    git(registry, "checkout", "-q", "--", PRODUCTION)
    assert charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production").code == 0
    again = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert again.code == 2 and "already exists" in again.stderr


def test_canary_appends_an_assignment(registry: Path, origin: Path, charter: Charter) -> None:
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--canary", "10")
    assert result.code == 0, result
    text = git(registry, "show", f"{BRANCH}-canary:{PRODUCTION}")
    assert re.search(r"- model: model:sepsis-risk@1.1.0\n\s+mode: canary\n\s+percent: 10", text)
    assert "model:sepsis-risk@1.0.0" in text  # the full assignment stays


def test_promotion_is_built_on_origin_when_origin_moved(registry: Path, origin: Path, tmp_path: Path,
                                                        charter: Charter) -> None:
    other = tmp_path / "colleague"
    subprocess.run(["git", "clone", "-q", str(origin), str(other)], check=True)
    (other / "README.md").write_text((other / "README.md").read_text() + "\nA colleague's change.\n")
    git(other, "commit", "-qam", "colleague")
    git(other, "push", "-q", "origin", "main")
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert result.code == 0, result
    assert git(registry, "rev-parse", f"{BRANCH}~1") == git(registry, "rev-parse", "origin/main")
    # diverged: a local commit and a newer origin
    (registry / "README.md").write_text("mine\n")
    git(registry, "commit", "-qam", "local")
    (other / "README.md").write_text("theirs\n")
    git(other, "commit", "-qam", "again")
    git(other, "push", "-q", "origin", "main")
    diverged = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production", "--canary", "5")
    assert diverged.code == 2 and "diverged" in diverged.stderr


def test_without_origin_the_branch_stays_local_and_the_body_is_printed(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert result.code == 0 and "not pushed" in result.stdout
    assert BRANCH in git(registry, "branch", "--list")
    assert "<!-- charter:promotion -->" in result.stdout


def test_gate_passes_an_evidenced_promotion_and_fails_a_hand_edit(registry: Path, origin: Path,
                                                                  charter: Charter) -> None:
    assert charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production").code == 0
    git(registry, "checkout", "-q", BRANCH)
    passed = charter("-C", registry, "gate", "--base", "main", "--format", "json")
    report = json.loads(passed.stdout)
    assert passed.code == 0 and report["passed"] and len(report["promotions"]) == 1
    review = next(c for c in report["promotions"][0]["checks"] if c["name"] == "code-owner review")
    assert review["passed"] and "CODEOWNERS cover the change (approvals not checked)" in review["detail"]
    assert report["approvals"] == {"checked": "codeowners", "unreadable": None}
    text = charter("-C", registry, "gate", "--base", "main")
    assert text.code == 0 and "approvals not checked" in text.stdout
    assert "| approved |" not in text.stdout  # nobody's approval was read: the gate must not say "approved"
    git(registry, "checkout", "-q", "main")
    # by hand: card-fraud 3.3.0 straight into production, with no evaluation
    path = registry / PRODUCTION
    path.write_text(path.read_text().replace("model:card-fraud@3.2.0", "model:card-fraud@3.3.0"))
    git(registry, "commit", "-qam", "sneak it in")
    failed = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "markdown")
    assert failed.code == 1
    assert "# charter gate: FAILED" in failed.stdout and "| ❌ | evaluated |" in failed.stdout
    annotations = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "github")
    assert annotations.code == 1 and f"::error file={PRODUCTION}" in annotations.stdout


def test_gate_without_codeowners_cannot_settle_approvals(registry: Path, origin: Path, charter: Charter) -> None:
    path = registry / PRODUCTION
    path.write_text(path.read_text().replace("model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"))
    (registry / "CODEOWNERS").unlink()
    git(registry, "commit", "-qam", "promote by hand, drop CODEOWNERS")
    result = charter("-C", registry, "gate", "--base", "HEAD~1")
    assert result.code == 1 and "charter codeowners" in result.stdout


def test_rollback_promotes_the_previous_version(registry: Path, origin: Path, charter: Charter) -> None:
    assert charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production").code == 0
    git(registry, "merge", "-q", "--ff-only", BRANCH)
    result = charter("-C", registry, "rollback", "sepsis-risk", "--env", "production")
    assert result.code == 0, result
    rollback = "charter/rollback-sepsis-risk-1.0.0-to-production"
    assert "model:sepsis-risk@1.0.0" in git(registry, "show", f"{rollback}:{PRODUCTION}")
    assert "Roll back sepsis-risk 1.0.0 to production" in git(registry, "log", "-1", "--format=%s", rollback)


def test_codeowners_command(registry: Path, charter: Charter) -> None:
    assert charter("-C", registry, "codeowners", "--check").code == 0
    shutil.rmtree(registry / "models/card-fraud")
    assert charter("-C", registry, "codeowners", "--check").code == 1
    assert charter("-C", registry, "codeowners").code == 0
    text = (registry / "CODEOWNERS").read_text()
    assert "/models/card-fraud/" not in text
    assert "/environments/production.yaml @clinical-governance @model-risk @ml-platform-leads" in text


@pytest.fixture
def github() -> Iterator[ForgeServer]:
    yield from serve(GITHUB, TOKEN)


def test_promote_opens_the_pull_request_on_github_and_gate_counts_approvals(
        registry: Path, origin: Path, charter: Charter, github: ForgeServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    config = registry / "registry.yaml"
    text = replace_scalar(config.read_text(), ("spec", "forge", "type"), "github")
    config.write_text(add_mapping_keys(text, ("spec", "forge"), {"repository": "acme/registry",
                                                                 "apiUrl": github.url}))
    git(registry, "commit", "-qam", "use GitHub")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    github.reply("pulls/list", 200, [])
    github.reply("pulls/create", 201, github_pull(12, "acme", "registry", BRANCH, "main"))
    result = charter("-C", registry, "promote", "model:sepsis-risk@1.1.0", "--to", "production")
    assert result.code == 0, result
    assert "pull request #12: https://github.com/acme/registry/pull/12" in result.stdout
    [created] = github.calls("pulls/create")
    assert created.body["head"] == BRANCH and created.body["base"] == "main"
    assert "Policy verdict: passed" in created.body["body"]
    # CI on that pull request: approvals come from the forge's review data
    git(registry, "checkout", "-q", BRANCH)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    github.reply("pulls/list-reviews", 200, [github_review(1, "clinical-governance", "APPROVED"),
                                             github_review(2, "model-risk", "APPROVED")])
    gate = charter("-C", registry, "gate", "--base", "main", "--format", "json")
    approved = next(c for c in json.loads(gate.stdout)["promotions"][0]["checks"] if c["name"] == "approved")
    assert gate.code == 0 and approved["passed"] and "2 of 2" in approved["detail"]
    assert approved["detail"].startswith("approved by 2 reviewers (forge): clinical-governance, model-risk")
    assert json.loads(gate.stdout)["approvals"] == {"checked": "forge", "unreadable": None}
    out, err = capfd.readouterr()
    assert TOKEN not in result.stdout + result.stderr + gate.stdout + gate.stderr + out + err


def test_gate_refuses_a_breaking_contract_unless_the_promotion_allows_it(registry: Path, origin: Path,
                                                                          charter: Charter) -> None:
    old = registry / "contracts/sepsis-risk-serving/1.0.0.yaml"
    new = registry / "contracts/sepsis-risk-serving/2.0.0.yaml"
    text = old.read_text().replace("version: 1.0.0", "version: 2.0.0", 1)
    new.write_text(re.sub(r"^(\s+p99Ms: )\d+", r"\g<1>50", text, count=1, flags=re.M))  # latency tightened
    version = registry / "models/sepsis-risk/versions/1.1.0.yaml"
    version.write_text(re.sub(r"^(  contract: )\S+", r"\1contract:sepsis-risk-serving@2.0.0", version.read_text(),
                              count=1, flags=re.M))
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "contract 2.0.0")
    production = registry / PRODUCTION
    production.write_text(production.read_text().replace("model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"))
    git(registry, "commit", "-qam", "promote")
    refused = charter("-C", registry, "gate", "--base", "HEAD~1", "--format", "json")
    checks = {c["name"]: c for c in json.loads(refused.stdout)["promotions"][0]["checks"]}
    assert refused.code == 1 and not checks["contract compatible"]["passed"]
    assert "breaking" in checks["contract compatible"]["detail"]
    production.write_text(re.sub(r"(- model: model:sepsis-risk@1.1.0\n)", r"\1      allowBreaking: true\n",
                                 production.read_text()))
    git(registry, "commit", "-qam", "allow it")
    allowed = charter("-C", registry, "gate", "--base", "HEAD~2", "--format", "json")
    checks = {c["name"]: c for c in json.loads(allowed.stdout)["promotions"][0]["checks"]}
    assert checks["contract compatible"]["passed"] and "allowBreaking" in checks["contract compatible"]["detail"]


def test_an_evaluation_whose_date_cannot_be_read_is_not_recent_enough(registry: Path) -> None:
    from datetime import date

    import charter
    from charter.promotion.policy import Promotion, check_promotion

    evaluation = registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml"
    evaluation.write_text(re.sub(r"^(  date: ).*$", r"\1someday", evaluation.read_text(), count=1, flags=re.M))
    loaded = charter.Registry(registry)
    verdict = check_promotion(loaded.index, loaded.config,
                              Promotion("model:sepsis-risk@1.1.0", "production", current="model:sepsis-risk@1.0.0"),
                              date.today())
    evaluated = next(c for c in verdict.checks if c.name == "evaluated")
    assert not evaluated.passed and not verdict.passed


def use_github(registry: Path, github: ForgeServer) -> None:
    config = registry / "registry.yaml"
    text = replace_scalar(config.read_text(), ("spec", "forge", "type"), "github")
    config.write_text(add_mapping_keys(text, ("spec", "forge"), {"repository": "acme/registry",
                                                                 "apiUrl": github.url}))
    git(registry, "commit", "-qam", "use GitHub")


RATE_LIMITED = {"message": "API rate limit exceeded for installation ID 1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}


@pytest.mark.parametrize(("case", "words"), [
    ("rate-limited", "rate-limited the token in GITHUB_TOKEN until 2030-01-01 00:00 UTC"),
    ("server-error", "GitHub answered 502"),
    ("no-token", "no GitHub token"),
    ("no-pull-request", "no pull request"),
    ("malformed-event", "event.json (GITHUB_EVENT_PATH)"),
])
def test_gate_fails_when_the_configured_forge_cannot_give_the_reviews(
        registry: Path, origin: Path, charter: Charter, github: ForgeServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, case: str, words: str) -> None:
    use_github(registry, github)
    production = registry / PRODUCTION
    production.write_text(production.read_text().replace("model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0"))
    git(registry, "commit", "-qam", "promote by hand")
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": {"number": 12}}' if case != "malformed-event" else '{"pull_request": 12}')
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    if case == "no-pull-request":
        event.write_text('{"ref": "refs/heads/main"}')
    if case != "no-token":
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    for _ in range(2):
        if case == "rate-limited":
            github.reply("pulls/list-reviews", 403, RATE_LIMITED,
                         headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1893456000"})
        elif case == "server-error":
            github.reply("pulls/list-reviews", 502, {"message": "Server Error"})

    failed = charter("-C", registry, "gate", "--base", "HEAD~1")
    assert failed.code == 1, failed
    shown = failed.stdout.replace("\\", "")  # the table is Markdown: the forge's words are escaped there
    assert "approvals unknown: the reviews could not be read" in shown and words in shown, failed
    assert "--allow-unknown-approvals" in failed.stdout

    allowed = charter("-C", registry, "gate", "--base", "HEAD~1", "--allow-unknown-approvals", "--format", "json")
    assert allowed.code == 0, allowed
    report = json.loads(allowed.stdout)
    assert report["approvals"]["checked"] == "codeowners" and words in report["approvals"]["unreadable"]
    review = next(c for c in report["promotions"][0]["checks"] if c["name"] == "code-owner review")
    assert "CODEOWNERS cover the change (approvals not checked)" in review["detail"] and words in review["detail"]
    assert TOKEN not in failed.stdout + failed.stderr + allowed.stdout + allowed.stderr
