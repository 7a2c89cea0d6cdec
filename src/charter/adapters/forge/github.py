"""GitHub's pull requests and reviews, through its REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from charter.adapters.forge.base import (
    TIMEOUT,
    ForgeClient,
    NoGitHubRepository,
    NoGitHubRepositoryFound,
    NoGitHubToken,
    PullRequest,
    Remote,
    token_from,
    unexpected_answer,
    web_from_api,
)

GITHUB_API = "https://api.github.com"
_REVIEW_PAGES = 10  # 1,000 reviews: far more than any promotion gathers, and a bound on a misbehaving server


class GitHubClient(ForgeClient):
    kind = "github"
    title = "GitHub"
    _permission_hint = ("give the token `pull-requests: write` (and `contents: read`), e.g. `permissions:` in the "
                        "workflow, or a fine-grained token with those permissions")

    def _auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28"}

    @classmethod
    def configured(cls, config: Mapping[str, Any], remote: Remote | None, env: Mapping[str, str], *,
                   timeout: float = TIMEOUT) -> GitHubClient:
        """Token GITHUB_TOKEN or GH_TOKEN; API `apiUrl`, else GITHUB_API_URL, else api.github.com; repository
        `repository`, else GITHUB_REPOSITORY, else the remote URL."""
        found = token_from(env, "GITHUB_TOKEN", "GH_TOKEN")
        if found is None:
            raise NoGitHubToken()
        api = config.get("apiUrl") or env.get("GITHUB_API_URL") or GITHUB_API
        repository = config.get("repository") or env.get("GITHUB_REPOSITORY") or (remote.path if remote else "")
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise NoGitHubRepository(repository=repository) if repository else NoGitHubRepositoryFound()
        web = env.get("GITHUB_SERVER_URL") or web_from_api(api, "/api/v3")
        return cls(api, repository, found[0], found[1], web, timeout=timeout)

    @classmethod
    def _compare_path(cls, base: str, head: str) -> str:
        return f"/compare/{quote(base, safe='/')}...{quote(head, safe='/')}?expand=1"

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
            raise unexpected_answer(self.title, action)
        return self._pull(data[0], action) if data else None

    def approvals(self, number: int) -> list[str]:
        """Who approves now: each reviewer's latest decisive review (a comment does not withdraw an approval)."""
        action = f"read the reviews of pull request #{number} on {self.repository}"
        reviews: list[Any] = []
        for page in range(1, _REVIEW_PAGES + 1):
            data = self._request("GET", f"{self._repo_path}/pulls/{number}/reviews", action,
                                 query={"per_page": 100, "page": page})
            if not isinstance(data, list):
                raise unexpected_answer(self.title, action)
            reviews.extend(data)
            if len(data) < 100:
                break
        return latest_approvals(reviews)

    def _pull(self, data: Any, action: str) -> PullRequest:
        if not isinstance(data, dict) or not isinstance(data.get("number"), int) \
                or not isinstance(data.get("html_url"), str):
            raise unexpected_answer(self.title, action)
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
