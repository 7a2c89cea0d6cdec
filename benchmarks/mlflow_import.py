"""Benchmark `charter import mlflow` on a registry of 500 model versions, then a re-run with nothing new.

    python benchmarks/mlflow_import.py [--versions N] [--output PATH]

A SQLite tracking store is filled through MLflow's own client: N versions split between the registered models
`sepsis-risk` and `card-fraud` (the worked example's models, so every version has a parent to carry its event,
cohorts and contract over from), each from its own run (params, a metric, git source tags) with a small logged
model (an MLmodel file and 4 KiB of weights) and a `production` alias on each model's latest version. A scratch
registry is made by this checkout's `charter init` (its DVC remote a folder beside it), with a bare origin to push
the proposal branch to. Two commands run, each a fresh process under the launcher of benchmarks/evidence_record.py
(wall, CPU seconds, peak RSS): the import (every version downloaded, DVC-tracked, pushed and committed, one commit
each, the aliases proposed on a branch), then the same import again, which finds every version known. Results go
to benchmarks/results/mlflow_import.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_validate import machine_info, write_json
from evidence_record import _environment, charter_argv, measure

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "mlflow_import.json"
MODELS = ("sepsis-risk", "card-fraud")
MLMODEL = """flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.7
mlflow_version: 3.1.0
"""


def fill_store(folder: Path, versions: int) -> str:
    """A SQLite tracking store with `versions` registered versions; its URI."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri, registry_uri=uri)
    experiment = client.create_experiment("bench", artifact_location=(folder / "artifacts").as_uri())
    files = folder / "model"
    files.mkdir()
    (files / "MLmodel").write_text(MLMODEL)
    for name in MODELS:
        client.create_registered_model(name)
    latest: dict[str, str] = {}
    for number in range(versions):
        name = MODELS[number % len(MODELS)]
        (files / "weights.bin").write_bytes(number.to_bytes(4, "big") * 1024)
        run = client.create_run(experiment)
        run_id = run.info.run_id
        client.log_batch(run_id, metrics=[Metric("auroc", 0.8 + number / 1e5, 0, 1)],
                         params=[Param("seed", str(number)), Param("C", "0.5")],
                         tags=[RunTag("mlflow.source.git.commit", f"{number:040x}"),
                               RunTag("mlflow.source.git.repoURL", "https://git.example.org/acme/models.git")])
        logged = client.create_logged_model(experiment, name="model", source_run_id=run_id)
        client.log_model_artifacts(logged.model_id, str(files))
        client.set_terminated(run_id)
        version = client.create_model_version(name, f"models:/{logged.model_id}", run_id=run_id,
                                              model_id=logged.model_id)
        latest[name] = str(version.version)
    for name, version in latest.items():
        client.set_registered_model_alias(name, "production", version)
    return uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=500)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        began = time.perf_counter()
        store = scratch / "mlflow"
        store.mkdir()
        uri = fill_store(store, args.versions)
        print(f"filled the store with {args.versions} versions in {time.perf_counter() - began:.1f} s",
              file=sys.stderr)
        registry = scratch / "registry"
        subprocess.run(charter_argv("init", str(registry)), env=_environment(), check=True, capture_output=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(registry), str(scratch / "origin.git")], check=True)
        subprocess.run(["git", "-C", str(registry), "remote", "add", "origin", str(scratch / "origin.git")],
                       check=True)
        command = charter_argv("import", "mlflow", "--tracking-uri", uri)
        results = {"import": measure(command, scratch, registry), "re-run": measure(command, scratch, registry)}
        commits = int(subprocess.run(["git", "-C", str(registry), "rev-list", "--count", "HEAD"], check=True,
                                     capture_output=True, text=True).stdout)
    report = {
        "benchmark": "mlflow_import",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "load_average_at_end": list(os.getloadavg())},
        "python": platform.python_version(),
        "settings": {"versions": args.versions, "models": list(MODELS), "artifact_bytes": 4096 + len(MLMODEL),
                     "store": "sqlite", "commits_after": commits},
        "results": results,
    }
    write_json(args.output, report)
    print(f"\ncharter import mlflow, {args.versions} versions of {len(MODELS)} models from a SQLite store; "
          f"load at end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| command | wall | CPU (user + system) | peak RSS |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {r['peak_rss_mib']:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
