"""What GitHub and GitLab clients share: the `ForgeClient` base (HTTP, JSON, timeouts, errors), remote URLs.

Tokens come from the environment only. A client keeps its token in one private attribute, sends it only in its
authentication header, never follows a redirect to another origin with it, refuses plain HTTP except to this machine,
and scrubs it from every message it builds, so no error, log line or PR body can carry it.

`ForgeUnavailable` is a `CharterError` with a printable sentence: a caller that can do without the forge (promote
prints the PR body and a compare link, gate falls back to CODEOWNERS) catches it and shows the reason; one that
cannot lets it stop the command.
"""

from __future__ import annotations

import http.client
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from charter.errors import (
    CharterError,
    ForgeAnswerNotJson,
    ForgeAnswerUnrecognised,
    ForgeApiNotHttps,
    ForgeConflict,
    ForgeForbidden,
    ForgeRedirected,
    ForgeRefused,
    ForgeRepositoryNotFound,
    ForgeTimedOut,
    ForgeTokenRefused,
    ForgeUnreachable,
)

if TYPE_CHECKING:
    from urllib.request import OpenerDirector, Request


TIMEOUT = 30.0  # seconds per request; a forge that is down must not hang a CI job
USER_AGENT = "charter"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class PullRequest:
    """A pull request (GitHub) or merge request (GitLab): its number (GitLab's `iid`) and its web page."""

    number: int
    url: str


E = TypeVar("E", bound=CharterError)


class ForgeUnavailable(CharterError):
    """A forge is configured but cannot be used here; `reason` says why in one line, without any secret.

    Callers that can do without the forge catch this family by type, so it lives here with its variants' words.
    """

    @property
    def reason(self) -> str:
        return self.message


class TokenNotOneLine(ForgeUnavailable):
    template = "{variable} holds more than one line"
    hint_template = "put only the token in {variable}"


class NoGitHubToken(ForgeUnavailable):
    template = "no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set"
    hint_template = "set GITHUB_TOKEN to a token that may open pull requests"


class NoGitHubRepository(ForgeUnavailable):
    template = "cannot tell which GitHub repository to use ({repository})"
    hint_template = "set spec.forge.repository to OWNER/NAME in registry.yaml"


class NoGitHubRepositoryFound(NoGitHubRepository):
    template = "cannot tell which GitHub repository to use (none found)"


class NoGitLabToken(ForgeUnavailable):
    template = "no GitLab token: neither GITLAB_TOKEN nor CI_JOB_TOKEN is set"
    hint_template = "set GITLAB_TOKEN to an access token with the `api` scope"


class NoGitLabProject(ForgeUnavailable):
    template = "cannot tell which GitLab project to use ({project})"
    hint_template = "set spec.forge.repository to GROUP/NAME in registry.yaml"


class NoGitLabProjectFound(NoGitLabProject):
    template = "cannot tell which GitLab project to use (none found)"


@dataclass(frozen=True)
class Remote:
    """Where a git remote points: host (with port where one is given) and repository path, without `.git`."""

    host: str
    path: str


_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?!//)(?P<path>.+)$")


def parse_remote(url: str) -> Remote | None:
    """The host and repository path of a remote URL: https, ssh:// and scp-like (`git@host:owner/name.git`) forms.

    Credentials in the URL (`https://user:token@host/...`) are dropped, never returned.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git", "git+ssh", "ssh+git"):
        host = parts.hostname or ""
        if parts.port is not None and parts.scheme in ("http", "https"):
            host = f"{host}:{parts.port}"
        path = parts.path
    else:
        match = _SCP_LIKE.match(url)
        if match is None:
            return None
        host, path = match["host"], match["path"]
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or "/" not in path:
        return None
    return Remote(host, path)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _opener(api_url: str) -> OpenerDirector:
    """urllib with redirects limited to GET on the same origin: the token never travels to another host."""
    import urllib.request

    class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Request, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> Request | None:
            if req.get_method() not in ("GET", "HEAD") or _origin(newurl) != _origin(api_url):
                where = urlsplit(newurl).hostname or newurl
                raise ForgeRedirected(method=req.get_method(), where=where, code=code)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(SameOriginRedirects())


class ForgeClient(ABC):
    """The HTTP half shared by both forges: requests, JSON, timeouts and errors that never carry the token."""

    kind = ""
    title = ""

    def __init__(self, api_url: str, repository: str, token: str, token_variable: str, web_url: str, *,
                 timeout: float = TIMEOUT) -> None:
        _check_api_url(api_url)
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.web_url = web_url.rstrip("/")
        self.token_variable = token_variable
        self.timeout = timeout
        self.__token = token
        self._opener = _opener(self.api_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r}, repository={self.repository!r})"

    @abstractmethod
    def _auth_headers(self, token: str) -> dict[str, str]:
        """The headers that carry the token, in this forge's scheme."""

    def _scrub(self, text: str) -> str:
        return text.replace(self.__token, "***") if self.__token else text

    def _scrubbed(self, error: E) -> E:
        """`error` without the token in its words or values, wherever the forge's answer quoted it."""
        error.message, error.hint = self._scrub(error.message), self._scrub(error.hint)
        error.args = (error.message,)
        error.fields = {k: self._scrub(v) if isinstance(v, str) else v for k, v in error.fields.items()}
        return error

    def _request(self, method: str, path: str, action: str, query: Mapping[str, str | int] | None = None,
                 body: Mapping[str, Any] | None = None) -> Any:
        """Send one request and return its decoded JSON; `action` ("open a pull request on o/r") words errors."""
        import urllib.error
        import urllib.request

        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **self._auth_headers(self.__token)}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            raise self._status_error(exc.code, detail, action) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError and TimeoutError are OSErrors
            reason = getattr(exc, "reason", exc)
            where = {"action": action, "title": self.title, "api_url": self.api_url}
            if isinstance(reason, TimeoutError):
                raise self._scrubbed(ForgeTimedOut(timeout=self.timeout, **where)) from None
            raise self._scrubbed(ForgeUnreachable(reason=reason, **where)) from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ForgeAnswerNotJson(action=action, title=self.title, api_url=self.api_url) from None

    def _status_error(self, status: int, detail: str, action: str) -> CharterError:
        refused: type[ForgeRefused] = {401: ForgeTokenRefused, 403: ForgeForbidden, 404: ForgeRepositoryNotFound,
                                       409: ForgeConflict, 422: ForgeConflict}.get(status, ForgeRefused)
        return self._scrubbed(refused(action=action, title=self.title, api_url=self.api_url, status=status,
                                      said=f": {detail}" if detail else "", token=self.token_variable,
                                      repository=self.repository, permission_hint=self._permission_hint))

    _permission_hint = ""

    @classmethod
    @abstractmethod
    def configured(cls, config: Mapping[str, Any], remote: Remote | None, env: Mapping[str, str], *,
                   timeout: float = TIMEOUT) -> ForgeClient:
        """The client registry.yaml's `spec.forge` (`config`), the environment and the remote describe."""

    @classmethod
    @abstractmethod
    def _compare_path(cls, base: str, head: str) -> str:
        """The part of a compare page's URL after the repository's web page."""

    @classmethod
    def compare_link(cls, web_base: str, repository: str, base: str, head: str) -> str:
        """The web page where a person opens the pull/merge request from `head` into `base` by hand."""
        return f"{web_base.rstrip('/')}/{repository.strip('/')}{cls._compare_path(base, head)}"

    # The operations each forge implements.
    @abstractmethod
    def open_pull_request(self, head: str, base: str, title: str, body: str) -> PullRequest:
        """Open a pull (merge) request from `head` into `base`."""

    @abstractmethod
    def pull_request_for_branch(self, head: str) -> PullRequest | None:
        """The open pull request of a branch, if there is one."""

    @abstractmethod
    def approvals(self, number: int) -> list[str]:
        """Who approved the pull request, as forge user names."""

    def compare_url(self, base: str, head: str) -> str:
        return self.compare_link(self.web_url, self.repository, base, head)


def unexpected_answer(title: str, action: str) -> CharterError:
    return ForgeAnswerUnrecognised(action=action, title=title)


def _error_detail(exc: Any) -> str:
    """The forge's own one-line explanation from an error body (GitHub `message` + `errors`, GitLab `message`)."""
    try:
        payload = json.loads(exc.read() or b"null")
    except (ValueError, OSError):
        return ""
    if not isinstance(payload, dict):
        return ""
    parts: list[str] = []
    message = payload.get("message") or payload.get("error")
    if isinstance(message, str):
        parts.append(message)
    elif isinstance(message, list):
        parts.extend(str(m) for m in message)
    elif isinstance(message, dict):
        parts.extend(f"{key} {', '.join(map(str, v)) if isinstance(v, list) else v}" for key, v in message.items())
    for error in payload.get("errors") or []:
        if isinstance(error, dict):
            parts.append(str(error.get("message") or " ".join(str(error.get(k, "")) for k in ("field", "code"))))
        elif isinstance(error, str):
            parts.append(error)
    text = "; ".join(p.strip() for p in parts if p and p.strip())
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def _check_api_url(api_url: str) -> None:
    parts = urlsplit(api_url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK:
        return  # a forge on this machine (tests, a local proxy): the token does not leave it
    raise ForgeApiNotHttps(api_url=api_url)


def token_from(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """The first of the variables `names` that holds a token: (token, variable)."""
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            if any(c in value for c in "\r\n\0"):
                raise TokenNotOneLine(variable=name)
            return value, name
    return None


def web_from_api(api_url: str, suffix: str) -> str:
    """The forge's web address, from its API's (which ends in `suffix` on a self-hosted server)."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        return "https://github.com"
    path = parts.path
    if path.endswith(suffix):
        path = path[: -len(suffix)]
    return f"{parts.scheme}://{host}{path}".rstrip("/")
