"""GitLab's merge requests and approvals, through its REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from charter.adapters.forge.base import (
    TIMEOUT,
    ForgeClient,
    NoGitLabProject,
    NoGitLabProjectFound,
    NoGitLabToken,
    PullRequest,
    Remote,
    token_from,
    unexpected_answer,
    web_from_api,
)

GITLAB_API = "https://gitlab.com/api/v4"


class GitLabClient(ForgeClient):
    kind = "gitlab"
    title = "GitLab"
    _permission_hint = ("use a project or personal access token with the `api` scope in GITLAB_TOKEN (a CI job "
                        "token cannot open merge requests)")

    def _auth_headers(self, token: str) -> dict[str, str]:
        header = "JOB-TOKEN" if self.token_variable == "CI_JOB_TOKEN" else "PRIVATE-TOKEN"
        return {header: token}

    @classmethod
    def configured(cls, config: Mapping[str, Any], remote: Remote | None, env: Mapping[str, str], *,
                   timeout: float = TIMEOUT) -> GitLabClient:
        """Token GITLAB_TOKEN (PRIVATE-TOKEN) or CI_JOB_TOKEN (JOB-TOKEN); API `apiUrl`, else CI_API_V4_URL, else
        gitlab.com; project `repository`, else CI_PROJECT_PATH, else the remote URL."""
        found = token_from(env, "GITLAB_TOKEN", "CI_JOB_TOKEN")
        if found is None:
            raise NoGitLabToken()
        api = config.get("apiUrl") or env.get("CI_API_V4_URL") or GITLAB_API
        project = config.get("repository") or env.get("CI_PROJECT_PATH") or (remote.path if remote else "")
        if "/" not in project.strip("/"):
            raise NoGitLabProject(project=project) if project else NoGitLabProjectFound()
        web = env.get("CI_SERVER_URL") or web_from_api(api, "/api/v4")
        return cls(api, project.strip("/"), found[0], found[1], web, timeout=timeout)

    @classmethod
    def _compare_path(cls, base: str, head: str) -> str:
        return (f"/-/merge_requests/new?merge_request[source_branch]={quote(head, safe='/')}"
                f"&merge_request[target_branch]={quote(base, safe='/')}")

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
            raise unexpected_answer(self.title, action)
        return self._merge_request(data[0], action) if data else None

    def approvals(self, number: int) -> list[str]:
        action = f"read the approvals of merge request !{number} on {self.repository}"
        data = self._request("GET", f"{self._project_path}/merge_requests/{number}/approvals", action)
        if not isinstance(data, dict) or not isinstance(data.get("approved_by"), list):
            raise unexpected_answer(self.title, action)
        names = {entry["user"].get("username") for entry in data["approved_by"]
                 if isinstance(entry, dict) and isinstance(entry.get("user"), dict)}
        return sorted(name for name in names if isinstance(name, str))

    def _merge_request(self, data: Any, action: str) -> PullRequest:
        if not isinstance(data, dict) or not isinstance(data.get("iid"), int) \
                or not isinstance(data.get("web_url"), str):
            raise unexpected_answer(self.title, action)
        return PullRequest(data["iid"], data["web_url"])
