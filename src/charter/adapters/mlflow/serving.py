"""The MLflow calls `charter sync mlflow` makes: read a registered model, register a version, tag it, move aliases.

Each call goes through `tracking.calling`, so an unreachable or failing server is one Charter error with the
credentials scrubbed. Versions Charter registers are uploaded as MLflow 3 logged models (in the experiment
`charter-sync`) and tagged with the Charter version they are, so the next sync finds them by tag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from charter.adapters.mlflow import tracking
from charter.adapters.mlflow.registry import registered_model

#: The tag that ties an MLflow model version to the Charter version it is: `model:NAME@VERSION`.
REF_TAG = "charter.ref"
#: The tag with the DVC md5 of the bytes Charter uploaded (absent on versions MLflow had from a training run).
MD5_TAG = "charter.md5"

#: The experiment that holds the logged models of versions Charter registered from their DVC artifacts.
EXPERIMENT = "charter-sync"
#: MLflow's Default experiment, made with every store.
DEFAULT_EXPERIMENT = "0"
#: URI schemes of tracking servers, which choose where artifacts go; any other scheme is a store opened directly.
SERVER_SCHEMES = frozenset({"http", "https", "databricks", "databricks-uc"})


@dataclass(frozen=True)
class MlflowVersion:
    """One model version as MLflow holds it: what sync needs to recognise it."""

    version: str
    run_id: str | None = None
    source: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MlflowModel:
    """A registered model: its versions and its aliases (alias -> version)."""

    name: str
    versions: tuple[MlflowVersion, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass
class Serving:
    """An open tracking store, spoken to only in the terms sync plans in."""

    tracking: tracking.Tracking

    @property
    def shown_uri(self) -> str:
        return self.tracking.shown_uri

    def read_model(self, name: str) -> MlflowModel | None:
        """The registered model `name` with its versions and aliases; None when MLflow has no such model."""
        found = registered_model(self.tracking, name)
        if found is None:
            return None
        versions = tuple(MlflowVersion(v.version, v.run_id, v.source, v.tags) for v in found.versions)
        return MlflowModel(name, versions, found.aliases)

    def create_model(self, name: str) -> None:
        with tracking.calling(self.tracking, f"create registered model {name}"):
            self.tracking.client.create_registered_model(name, tags={"charter.model": name})

    def register(self, name: str, ref: str, md5: str, folder: Path) -> str:
        """Upload `folder` as a logged model and register it as a new version of `name`; its version number."""
        client = self.tracking.client
        with tracking.calling(self.tracking, f"register {ref}"):
            experiment_id = self._experiment()
            tags = {REF_TAG: ref, MD5_TAG: md5}
            logged = client.create_logged_model(experiment_id, name=name, tags=tags)
            client.log_model_artifacts(logged.model_id, os.fspath(folder))
            client.finalize_logged_model(logged.model_id, "READY")
            version = client.create_model_version(name, source=f"models:/{logged.model_id}",
                                                  model_id=logged.model_id, tags=tags,
                                                  description=f"{ref}, registered by charter sync mlflow")
        return str(version.version)

    def _experiment(self) -> str:
        """The id of the experiment `charter-sync`, made on first use.

        A tracking server puts its artifacts under its own artifact root. Opened directly (sqlite:, postgresql:,
        ...) a store has no root of its own, and MLflow would write into `./mlruns` of wherever the command runs,
        the registry's work tree: a SQLite store's go beside its database file, another's beside the Default
        experiment's.
        """
        client = self.tracking.client
        experiment = client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return str(experiment.experiment_id)
        location = None
        scheme = urlsplit(self.tracking.uri).scheme
        if scheme == "sqlite":
            database = Path(self.tracking.uri.removeprefix("sqlite:///"))
            location = (database.parent / f"{EXPERIMENT}-artifacts").absolute().as_uri()
        elif scheme not in SERVER_SCHEMES:
            default = str(client.get_experiment(DEFAULT_EXPERIMENT).artifact_location)
            location = f"{default.rstrip('/').rpartition('/')[0]}/{EXPERIMENT}"
        return str(client.create_experiment(EXPERIMENT, artifact_location=location))

    def tag(self, name: str, version: str, ref: str) -> None:
        with tracking.calling(self.tracking, f"tag version {version} of {name} as {ref}"):
            self.tracking.client.set_model_version_tag(name, version, REF_TAG, ref)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        with tracking.calling(self.tracking, f"point alias {alias} of {name} at version {version}"):
            self.tracking.client.set_registered_model_alias(name, alias, version)

    def remove_alias(self, name: str, alias: str) -> None:
        with tracking.calling(self.tracking, f"remove alias {alias} of {name}"):
            self.tracking.client.delete_registered_model_alias(name, alias)


def open_serving(given: str | None, configured: str | None) -> Serving:
    """The store to sync: `--tracking-uri`, else `MLFLOW_TRACKING_URI`, else registry.yaml's `trackingUri`."""
    uri = tracking.resolve_tracking_uri(given or os.environ.get(tracking.URI_VARIABLE) or configured)
    return Serving(tracking.open_tracking(uri))
