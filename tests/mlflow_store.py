"""A real MLflow tracking store for the MLflow tests: a SQLite backend and an artifact root in tmp_path, written
through MLflow's own client, and `mlflow server` on 127.0.0.1 for the REST path.

Runs log what a team's training job logs: params (as MLflow keeps them, strings), a metric over several steps,
git source tags, a dataset input and a scikit-learn model with a signature. Nothing here is a stand-in for MLflow.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The commit and repository the logged runs name as their source (the repository URL carries a password that
#: must never reach the registry).
SOURCE_COMMIT = "3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"
SOURCE_REPOSITORY = "https://builder:hunter2-secret@git.example.org/acme/sepsis-models.git"
PARAMS = {"C": "0.5", "max_iter": "200", "penalty": "l2", "fit_intercept": "True", "zip_code_width": "007",
          "learning_rate_text": "0.050", "scale": "1e3"}


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    experiment_id: str
    model_uri: str
    model_id: str


def sqlite_store(tmp_path: Path) -> str:
    """A new, empty SQLite tracking store; its URI. Artifacts go to `tmp_path/mlartifacts`."""
    folder = tmp_path / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _experiment(client: Any, name: str, artifacts: Path | None) -> str:
    """The experiment's id, made on first use; without `artifacts` the server chooses (proxied) storage."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifacts.as_uri() if artifacts else None))


def log_training_run(uri: str, artifacts: Path | None, *, experiment: str = "sepsis-risk", seed: int = 0,
                     with_model: bool = True, with_signature: bool = True, params: dict[str, str] | None = None
                     ) -> LoggedRun:
    """One training run, logged as a team's job would: params, a metric per step, source tags, a dataset, a model."""
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    client = MlflowClient(uri)
    experiment_id = _experiment(client, experiment, artifacts)
    rng = np.random.default_rng(seed)
    features = pd.DataFrame({"age": rng.uniform(18, 90, 60), "lactate": rng.uniform(0.5, 6, 60),
                             "icu_admission": rng.integers(0, 2, 60).astype(bool)})
    labels = (features["lactate"] + rng.normal(0, 1, 60) > 3).astype(int)
    model = LogisticRegression(C=0.5, max_iter=200).fit(features, labels)
    mlflow.set_tracking_uri(uri)
    try:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(params if params is not None else PARAMS)
            for step, value in enumerate((0.71, 0.78, 0.83 + seed / 1000)):
                mlflow.log_metric("auroc", value, step=step)
            mlflow.log_metric("brier", 0.09, step=0)
            mlflow.set_tags({"mlflow.source.git.commit": SOURCE_COMMIT,
                             "mlflow.source.git.repoURL": SOURCE_REPOSITORY,
                             "mlflow.source.name": "train.py", "team": "sepsis"})
            dataset = mlflow.data.from_pandas(features.assign(label=labels), name="sepsis-train-2025",
                                              source="s3://example-health/datasets/sepsis/2025-06-30.parquet")
            mlflow.log_input(dataset, context="training")
            model_uri, model_id = "", ""
            if with_model:
                signature = (mlflow.models.infer_signature(features, model.predict_proba(features)[:, 1])
                             if with_signature else None)
                info = mlflow.sklearn.log_model(model, name="model", signature=signature)
                model_uri, model_id = info.model_uri, info.model_id
    finally:
        mlflow.set_tracking_uri("")
    return LoggedRun(run.info.run_id, experiment_id, model_uri, model_id)


def register_model_version(uri: str, name: str, run: LoggedRun, *, description: str = "",
                           tags: dict[str, str] | None = None, alias: str | None = None) -> str:
    """Register the run's model as a new version of `name` (created if new); its version number."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    try:
        client.get_registered_model(name)
    except Exception:
        client.create_registered_model(name)
    mlflow.set_tracking_uri(uri)  # the registry resolves `models:/ID` through the current tracking URI
    try:
        version = client.create_model_version(name, run.model_uri, run_id=run.run_id,
                                              description=description or None, tags=tags or {},
                                              model_id=run.model_id)
    finally:
        mlflow.set_tracking_uri("")
    if alias is not None:
        client.set_registered_model_alias(name, alias, version.version)
    return str(version.version)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mlflow_server(tmp_path: Path, *, token: str | None = None, deadline: float = 120.0) -> Iterator[Server]:
    """`mlflow server` on 127.0.0.1 (SQLite backend, proxied artifacts); its URL. Stopped when the block ends.

    `Server.url` is a gateway in front of the server, as a team's tracking server has one: with `token`, it answers
    401 to any request without `Authorization: Bearer TOKEN` (what MLflow's client sends from
    MLFLOW_TRACKING_TOKEN); with `Server.cut_downloads` set, it sends half of every artifact file and hangs up.
    """
    folder = tmp_path / "mlflow-server"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
               "--artifacts-destination", (folder / "artifacts").as_uri(), "--workers", "1"]
    url = f"http://127.0.0.1:{port}"
    with (folder / "server.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=folder)
        try:
            _wait_healthy(url, process, time.monotonic() + deadline, folder / "server.log")
            with _gateway(url, token) as gateway:
                yield gateway
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], until: float, log: Path) -> None:
    """Poll /health until it answers, the server exits, or the deadline passes (a readiness wait, not a timing)."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > until:
            raise RuntimeError(f"mlflow server did not answer /health in time:\n{log.read_text()[-3000:]}")
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)


@dataclass
class Server:
    url: str
    refused: list[str]
    cut_downloads: bool = False


@contextmanager
def _gateway(upstream: str, token: str | None) -> Iterator[Server]:
    """An HTTP gateway that checks the bearer token and forwards everything else to `upstream` unchanged."""
    import http.server
    import threading

    state = Server(url="", refused=[])

    class Gateway(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
                state.refused.append(self.path)
                body = b'{"error_code": "UNAUTHENTICATED", "message": "a valid bearer token is required"}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "authorization", "connection", "content-length")}
            request = urllib.request.Request(upstream + self.path, data=data, method=self.command, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    status, reply, content_type = answer.status, answer.read(), answer.headers.get("Content-Type")
            except urllib.error.HTTPError as error:
                status, reply, content_type = error.code, error.read(), error.headers.get("Content-Type")
            cut = (state.cut_downloads and self.command == "GET" and "/mlflow-artifacts/artifacts/" in self.path
                   and status == 200 and len(reply) > 1)
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/octet-stream")
            self.send_header("Content-Length", str(len(reply)))
            if cut:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply[: len(reply) // 2] if cut else reply)
            if cut:
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
