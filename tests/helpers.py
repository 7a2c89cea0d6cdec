"""Helpers shared by several test modules. Test modules import from here (or use conftest's fixtures), never from
one another: a test module is collected, and its tests run, once; importing it elsewhere only hides the coupling.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from charter.cli.app import app

PROJECT = Path(__file__).resolve().parent.parent


# --- isolation from the machine ------------------------------------------------------------------------------------

# The git identity every test runs with (conftest sets it for the whole session and again for each test).
TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
}


def isolated_environment(home: Path) -> dict[str, str]:
    """The variables that point HOME, the XDG folders and git's global config at `home`, with the test identity.

    Every other GIT_* variable is to be removed (GIT_DIR or GIT_INDEX_FILE from a hook, GIT_CONFIG_COUNT, ...).
    """
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        **TEST_IDENTITY,
        # Output must not depend on the terminal the tests run in.
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }


# --- running Charter and git ---------------------------------------------------------------------------------------


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Result(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


class Charter:
    """Runs the CLI in-process through typer's runner, as a user would type it."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, cwd: Path | None = None) -> Result:
        previous = Path.cwd()
        os.chdir(cwd or self.cwd)
        try:
            result = self.runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        finally:
            os.chdir(previous)
        return Result(result.exit_code, result.stdout, result.stderr)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def no_traceback(*results: Any) -> None:
    for result in results:
        assert "Traceback" not in result.stdout + result.stderr, result


# --- training runs and DVC storage (register, resolve/pull, trust, crash tests) ------------------------------------

TOKEN = "s3cret"
ORIGIN = f"https://user:{TOKEN}@host/x.git"
MODEL = "sepsis-risk"


def make_training(repo: Path) -> Path:
    """A training project: a git repository whose origin URL carries a token, params, nested metrics, a model."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", ORIGIN)
    (repo / "params.yaml").write_text("learning_rate: 0.05\nmodel:\n  depth: 6\n  features: [age, lactate]\n")
    (repo / "train.py").write_text("print('training')\n")
    (repo / ".gitignore").write_text("out/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "training code")
    out = repo / "out"
    out.mkdir()
    (out / "metrics.json").write_text(json.dumps({"val": {"auprc": 0.41, "auroc": 0.87}, "loss": 0.12}))
    (out / "model.onnx").write_bytes(os.urandom(4096))  # unique content: never already in a cache or remote
    return repo


def remote_folder(root: Path) -> Path:
    """The DVC remote that `charter init` configured (a local folder) for this registry.

    DVC reads a relative URL from the folder of its configuration, .dvc/ (init writes `../../charter-artifacts`).
    """
    match = re.search(r"^\s*url = (.+)$", (root / ".dvc" / "config").read_text(), flags=re.M)
    assert match, "the registry has no DVC remote"
    return Path(os.path.normpath(root / ".dvc" / match.group(1).strip()))


def copy_registry(source: Path, target: Path, **copytree: Any) -> Path:
    """A copy of a registry at `target`, with its local DVC remote where its relative URL expects it.

    `charter init` writes the remote relative to the registry (`../charter-artifacts`): a copy elsewhere finds
    the folder beside it, as a clone would; the folder is copied there unless it exists already.
    """
    shutil.copytree(source, target, **{"symlinks": True, **copytree})
    text = (source / ".dvc" / "config").read_text() if (source / ".dvc" / "config").is_file() else ""
    match = re.search(r"^\s*url = (.+)$", text, flags=re.M)
    if match and not Path(match.group(1).strip()).is_absolute() and "://" not in match.group(1):
        store, copied = remote_folder(source), remote_folder(target)
        if store.is_dir() and not copied.exists():
            shutil.copytree(store, copied, symlinks=True)
    return target


def object_path(store: Path, digest: str) -> Path:
    """Where DVC 3 keeps an object by its md5, in a cache or a local remote."""
    return store / "files" / "md5" / digest[:2] / digest[2:]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# --- what a run imports (import-cost tests) ------------------------------------------------------------------------

#: Libraries a run must not import unless it needs them; six are the `evidence` extra's (and pandas, which pyarrow
#: imports), for the commands that compute evaluations from predictions only; mlflow is for its commands only.
HEAVY = ("jsonschema", "git", "dvc", "referencing", "jinja2", "yaml", "pydantic", "rich",
         "numpy", "pyarrow", "pandas", "scipy", "sklearn", "statsmodels", "mlflow")

PROBE = """
import json, sys
from charter.cli.app import main
sys.argv = ["charter", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
print("COMMANDS=" + json.dumps(sorted(m for m in sys.modules if m.startswith("charter.cli."))), file=sys.stderr)
"""


def probe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, list[str]]:
    """What a run imported: the heavy libraries among HEAVY (as HEAVY), and Charter's CLI modules (as COMMANDS)."""
    result = subprocess.run([sys.executable, "-c", PROBE.replace("HEAVY)", f"{json.dumps(json.dumps(HEAVY))})"),
                             *args], capture_output=True, text=True, cwd=cwd,
                            env={**os.environ, **(env or {})})
    lines = [x.split("=", 1) for x in result.stderr.splitlines() if x.startswith(("HEAVY=", "COMMANDS="))]
    return {name: list(json.loads(value)) for name, value in lines}


def imported(*args: str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    return probe(*args, cwd=cwd, env=env)["HEAVY"]


# --- running the installed charter in a child process, and killing it at a named step -----------------------------

HARNESS = Path(__file__).with_name("crash_at.py")
CHARTER = Path(sys.executable).parent / "charter"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHARTER), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def crash(step: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(HARNESS), step, "--", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


HEALTH = """\
type: health
reporter: monitoring/weekly-health
at: 2026-11-23T06:00:00Z
period:
  start: 2026-11-16T00:00:00Z
  end: 2026-11-23T00:00:00Z
health:
  latencyP99Ms: 220
  errorRate: 0.001
  alertsPerDay: 5.9
"""
RESULTS = Path(__file__).parent / "data" / "evaluate" / "sepsis-risk-1.2.0.json"
MONITOR = ("monitor", "record", "model:sepsis-risk@1.0.0", "--env", "production")
EVALUATE = ("evaluate", "record", "model:sepsis-risk@1.1.0", "--cohort", "cohort:sepsis-adult-inpatients-eval@1.0.0",
            "--results", str(RESULTS))
EVALUATIONS = "evaluations/sepsis-risk-1-1-0-retro"


def assert_clean(root: Path) -> None:
    """Nothing staged, untracked or half-written, no stray index entry, no journal and no temporary file."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(root, "diff", "--cached", "--name-status") == "", "no stray index entry"
    assert not list((root / ".git").glob("charter-*-journal.json"))
    assert git(root, "fsck", "--no-dangling", "--no-progress").strip() == "", "no corrupted object or index"


# --- synthetic predictions files (evaluate record --predictions, verify, the evidence policy) ----------------------


def write_predictions(path: Path, rows: int = 6000, seed: int = 14, *, prevalence: float = 0.06,
                      auroc: float = 0.85, baseline_auroc: float = 0.75, weak_site: str | None = None,
                      days: float = 30.0, tiny_site: bool = True, swap: bool = False) -> Path:
    """A predictions file of `rows` scored units (CSV, or Parquet by the suffix), the same for the same seed.

    Labels are drawn with `prevalence`; the score is the exact posterior risk of an equal-variance binormal model
    whose AUROC is `auroc` (so it is well calibrated), the `baseline` column a weaker score of the same units
    (`baseline_auroc`, correlated with the score). `site` takes three values, A, B and C (the candidate's score at C
    nearly chance when `weak_site="C"`), plus seven rows of site `tiny`: two events, AUROC 0.6. Times spread over
    `days` days from 2026-01-01; ids are `u00001`... `swap` exchanges the score and baseline columns (a worse
    candidate).
    """
    import numpy as np
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    n = rows - 7 if tiny_site else rows
    label = (rng.random(n) < prevalence).astype(int)
    site = rng.choice(np.array(["A", "B", "C"]), size=n)

    def risk(separation: Any, latent: Any) -> Any:  # P(event | latent) under the binormal model
        log_odds = np.log(prevalence / (1 - prevalence)) + separation * latent - separation**2 / 2
        return 1 / (1 + np.exp(-log_odds))

    separation = np.sqrt(2) * norm.ppf(auroc)
    common = rng.standard_normal(n)
    latent = separation * label + common
    weaker = np.sqrt(2) * norm.ppf(baseline_auroc)
    baseline_latent = weaker * label + 0.6 * common + 0.8 * rng.standard_normal(n)
    score, baseline = risk(separation, latent), risk(weaker, baseline_latent)
    if swap:
        score, baseline = baseline, score
    if weak_site is not None:  # the candidate's score, nearly chance at that site
        weak, at = np.sqrt(2) * norm.ppf(0.6), site == weak_site
        score[at] = risk(weak, weak * label[at] + rng.standard_normal(int(at.sum())))
    seconds = np.sort(rng.uniform(0, days * 86400, size=n))
    seconds[0], seconds[-1] = 0.0, days * 86400  # the span is exactly `days`
    if tiny_site:
        label = np.concatenate([label, [1, 1, 0, 0, 0, 0, 0]])
        score = np.concatenate([score, [0.5, 0.2, 0.6, 0.3, 0.25, 0.1, 0.05]])
        baseline = np.concatenate([baseline, [0.4, 0.3, 0.5, 0.2, 0.15, 0.1, 0.05]])
        site = np.concatenate([site, ["tiny"] * 7])
        seconds = np.concatenate([seconds, np.linspace(86400, 2 * 86400, 7)])
    start = np.datetime64("2026-01-01T00:00:00")
    times = [str(start + np.timedelta64(int(s), "s")) + "Z" for s in seconds]
    columns = {"id": [f"u{i:05d}" for i in range(1, rows + 1)], "score": [float(f"{s:.6g}") for s in score],
               "label": [int(v) for v in label], "time": times, "site": [str(s) for s in site],
               "baseline": [float(f"{s:.6g}") for s in baseline]}
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), path)
    else:
        lines = [",".join(columns)]
        lines += [",".join(str(columns[c][i]) for c in columns) for i in range(rows)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- a registry's state, as a refused command must leave it ---------------------------------------------------------


def load_entry(root: Path, relpath: str) -> dict[str, Any]:
    """An entry file of the registry, parsed."""
    import yaml

    data = yaml.safe_load((root / relpath).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def repository_state(root: Path) -> dict[str, str]:
    """HEAD, the branches and every file's status (ignored ones too): what a refused command must leave as it was."""
    return {"head": git(root, "rev-parse", "HEAD"), "branches": git(root, "branch", "-a"),
            "status": git(root, "status", "--porcelain", "--ignored", "--untracked-files=all")}
