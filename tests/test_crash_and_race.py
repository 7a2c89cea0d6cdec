"""Crashes and races: a `register` or `promote` killed at any step leaves a registry that validates, and running it
again finishes the job; two at once on one repository both succeed (one waits for the other) or one stops cleanly;
a promotion whose base moved while it was built is rebuilt on the new base and re-checked, and nothing is forced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import (
    CHARTER,
    EVALUATE,
    EVALUATIONS,
    HARNESS,
    HEALTH,
    MODEL,
    MONITOR,
    assert_clean,
    crash,
    make_training,
    run,
)


def versions(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "models" / MODEL / "versions").glob("*.yaml"))


def committed_versions(root: Path) -> list[str]:
    listed = git(root, "ls-tree", "--name-only", "HEAD", f"models/{MODEL}/versions/").split()
    return sorted(Path(p).stem for p in listed)


def assert_validates(root: Path) -> None:
    result = run("validate", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


REGISTER_STEPS = [
    "shutil:copy2:after",
    "charter.adapters.dvc:track:before",
    "charter.adapters.dvc:track:after",
    "charter.authoring.register:write_text_atomic:after",
    "charter.validation.runner:validate_registry:after",
    "charter.adapters.dvc:push:after",
    "charter.adapters.git.repo:commit_paths:before",
    "charter.adapters.git.repo:commit_paths:after",
]


@pytest.mark.parametrize("step", REGISTER_STEPS)
def test_register_killed_at_any_step_leaves_a_valid_registry_and_a_rerun_finishes(
        step: str, registry: Path, tmp_path: Path) -> None:
    training = make_training(tmp_path / "train")
    artifact = training / "out" / "model.onnx"
    before = versions(registry)
    killed = crash(step, "-C", registry, "register", MODEL, "--artifact", artifact, cwd=training)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_validates(registry)
    done_by_the_killed_run = committed_versions(registry) != before

    again = run("-C", registry, "register", MODEL, "--artifact", artifact, cwd=training)
    assert again.returncode == 0, again.stdout + again.stderr
    assert_validates(registry)
    new = sorted(set(committed_versions(registry)) - set(before))
    # a kill before the commit leaves nothing behind: the re-run registers 1.2.0; after it, 1.2.0 stands
    assert new == (["1.2.0", "1.3.0"] if done_by_the_killed_run else ["1.2.0"])
    assert versions(registry) == committed_versions(registry), "no half-written version is left in the work tree"
    assert git(registry, "status", "--porcelain") == "", "nothing is left staged or untracked"
    assert not list((registry / ".git").glob("charter-*-journal.json"))


# --- promote ---------------------------------------------------------------------------------------------------------

PROMOTION = ("promote", "model:sepsis-risk@1.1.0", "--to", "production")
BRANCH = "charter/promote-sepsis-risk-1.1.0-to-production"


def other_clone(origin: Path, tmp_path: Path) -> Path:
    """Another person's checkout of the same origin."""
    clone = tmp_path / "colleague"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    return clone


def interleave(step: str, command: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run charter, and `command` (someone else's action) at exactly `step`."""
    return subprocess.run([sys.executable, str(HARNESS), step, "--", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "CRASH_AT_RUN": command})


def assert_promoted_once(registry: Path, origin: Path) -> None:
    """The promotion branch is on origin, one commit on origin's main, and nothing of the attempt is left over."""
    assert git(origin, "branch", "--list", BRANCH).strip(), "the branch is on origin"
    assert git(origin, "rev-parse", f"{BRANCH}^") == git(origin, "rev-parse", "main")
    assert "model:sepsis-risk@1.1.0" in git(origin, "show", f"{BRANCH}:environments/production.yaml")
    assert git(registry, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(registry, "status", "--porcelain") == ""
    assert git(registry, "branch", "--show-current").strip() == "main"
    assert not list((registry / ".git").glob("charter-*-journal.json"))


PROMOTE_STEPS = [
    "charter.promotion.promote:write_text_atomic:after",
    "charter.adapters.git.worktree:commit_in:after",
    "charter.adapters.git.worktree:push_branch:before",
    "charter.adapters.git.worktree:push_branch:after",
    "charter.promotion.promote:open_pull_request:after",
]


@pytest.mark.parametrize("step", PROMOTE_STEPS)
def test_promote_killed_at_any_step_leaves_a_valid_registry_and_a_rerun_finishes(
        step: str, registry: Path, origin: Path) -> None:
    head = git(registry, "rev-parse", "HEAD")
    killed = crash(step, *PROMOTION, cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert git(registry, "rev-parse", "HEAD") == head, "the person's checkout is never touched"
    assert_validates(registry)
    again = run(*PROMOTION, cwd=registry)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Policy verdict: passed" in again.stdout
    assert_promoted_once(registry, origin)


def test_two_promotions_at_once_both_succeed_one_after_the_other(registry: Path, origin: Path) -> None:
    second = ("promote", "model:card-fraud@3.3.0", "--to", "dev")
    runs = [subprocess.Popen([str(CHARTER), *args], cwd=registry, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for args in (PROMOTION, second)]
    outputs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs
    branches = git(origin, "branch", "--list").split()
    assert BRANCH in branches and "charter/promote-card-fraud-3.3.0-to-dev" in branches
    assert_promoted_once(registry, origin)


def test_two_registrations_at_once_both_succeed_with_their_own_versions(registry: Path, tmp_path: Path) -> None:
    trainings = [make_training(tmp_path / f"train-{i}") for i in (1, 2)]
    runs = [subprocess.Popen([str(CHARTER), "-C", str(registry), "register", MODEL, "--artifact",
                              str(t / "out" / "model.onnx")], cwd=t, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for t in trainings]
    outputs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs
    assert committed_versions(registry)[-2:] == ["1.2.0", "1.3.0"]
    assert git(registry, "status", "--porcelain") == ""
    assert_validates(registry)
    assert git(registry, "fsck", "--no-dangling", "--no-progress").strip() == "", "no corrupted object or index"


@pytest.mark.parametrize("command", ["register", "promote"])
def test_a_command_that_cannot_get_the_lock_stops_cleanly_naming_the_holder(
        command: str, registry: Path, origin: Path, tmp_path: Path) -> None:
    import fcntl

    training = make_training(tmp_path / "train")
    args = PROMOTION if command == "promote" else (
        "-C", str(registry), "register", MODEL, "--artifact", str(training / "out" / "model.onnx"))
    head = git(registry, "rev-parse", "HEAD")
    with (registry / ".git" / "charter.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("charter register (pid 4242)")
        held.flush()
        result = run(*args, cwd=registry if command == "promote" else training, env={"CHARTER_LOCK_WAIT": "0"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "charter register (pid 4242) is changing this repository" in result.stderr
    assert "wait for it to finish" in result.stderr
    assert git(registry, "rev-parse", "HEAD") == head and git(registry, "status", "--porcelain") == ""
    assert "charter/" not in git(origin, "branch", "--list")


def test_the_same_promotion_from_two_clones_one_wins_the_other_stops_cleanly(
        registry: Path, origin: Path, tmp_path: Path) -> None:
    colleague = other_clone(origin, tmp_path)
    # their reason differs, so their commit does (an identical one, made in the same second, is simply the same)
    theirs = f"cd {colleague} && {CHARTER} {' '.join(PROMOTION)} --reason theirs"
    ours = interleave("charter.adapters.git.worktree:push_branch:before", theirs, *PROMOTION, cwd=registry)
    assert ours.returncode == 2, ours.stdout + ours.stderr
    assert "was pushed to origin by another run meanwhile" in ours.stderr
    assert "Traceback" not in ours.stderr
    winner = git(colleague, "rev-parse", BRANCH)
    assert git(origin, "rev-parse", BRANCH) == winner, "the winner's branch is not overwritten (never forced)"
    assert BRANCH not in git(registry, "branch", "--list"), "the loser leaves no branch behind"
    assert git(registry, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_promotion_whose_base_moved_is_rebuilt_on_the_new_base(registry: Path, origin: Path,
                                                                 tmp_path: Path) -> None:
    colleague = other_clone(origin, tmp_path)
    theirs = (f"cd {colleague} && echo 'A note.' >> README.md && git commit -qam 'Note' && git push -q origin main")
    result = interleave("charter.adapters.git.worktree:commit_in:after", theirs, *PROMOTION, cwd=registry)
    assert result.returncode == 0, result.stdout + result.stderr
    moved = git(colleague, "rev-parse", "HEAD")
    assert git(origin, "rev-parse", f"{BRANCH}^") == moved, "built on the main that moved, not on the old one"
    assert "A note." in git(origin, "show", f"{BRANCH}:README.md")
    assert_promoted_once(registry, origin)


def test_a_promotion_whose_base_moved_is_rechecked_and_refused_when_it_no_longer_passes(
        registry: Path, origin: Path, tmp_path: Path) -> None:
    colleague = other_clone(origin, tmp_path)
    stricter = (f"cd {colleague} && sed -i 's/auroc: 0.80/auroc: 0.999/' registry.yaml && "
                "git commit -qam 'Stricter floor for production' && git push -q origin main")
    result = interleave("charter.adapters.git.worktree:commit_in:after", stricter, *PROMOTION, cwd=registry)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused by the policy" in result.stderr
    assert "charter/" not in git(origin, "branch", "--list"), "nothing was pushed"
    assert BRANCH not in git(registry, "branch", "--list")


def test_charter_never_forces_a_push() -> None:
    pushes = [line for path in (Path(__file__).parents[1] / "src" / "charter").rglob("*.py")
              for line in path.read_text().splitlines() if '"push"' in line]
    assert pushes, "the git pushes are found"
    for line in pushes:
        assert "force" not in line and '"+' not in line and "f\"+" not in line, line


# --- every committing command: parallel writers take turns, killed ones are undone ---------------------------------

def record_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "records").glob("*.yaml"))


def evaluation_versions(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / EVALUATIONS).glob("*.yaml"))


def parallel(*commands: tuple[str, ...], cwd: Path) -> list[tuple[int, str]]:
    runs = [subprocess.Popen([str(CHARTER), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for args in commands]
    return [(p.returncode, out + err) for p in runs for out, err in [p.communicate(timeout=300)]]


def test_eight_parallel_monitor_records_all_land(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    before, head = record_files(registry), git(registry, "rev-parse", "HEAD").strip()
    outcomes = parallel(*[(*MONITOR, "--file", str(tmp_path / "health.yaml"))] * 8, cwd=registry)
    assert [code for code, _ in outcomes] == [0] * 8, outcomes
    added = sorted(set(record_files(registry)) - set(before))
    assert len(added) == 8
    assert git(registry, "rev-list", "--count", f"{head}..HEAD").strip() == "8"
    committed = git(registry, "diff", "--name-only", head, "HEAD").split()
    # the first record lists the model's team for records/ in CODEOWNERS (in its own commit); then it is listed
    assert committed == ["CODEOWNERS", *(f"records/{name}" for name in added)]
    assert_clean(registry)
    assert_validates(registry)


def test_parallel_evaluation_records_of_one_model_pick_distinct_versions(registry: Path) -> None:
    before = evaluation_versions(registry)
    outcomes = parallel(*[EVALUATE] * 4, cwd=registry)
    assert [code for code, _ in outcomes] == [0] * 4, outcomes
    added = sorted(set(evaluation_versions(registry)) - set(before))
    assert len(added) == 4, added
    assert_clean(registry)
    assert_validates(registry)


#: Steps of a change that writes one file: its journal written, its file's temporary copy written but not renamed
#: (the second rename: the journal's is the first), its file in place, the file staged by `git add` (the second git
#: process of the git adapter: the first finds the repository), and its commit landed.
JOURNALLED = "charter.authoring.change:Change.begin:after"
TEMPORARY = "os:replace:before:2"
WRITTEN = "charter.store.transaction:write_text_atomic:after:2"
STAGED = "charter.adapters.git.repo:run_git:after:2"
COMMITTED = "charter.adapters.git.repo:commit_paths:after"


def killed_state(root: Path) -> str:
    """What a killed run left: it must be one of the states its step names, or the step tested nothing."""
    return git(root, "status", "--porcelain", "--untracked-files=all")


def status_text(root: Path) -> str:
    result = run("status", "--format", "json", cwd=root)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("step", [JOURNALLED, TEMPORARY, WRITTEN, STAGED, COMMITTED])
def test_monitor_record_killed_at_any_step_is_undone_by_the_next_run(step: str, registry: Path,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    args = (*MONITOR, "--file", str(tmp_path / "health.yaml"))
    before = record_files(registry)
    killed = crash(step, *args, cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = killed_state(registry)
    assert {JOURNALLED: left == "", TEMPORARY: ".tmp" in left, WRITTEN: left.startswith("?? records/"),
            STAGED: "A  records/" in left, COMMITTED: left == ""}[step], left
    landed = step == COMMITTED
    orphans = set() if landed else {name.removesuffix(".yaml") for name in set(record_files(registry)) - set(before)}
    assert orphans or step in (JOURNALLED, TEMPORARY, COMMITTED), "the kill left the record it was writing"
    shown = status_text(registry)  # the first command after the kill reads: it must not see what never landed
    assert not any(name in shown for name in orphans), "status never shows the killed run's record"
    if not landed:
        assert_clean(registry)  # the reader undid the killed change, as the next writer would have
    assert_validates(registry)

    again = run(*args, cwd=registry)
    assert again.returncode == 0, again.stdout + again.stderr
    added = set(record_files(registry)) - set(before)
    assert len(added) == (2 if landed else 1), "the killed record is gone, unless its commit landed"
    assert git(registry, "ls-tree", "--name-only", "HEAD", "records/").split() == \
        sorted(f"records/{name}" for name in set(record_files(registry)))
    assert_clean(registry)
    assert_validates(registry)


@pytest.mark.parametrize("step", [JOURNALLED, TEMPORARY, WRITTEN,
                                  "charter.validation.runner:validate_registry:after", STAGED, COMMITTED])
def test_evaluate_record_killed_at_any_step_is_undone_by_the_next_run(step: str, registry: Path) -> None:
    before = evaluation_versions(registry)
    killed = crash(step, *EVALUATE, cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_validates(registry)
    again = run(*EVALUATE, cwd=registry)
    assert again.returncode == 0, again.stdout + again.stderr
    added = sorted(set(evaluation_versions(registry)) - set(before))
    assert len(added) == (2 if step == COMMITTED else 1), added
    assert_clean(registry)
    assert_validates(registry)


NEW = ("new", "model", "fresh-model")


@pytest.mark.parametrize("step", [JOURNALLED, TEMPORARY, WRITTEN])
def test_new_killed_at_any_step_is_undone_by_the_next_run(step: str, registry: Path) -> None:
    killed = crash(step, *NEW, "--no-edit", cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_validates(registry)
    again = run(*NEW, "--no-edit", cwd=registry)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(git(registry, "status", "--porcelain", "--untracked-files=all").splitlines()) == \
        [" M CODEOWNERS", "?? models/fresh-model/model.yaml"]
    assert not list((registry / ".git").glob("charter-*-journal.json"))


def test_a_killed_change_is_undone_by_the_next_change_of_another_command(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "health.yaml").write_text(HEALTH)
    killed = crash(STAGED, *MONITOR, "--file", str(tmp_path / "health.yaml"), cwd=registry)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "A  records/" in killed_state(registry)
    before = evaluation_versions(registry)
    assert run(*EVALUATE, cwd=registry).returncode == 0
    assert len(set(evaluation_versions(registry)) - set(before)) == 1
    assert git(registry, "show", "--name-only", "--format=", "HEAD").strip().startswith(EVALUATIONS), \
        "the killed record's staged file did not ride along in another command's commit"
    assert_clean(registry)
