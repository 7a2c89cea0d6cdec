"""The connection to an MLflow tracking server or store: where it is, and what its failures say.

MLflow reads its credentials from the URI (`https://user:password@host`) or the environment
(`MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_PASSWORD`). Charter never prints, stores or commits them: `redact_uri` is
the only form of the URI that leaves this module, and every message MLflow writes passes `Tracking.scrub` first.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from charter.errors import (
    CharterError,
    MlflowFailed,
    MlflowNotFound,
    MlflowNotInstalled,
    MlflowStoreNeedsServerPackage,
    MlflowUnreachable,
    TrackingUriMissing,
)
from charter.registry.uris import redact_uri, secret_parameter

__all__ = ["Tracking", "calling", "open_tracking", "redact_uri", "resolve_tracking_uri"]

URI_VARIABLE = "MLFLOW_TRACKING_URI"
#: Environment variables MLflow sends as credentials; their values are scrubbed from every message.
SECRET_VARIABLES = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_CLIENT_CERT_PATH")
#: MLflow retries a failing HTTP request 7 times with back-off (minutes in all) and waits 120 s per request; a
#: command someone waits on says "unreachable" sooner. Values the user set win.
#: A governance tool sends nothing anywhere unasked: MLflow's usage telemetry is off unless the user turned it on.
#: Its download progress bars would interleave with Charter's own output; Charter says what it fetched instead.
ENVIRONMENT_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                        "MLFLOW_HTTP_REQUEST_TIMEOUT": "30", "MLFLOW_DISABLE_TELEMETRY": "true",
                        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
#: Stores the client package (`mlflow-skinny`) cannot open: they need the full `mlflow` package.
SERVER_SIDE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


def resolve_tracking_uri(given: str | None) -> str:
    """The URI given, else `MLFLOW_TRACKING_URI`: never MLflow's own default (a `mlruns` folder wherever one stands)."""
    uri = (given or os.environ.get(URI_VARIABLE, "")).strip()
    if not uri:
        raise TrackingUriMissing(variable=URI_VARIABLE)
    return uri


def _secrets(uri: str) -> list[str]:
    try:
        parts = urlsplit(uri)
        found = {parts.password or "", parts.username or "" if parts.password else ""}
    except ValueError:
        parts, found = urlsplit(""), set()
    found |= {v for k, v in parse_qsl(urlsplit(uri).query) if secret_parameter(k)}
    found |= {os.environ.get(name, "") for name in SECRET_VARIABLES}
    forms = {f for s in found if len(s) >= 3 for f in (s, quote(s, safe=""), quote_plus(s))}
    return sorted(forms, key=len, reverse=True)


@dataclass
class Tracking:
    """An open MLflow client and the words to speak of its store without its credentials."""

    uri: str
    client: Any
    shown_uri: str
    _secrets: list[str] = field(default_factory=list, repr=False)

    def scrub(self, text: str) -> str:
        """`text` with every credential replaced, and the raw URI shown redacted."""
        text = text.replace(self.uri, self.shown_uri)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def open_tracking(uri: str) -> Tracking:
    """A client for `uri`; MLflow is imported here, and only here, so other commands never pay for it."""
    for name, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    scheme = urlsplit(uri).scheme.split("+")[0]
    try:
        import mlflow
        from mlflow import MlflowClient
    except ImportError as exc:
        raise MlflowNotInstalled() from exc
    # MLflow logs its store migrations and deprecations at INFO on stderr; a command's output is Charter's words.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    if scheme in SERVER_SIDE_SCHEMES:
        try:
            import sqlalchemy  # noqa: F401  (the full package's store dependency)
        except ImportError as exc:
            raise MlflowStoreNeedsServerPackage(uri=redact_uri(uri), scheme=scheme) from exc
    tracking = Tracking(uri=uri, client=None, shown_uri=redact_uri(uri), _secrets=_secrets(uri))
    with calling(tracking, "open the tracking store"):
        # `models:/...` URIs (downloads, listings, registrations) resolve through the process's current tracking
        # URI, not the client's: both must name the same store.
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        tracking.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    return tracking


@contextmanager
def calling(tracking: Tracking, action: str) -> Iterator[None]:
    """Turn what MLflow or its HTTP layer raises while doing `action` into one Charter error, credentials scrubbed."""
    try:
        yield
    except CharterError:
        raise
    except Exception as exc:  # MLflow raises MlflowException, requests' errors, OSError and more
        raise _translated(tracking, action, exc) from None


def _translated(tracking: Tracking, action: str, exc: Exception) -> Exception:
    said = tracking.scrub(" ".join(str(exc).split()))
    said = said if len(said) <= 300 else said[:297] + "..."
    code = getattr(exc, "error_code", "")
    if code == "RESOURCE_DOES_NOT_EXIST" or "RESOURCE_DOES_NOT_EXIST" in said or " not found" in said.lower():
        return MlflowNotFound(action=action, uri=tracking.shown_uri, said=said)
    if _unreachable(exc, said):
        return MlflowUnreachable(action=action, uri=tracking.shown_uri, said=said)
    return MlflowFailed(action=action, uri=tracking.shown_uri, said=said)


def _unreachable(exc: BaseException, said: str) -> bool:
    # Not "API request to ... failed": MLflow says that of a 401 or 500 as well, which is an answer, not silence.
    markers = ("Max retries exceeded", "Connection refused", "Failed to establish a new connection",
               "Name or service not known", "timed out", "unable to open database file")
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return any(marker in said for marker in markers)
