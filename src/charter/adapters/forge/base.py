"""Pull and merge requests on GitHub and GitLab, through their REST APIs with the standard library only.

`forge_for` builds a client from registry.yaml's `spec.forge`, the environment and the remote URL. It returns None
where no forge is configured (`type: none` or no `forge` at all) and raises `ForgeUnavailable` where one is
configured but cannot be used here (no token in the environment, no repository to be found). That error is a
`CharterError` with a printable sentence: a caller that can do without the forge (promote prints the PR body and a
compare link, gate falls back to CODEOWNERS) catches it and shows the reason; one that cannot lets it stop the
command.

Tokens come from the environment only. A client keeps its token in one private attribute, sends it only in its
authentication header, never follows a redirect to another origin with it, refuses plain HTTP except to this machine,
and scrubs it from every message it builds, so no error, log line or PR body can carry it.
"""

from __future__ import annotations

import http.client
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from charter.errors import CharterError

if TYPE_CHECKING:
    from urllib.request import OpenerDirector, Request


FORGE_TYPES = ("github", "gitlab", "none")
GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
TIMEOUT = 30.0  # seconds per request; a forge that is down must not hang a CI job
USER_AGENT = "charter"
_REVIEW_PAGES = 10  # 1,000 reviews: far more than any promotion gathers, and a bound on a misbehaving server
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class PullRequest:
    """A pull request (GitHub) or merge request (GitLab): its number (GitLab's `iid`) and its web page."""

    number: int
    url: str


class ForgeUnavailable(CharterError):
    """A forge is configured but cannot be used here; `reason` says why in one line, without any secret."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason, hint)
        self.reason = reason


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


def compare_link(forge_type: str, web_base: str, repository: str, base: str, head: str) -> str:
    """The web page where a person opens the pull/merge request from `head` into `base` by hand."""
    web = f"{web_base.rstrip('/')}/{repository.strip('/')}"
    if forge_type == "gitlab":
        return (f"{web}/-/merge_requests/new?merge_request[source_branch]={quote(head, safe='/')}"
                f"&merge_request[target_branch]={quote(base, safe='/')}")
    if forge_type == "github":
        return f"{web}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}?expand=1"
    raise CharterError(f"no compare link for forge type {forge_type!r}", "use github or gitlab")


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
                raise CharterError(f"the forge redirected a {req.get_method()} request to {where} ({code}); "
                                   "Charter follows only GET redirects within the API's own host",
                                   "check the API URL (spec.forge.apiUrl) and the repository name")
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
            if isinstance(reason, TimeoutError):
                reason = f"no answer within {self.timeout:g} s"
            raise CharterError(self._scrub(f"could not {action}: cannot reach {self.title} at {self.api_url} "
                                           f"({reason})"),
                               "check the network and the API URL (spec.forge.apiUrl)") from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise CharterError(f"could not {action}: {self.title} at {self.api_url} answered with something "
                               "that is not JSON", "check the API URL (spec.forge.apiUrl)") from None

    def _status_error(self, status: int, detail: str, action: str) -> CharterError:
        token = self.token_variable
        said = f": {detail}" if detail else ""
        if status == 401:
            message = f"{self.title} refused the token in {token} (401 Unauthorized{said})"
            hint = f"check that {token} holds a valid token that has not expired"
        elif status == 403:
            message = f"the token in {token} is not allowed to do this on {self.repository} (403 Forbidden{said})"
            hint = self._permission_hint
        elif status == 404:
            message = (f"{self.repository} was not found on {self.title} at {self.api_url}, or the token in {token} "
                       f"cannot see it (404 Not Found{said})")
            hint = "check spec.forge.repository (or the remote URL) and the token's access to the repository"
        elif status in (409, 422):
            message = f"{self.title} refused the request ({status}{said})"
            hint = "a pull request for this branch may already exist, or the branch has no new commits"
        else:
            message = f"{self.title} answered {status}{said}"
            hint = "try again later; if it persists, check the forge's status page"
        return CharterError(self._scrub(f"could not {action}: {message}"), self._scrub(hint))

    _permission_hint = ""

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
        return compare_link(self.kind, self.web_url, self.repository, base, head)


class GitHubClient(ForgeClient):
    kind = "github"
    title = "GitHub"
    _permission_hint = ("give the token `pull-requests: write` (and `contents: read`), e.g. `permissions:` in the "
                        "workflow, or a fine-grained token with those permissions")

    def _auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}

    @property
    def _repo_path(self) -> str:
        owner, name = self.repository.split("/", 1)
        return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"

    def open_pull_request(self, head: str, base: str, title: str, body: str) -> PullRequest:
        data = self._request("POST", f"{self._repo_path}/pulls", f"open a pull request on {self.repository}",
                             body={"title": title, "head": head, "base": base, "body": body})
        return self._pull(data, f"open a pull request on {self.repository}")

    def pull_request_for_branch(self, head: str) -> PullRequest | None:
        owner = self.repository.split("/", 1)[0]
        action = f"look up the pull requests of {self.repository}"
        data = self._request("GET", f"{self._repo_path}/pulls", action,
                             query={"state": "open", "head": f"{owner}:{head}", "per_page": 1})
        if not isinstance(data, list):
            raise _unexpected(self.title, action)
        return self._pull(data[0], action) if data else None

    def approvals(self, number: int) -> list[str]:
        """Who approves now: each reviewer's latest decisive review (a comment does not withdraw an approval)."""
        action = f"read the reviews of pull request #{number} on {self.repository}"
        reviews: list[Any] = []
        for page in range(1, _REVIEW_PAGES + 1):
            data = self._request("GET", f"{self._repo_path}/pulls/{number}/reviews", action,
                                 query={"per_page": 100, "page": page})
            if not isinstance(data, list):
                raise _unexpected(self.title, action)
            reviews.extend(data)
            if len(data) < 100:
                break
        return latest_approvals(reviews)

    def _pull(self, data: Any, action: str) -> PullRequest:
        if not isinstance(data, dict) or not isinstance(data.get("number"), int) \
                or not isinstance(data.get("html_url"), str):
            raise _unexpected(self.title, action)
        return PullRequest(data["number"], data["html_url"])


_DECISIVE = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


def latest_approvals(reviews: list[Any]) -> list[str]:
    """Logins whose latest decisive review (approved, changes requested, dismissed) is an approval, sorted.

    Reviews are taken in the order GitHub lists them (oldest first); COMMENTED and PENDING reviews leave a
    reviewer's standing as it was, as they do on GitHub itself.
    """
    state: dict[str, str] = {}
    for review in reviews:
        if not isinstance(review, dict):
            continue
        user = review.get("user")
        login = user.get("login") if isinstance(user, dict) else None
        verdict = review.get("state")
        if isinstance(login, str) and verdict in _DECISIVE:
            state[login] = verdict
    return sorted(login for login, verdict in state.items() if verdict == "APPROVED")


class GitLabClient(ForgeClient):
    kind = "gitlab"
    title = "GitLab"
    _permission_hint = ("use a project or personal access token with the `api` scope in GITLAB_TOKEN (a CI job "
                        "token cannot open merge requests)")

    def _auth_headers(self, token: str) -> dict[str, str]:
        header = "JOB-TOKEN" if self.token_variable == "CI_JOB_TOKEN" else "PRIVATE-TOKEN"
        return {header: token}

    @property
    def _project_path(self) -> str:
        return f"/projects/{quote(self.repository, safe='')}"

    def open_pull_request(self, head: str, base: str, title: str, body: str) -> PullRequest:
        action = f"open a merge request on {self.repository}"
        data = self._request("POST", f"{self._project_path}/merge_requests", action,
                             body={"source_branch": head, "target_branch": base, "title": title,
                                   "description": body})
        return self._merge_request(data, action)

    def pull_request_for_branch(self, head: str) -> PullRequest | None:
        action = f"look up the merge requests of {self.repository}"
        data = self._request("GET", f"{self._project_path}/merge_requests", action,
                             query={"state": "opened", "source_branch": head, "per_page": 1})
        if not isinstance(data, list):
            raise _unexpected(self.title, action)
        return self._merge_request(data[0], action) if data else None

    def approvals(self, number: int) -> list[str]:
        action = f"read the approvals of merge request !{number} on {self.repository}"
        data = self._request("GET", f"{self._project_path}/merge_requests/{number}/approvals", action)
        if not isinstance(data, dict) or not isinstance(data.get("approved_by"), list):
            raise _unexpected(self.title, action)
        names = {entry["user"].get("username") for entry in data["approved_by"]
                 if isinstance(entry, dict) and isinstance(entry.get("user"), dict)}
        return sorted(name for name in names if isinstance(name, str))

    def _merge_request(self, data: Any, action: str) -> PullRequest:
        if not isinstance(data, dict) or not isinstance(data.get("iid"), int) \
                or not isinstance(data.get("web_url"), str):
            raise _unexpected(self.title, action)
        return PullRequest(data["iid"], data["web_url"])


def _unexpected(title: str, action: str) -> CharterError:
    return CharterError(f"could not {action}: {title} answered in a form Charter does not recognise",
                        "check the API URL (spec.forge.apiUrl): it must be the REST API's base")


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
    raise CharterError(f"forge API URL {api_url!r} is not an https:// URL",
                       "Charter sends the token only over HTTPS; fix spec.forge.apiUrl or the API URL variable")


def _token(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            if any(c in value for c in "\r\n\0"):
                raise ForgeUnavailable(f"{name} holds more than one line", f"put only the token in {name}")
            return value, name
    return None


def _web_from_api(api_url: str, suffix: str) -> str:
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        return "https://github.com"
    path = parts.path
    if path.endswith(suffix):
        path = path[: -len(suffix)]
    return f"{parts.scheme}://{host}{path}".rstrip("/")


def forge_for(config: Mapping[str, Any] | None, remote_url: str | None, env: Mapping[str, str], *,
              timeout: float = TIMEOUT) -> ForgeClient | None:
    """The client for registry.yaml's `spec.forge`; None for no forge; `ForgeUnavailable` when it cannot be used.

    GitHub: token GITHUB_TOKEN or GH_TOKEN; API `apiUrl`, else GITHUB_API_URL, else api.github.com; repository
    `repository`, else GITHUB_REPOSITORY, else the remote URL. GitLab: token GITLAB_TOKEN (PRIVATE-TOKEN) or
    CI_JOB_TOKEN (JOB-TOKEN); API `apiUrl`, else CI_API_V4_URL, else gitlab.com; project `repository`, else
    CI_PROJECT_PATH, else the remote URL.
    """
    forge_type = (config or {}).get("type", "none")
    if forge_type == "none":
        return None
    if forge_type not in FORGE_TYPES:
        raise CharterError(f"unknown forge type {forge_type!r} in registry.yaml (spec.forge.type)",
                           f"use one of: {', '.join(FORGE_TYPES)}")
    configured = config or {}
    remote = parse_remote(remote_url) if remote_url else None
    if forge_type == "github":
        found = _token(env, "GITHUB_TOKEN", "GH_TOKEN")
        if found is None:
            raise ForgeUnavailable("no GitHub token: neither GITHUB_TOKEN nor GH_TOKEN is set",
                                   "set GITHUB_TOKEN to a token that may open pull requests")
        api = configured.get("apiUrl") or env.get("GITHUB_API_URL") or GITHUB_API
        repository = configured.get("repository") or env.get("GITHUB_REPOSITORY") or (remote.path if remote else "")
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ForgeUnavailable(f"cannot tell which GitHub repository to use ({repository or 'none found'})",
                                   "set spec.forge.repository to OWNER/NAME in registry.yaml")
        web = env.get("GITHUB_SERVER_URL") or _web_from_api(api, "/api/v3")
        return GitHubClient(api, repository, found[0], found[1], web, timeout=timeout)
    found = _token(env, "GITLAB_TOKEN", "CI_JOB_TOKEN")
    if found is None:
        raise ForgeUnavailable("no GitLab token: neither GITLAB_TOKEN nor CI_JOB_TOKEN is set",
                               "set GITLAB_TOKEN to an access token with the `api` scope")
    api = configured.get("apiUrl") or env.get("CI_API_V4_URL") or GITLAB_API
    project = configured.get("repository") or env.get("CI_PROJECT_PATH") or (remote.path if remote else "")
    if "/" not in project.strip("/"):
        raise ForgeUnavailable(f"cannot tell which GitLab project to use ({project or 'none found'})",
                               "set spec.forge.repository to GROUP/NAME in registry.yaml")
    web = env.get("CI_SERVER_URL") or _web_from_api(api, "/api/v4")
    return GitLabClient(api, project.strip("/"), found[0], found[1], web, timeout=timeout)
