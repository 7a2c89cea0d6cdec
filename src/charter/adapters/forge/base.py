"""What GitHub and GitLab clients share: the `ForgeClient` base (HTTP, JSON, timeouts, errors), remote URLs.

Tokens come from the environment only. A client keeps its token in one private attribute, sends it only in its
authentication header, never follows a redirect to another origin with it, refuses plain HTTP except to this machine,
and scrubs it (as is and URL-encoded) from every text before cutting it to length, so no error, log line or PR body
can carry it or its start.

A forge is untrusted input too: each request has one deadline over connect, headers and body (a server that drips a
byte per read cannot hold a CI job), its answer at most `MAX_RESPONSE_BYTES`, and a rate limit is reported as one,
with the time it lifts.

`ForgeUnavailable` is a `CharterError` with a printable sentence: a caller that can do without the forge (promote
prints the PR body and a compare link) catches it and shows the reason; gate reports the approvals as unknown; a
caller that cannot do without it lets it stop the command.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus, urlencode, urlsplit

from charter.errors import (
    CharterError,
    ForgeAnswerNotJson,
    ForgeAnswerTooLarge,
    ForgeAnswerUnrecognised,
    ForgeApiNotHttps,
    ForgeConflict,
    ForgeForbidden,
    ForgeRateLimited,
    ForgeRateLimitedNoReset,
    ForgeRedirected,
    ForgeRefused,
    ForgeRepositoryNotFound,
    ForgeTimedOut,
    ForgeTokenRefused,
    ForgeUnreachable,
)

if TYPE_CHECKING:
    from urllib.request import OpenerDirector, Request


TIMEOUT = 30.0  # seconds per request, all of it: a forge that is down or drips must not hang a CI job
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # far above any real answer (a page of 100 reviews is ~300 KB)
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


class _Deadline:
    """The moment a request must be over by: connect, sending, headers and body together, however the server drips."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; TimeoutError once there are none, so no read or connect starts after the deadline."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left


class _DeadlineReader(io.RawIOBase):
    """A response's socket reads, each with the socket timeout set to what is left of the request's deadline."""

    def __init__(self, raw: Any, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._raw = raw  # the SocketIO http.client made: keeps the socket open while the response is read
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return int(self._raw.readinto(buffer))

    def close(self) -> None:
        self._raw.close()
        super().close()


def _deadline_connection(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    """`base` whose connect and every response read are held to `deadline` (urllib's timeout is per read)."""

    class Response(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock, deadline))

    class Connection(base):  # type: ignore[valid-type,misc]
        response_class = Response

        def connect(self) -> None:
            self.timeout = deadline.remaining()
            super().connect()

    return Connection


def _opener(api_url: str, deadline: _Deadline) -> OpenerDirector:
    """urllib with redirects limited to GET on the same origin (the token never travels to another host) and every
    connection held to the request's deadline."""
    import urllib.request

    class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Request, fp: Any, code: int, msg: str, headers: Any,
                             newurl: str) -> Request | None:
            if req.get_method() not in ("GET", "HEAD") or _origin(newurl) != _origin(api_url):
                where = urlsplit(newurl).hostname or newurl
                raise ForgeRedirected(method=req.get_method(), where=where, code=code)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: Request) -> http.client.HTTPResponse:
            return self.do_open(_deadline_connection(http.client.HTTPConnection, deadline), req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: Request) -> http.client.HTTPResponse:
            return self.do_open(_deadline_connection(http.client.HTTPSConnection, deadline), req,
                                context=self._context)  # type: ignore[attr-defined]

    return urllib.request.build_opener(SameOriginRedirects(), HTTPHandler(), HTTPSHandler())


def _read_capped(response: Any, limit: int) -> bytes | None:
    """At most `limit` bytes of a body, read in chunks; None when there is more (nothing beyond limit + 1 is read)."""
    declared = response.headers.get("Content-Length") if response.headers is not None else None
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = response.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


class ForgeClient(ABC):
    """The HTTP half shared by both forges: requests, JSON, timeouts and errors that never carry the token."""

    kind = ""
    title = ""

    def __init__(self, api_url: str, repository: str, token: str, token_variable: str, web_url: str, *,
                 timeout: float = TIMEOUT, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        _check_api_url(api_url)
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.web_url = web_url.rstrip("/")
        self.token_variable = token_variable
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.__token = token
        # The token as it would read in a URL or a form too, longest first so no form leaves part of another.
        self.__forms = sorted({token, quote(token, safe=""), quote(token), quote_plus(token)} - {""}, key=len,
                              reverse=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r}, repository={self.repository!r})"

    @abstractmethod
    def _auth_headers(self, token: str) -> dict[str, str]:
        """The headers that carry the token, in this forge's scheme."""

    def _scrub(self, text: str) -> str:
        """`text` without the token (as is, or URL-encoded) and without any start of it left at the end."""
        for form in self.__forms:
            text = text.replace(form, "***")
        return _drop_token_start(text, self.__forms)

    def _shorten(self, text: str, limit: int = 300) -> str:
        """Scrubbed first, then cut: cutting first could leave the start of the token, which no longer matches."""
        text = " ".join(self._scrub(text).split())
        return text if len(text) <= limit else self._scrub(text[: limit - 3]) + "..."

    def _scrubbed(self, error: E) -> E:
        """`error` without the token in its words or values, wherever the forge's answer quoted it."""
        error.message, error.hint = self._scrub(error.message), self._scrub(error.hint)
        error.args = (error.message,)
        error.fields = {k: self._scrub(v) if isinstance(v, str) else v for k, v in error.fields.items()}
        return error

    def _request(self, method: str, path: str, action: str, query: Mapping[str, str | int] | None = None,
                 body: Mapping[str, Any] | None = None) -> Any:
        """Send one request and return its decoded JSON; `action` ("open a pull request on o/r") words errors.

        The whole request has `timeout` seconds and its answer at most `max_bytes`: a forge that drips one byte at a
        time or sends gigabytes ends in an error, not in a stuck job or a MemoryError.
        """
        import urllib.error
        import urllib.request

        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **self._auth_headers(self.__token)}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        deadline = _Deadline(self.timeout)
        try:
            with _opener(self.api_url, deadline).open(request, timeout=deadline.remaining()) as response:
                raw = _read_capped(response, self.max_bytes)
        except urllib.error.HTTPError as exc:
            try:
                detail = self._shorten(_error_detail(_read_capped(exc, 65536) or b""))
            except (OSError, http.client.HTTPException):
                detail = ""  # the error's body did not arrive in time: its status still says what happened
            raise self._status_error(exc.code, exc.headers, detail, action) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError and TimeoutError are OSErrors
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise self._timed_out(action) from None
            raise ForgeUnreachable(action=action, title=self.title, api_url=self.api_url,
                                   reason=self._shorten(str(reason))) from None
        if raw is None:
            raise ForgeAnswerTooLarge(action=action, title=self.title, api_url=self.api_url,
                                      limit_mib=self.max_bytes / (1024 * 1024))
        try:
            return json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            raise ForgeAnswerNotJson(action=action, title=self.title, api_url=self.api_url) from None

    def _timed_out(self, action: str) -> CharterError:
        return ForgeTimedOut(action=action, title=self.title, api_url=self.api_url, timeout=self.timeout)

    def _status_error(self, status: int, headers: Message | None, detail: str, action: str) -> CharterError:
        said = f": {detail}" if detail else ""
        where = {"action": action, "title": self.title, "token": self.token_variable, "status": status,
                 "said": said}
        if status in (403, 429) and headers is not None and _rate_limited(status, headers):
            until = _rate_limit_reset(headers)
            if until is None:
                return self._scrubbed(ForgeRateLimitedNoReset(**where))
            return self._scrubbed(ForgeRateLimited(until=until.strftime("%Y-%m-%d %H:%M UTC"), **where))
        refused: type[ForgeRefused] = {401: ForgeTokenRefused, 403: ForgeForbidden, 404: ForgeRepositoryNotFound,
                                       409: ForgeConflict, 422: ForgeConflict}.get(status, ForgeRefused)
        return self._scrubbed(refused(api_url=self.api_url, repository=self.repository,
                                      permission_hint=self._permission_hint, **where))

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


def _error_detail(body: bytes) -> str:
    """The forge's own explanation from an error body (GitHub `message` + `errors`, GitLab `message`), whole: the
    caller scrubs the token before it cuts the text to length."""
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):
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
    errors = payload.get("errors")
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            parts.append(str(error.get("message") or " ".join(str(error.get(k, "")) for k in ("field", "code"))))
        elif isinstance(error, str):
            parts.append(error)
    return "; ".join(p.strip() for p in parts if p and p.strip())


def _drop_token_start(text: str, forms: list[str]) -> str:
    """Mask a start of the token (6 characters or more) that ends `text`, as a cut after scrubbing could leave."""
    for form in forms:
        for size in range(min(len(form), len(text)), 5, -1):
            if text.endswith(form[:size]):
                return text[:-size] + "***"
    return text


def _rate_limited(status: int, headers: Message) -> bool:
    """GitHub says a 403 is a rate limit with `x-ratelimit-remaining: 0` or `retry-after`; a 429 always is one."""
    return status == 429 or headers.get("x-ratelimit-remaining", "").strip() == "0" \
        or headers.get("retry-after") is not None


def _rate_limit_reset(headers: Message) -> datetime | None:
    """When the limit lifts: an epoch (GitHub's x-ratelimit-reset, GitLab's RateLimit-Reset) or Retry-After."""
    from email.utils import parsedate_to_datetime

    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = (headers.get(name) or "").strip()
        if value.isascii() and value.isdigit() and len(value) <= 11:  # up to the year 5138
            return datetime.fromtimestamp(int(value), UTC)
    value = (headers.get("retry-after") or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return datetime.now(UTC) + timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


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
