"""Shared fixtures. The whole session, and every test again, runs with its own HOME, git config and git identity;
nothing reads or writes the machine's (~/.gitconfig, ~/.config, ~/.cache, /etc/gitconfig).

Plain helpers (Charter, git, PROJECT, ...) live in tests/helpers.py; they are re-exported here for the test
modules that still import them from conftest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from charter.authoring.create_registry import create_registry
from tests.helpers import PROJECT, TEST_IDENTITY, Charter, Result, copy_registry, git, isolated_environment

__all__ = ["PROJECT", "Charter", "Result", "git"]


def _isolate(home: Path, setenv: Callable[[str, str], None], delenv: Callable[[str], None]) -> None:
    wanted = isolated_environment(home)
    for name in [n for n in os.environ if n.startswith("GIT_") and n not in wanted]:
        delenv(name)
    for name, value in wanted.items():
        setenv(name, value)


_SESSION: dict[str, object] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Isolate the whole session before anything runs: collection, session and module fixtures included.

    The per-test `isolated_home` below cannot cover those (a session fixture is set up before the first test's
    function fixtures), so without this the session's template registry was committed with the git identity of
    whoever ran the tests. The session home's git config carries the test identity, as a developer's would.
    """
    home = Path(tempfile.mkdtemp(prefix="charter-tests-home-"))
    (home / ".gitconfig").write_text(f"[user]\n\tname = {TEST_IDENTITY['GIT_AUTHOR_NAME']}\n"
                                     f"\temail = {TEST_IDENTITY['GIT_AUTHOR_EMAIL']}\n", encoding="utf-8")
    _SESSION.update(home=home, environ=dict(os.environ))
    _isolate(home, os.environ.__setitem__, os.environ.__delitem__)


def pytest_unconfigure(config: pytest.Config) -> None:
    home, environ = _SESSION.pop("home", None), _SESSION.pop("environ", None)
    if isinstance(environ, dict):
        os.environ.clear()
        os.environ.update(environ)
    if isinstance(home, Path):
        shutil.rmtree(home, ignore_errors=True)


# The slow tests: seconds each (a browser, pre-commit installing hooks, hypothesis, processes killed mid-write and
# races, DVC pushing to S3, the benchmark, the demo, a wheel build, a pytest session in a subprocess, a bootstrap
# done row by row). Together they are about four fifths of the suite's time; `make test-quick` (pytest -m "not
# slow") leaves them out, `make test` runs everything. Marked here rather than in the modules; a test in
# tests/test_suite_hygiene.py keeps every name below pointing at a test that exists. ALL marks a whole module.
ALL = "*"
SLOW: dict[str, str | set[str]] = {
    "test_properties.py": ALL,
    "test_crash_and_race.py": ALL,
    "test_demo.py": ALL,
    "test_evidence_from_predictions.py": ALL,  # each test records on a real registry with DVC (2-6 s)
    "test_packaging.py": ALL,
    "test_precommit.py": {"test_hook_passes_clean_changes_and_blocks_bad_ones",
                          "test_hook_passes_a_commit_that_touches_no_entry",
                          "test_the_project_runs_its_own_hooks_on_its_schemas_and_template",
                          "test_the_hook_refuses_a_deleted_event_that_versions_still_refer_to",
                          "test_the_hook_reads_the_index_not_the_work_tree",
                          "test_the_hook_checks_a_registry_in_a_sub_folder"},
    "test_hostile_input.py": {"test_hostile_input"},
    "test_trust.py": {"test_the_token_appears_in_no_output_file_commit_or_pull_request",
                      "test_nothing_of_the_repository_runs",
                      "test_the_dvc_remote_of_an_untrusted_checkout_is_not_used_unasked",
                      "test_a_dvc_remote_changed_by_the_pull_request_is_not_used"},
    "test_report.py": {"test_every_page_renders_without_errors_or_network_requests",
                       "test_charts_and_lineage_are_drawn",
                       "test_catalog_filters_narrow_the_table",
                       "test_every_entry_has_its_page_and_every_link_resolves"},
    "test_benchmarks.py": {"test_benchmark_runs_at_small_scale", "test_benchmark_measures_only_what_is_asked",
                           "test_evidence_numerics_benchmark_runs_at_small_scale",
                           "test_evidence_read_benchmark_runs_at_small_scale",
                           "test_evidence_record_benchmark_runs_at_small_scale",
                           "test_mlflow_import_benchmark_runs_at_small_scale"},
    "test_resolve_pull.py": {"test_s3_remote_register_and_pull_from_a_fresh_clone"},
    "test_yamlio.py": {"test_reading_keeps_nothing_of_the_files_read"},
    "test_suite_hygiene.py": {"test_session_fixtures_never_see_the_machines_git_identity"},
    "test_statistics.py": {"test_average_precision_bootstrap_agrees_with_a_row_by_row_bootstrap"},
    "test_predictions_file.py": {"test_dvc_add_records_the_same_md5",
                                 "test_any_valid_csv_or_parquet_reads_as_an_independent_parse"},
    "test_threshold_counts.py": {"test_counts_at_every_threshold_match_a_loop"},
    # a real MLflow store per test (seconds to migrate), and `mlflow server` started and stopped (a minute or more)
    "test_mlflow_sync.py": {"test_first_sync_registers_each_decided_version_and_serves_it_under_its_alias",
                            "test_a_second_sync_changes_nothing", "test_a_promotion_and_its_rollback_move_the_alias",
                            "test_aliases_set_by_hand_are_moved_back_or_removed_and_unmanaged_ones_are_left",
                            "test_a_model_taken_out_of_an_environment_loses_its_alias",
                            "test_dry_run_shows_the_changes_and_makes_none",
                            "test_a_version_from_a_training_run_is_found_by_its_run_and_tagged",
                            "test_a_tagged_version_with_other_bytes_is_refused",
                            "test_an_artifact_that_cannot_be_fetched_changes_nothing_in_mlflow",
                            "test_the_python_api_returns_the_plan_with_the_uri_of_registry_yaml",
                            "test_sync_through_a_tracking_server_with_a_token"},
    "test_mlflow_register.py": ALL,
    "test_mlflow_import.py": ALL,
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = SLOW.get(item.path.name)
        if names == ALL or (isinstance(names, set) and getattr(item, "originalname", item.name) in names):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own HOME, empty: no git config at all, as on a fresh machine (the identity comes from GIT_*)."""
    home = tmp_path_factory.mktemp("home")
    _isolate(home, monkeypatch.setenv, monkeypatch.delenv)
    return home


@pytest.fixture(scope="session")
def template_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `charter init` per session; tests that change a registry copy it with `registry`."""
    target = tmp_path_factory.mktemp("template") / "registry"
    create_registry(target)
    return target


@pytest.fixture
def registry(template_registry: Path, tmp_path: Path) -> Path:
    """A fresh copy of the example registry, with its git history and its DVC remote beside it."""
    return copy_registry(template_registry, tmp_path / "registry")


@pytest.fixture
def charter(tmp_path: Path) -> Charter:
    return Charter(tmp_path)


@pytest.fixture
def origin(registry: Path, tmp_path: Path) -> Path:
    """A bare clone of the registry as its `origin` remote, with main tracking it: where promotions push."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(registry), str(bare)], check=True)
    git(registry, "remote", "add", "origin", str(bare))
    git(registry, "fetch", "-q", "origin")
    git(registry, "branch", "-q", "--set-upstream-to=origin/main")
    return bare


@pytest.fixture
def run_charter() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The installed console script in a subprocess: what pre-commit and CI actually run."""

    def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        exe = Path(sys.executable).parent / "charter"
        return subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                              env={**os.environ}, timeout=120)

    return run


@pytest.fixture
def write(registry: Path) -> Iterator[Callable[[str, str], Path]]:
    def _write(relpath: str, text: str) -> Path:
        path = registry / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    yield _write
