"""The forge clients against a stand-in forge that holds every request to GitHub's and GitLab's OpenAPI descriptions.

Every test also checks that the token never shows: not in an exception (message, hint, chained causes, traceback),
not on stdout or stderr, not in a log record.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from charter.adapters.forge.base import (
    MAX_RESPONSE_BYTES,
    ForgeClient,
    ForgeUnavailable,
    PullRequest,
    Remote,
    parse_remote,
)
from charter.adapters.forge.choose import compare_link, forge_for
from charter.adapters.forge.ci import pull_request_of_ci_event
from charter.adapters.forge.github import latest_approvals
from charter.errors import CharterError, CiEventUnreadable, ForgeAnswerTooLarge, ForgeRateLimited, ForgeTimedOut
from tests.forge_server import (
    GITHUB,
    GITLAB,
    ForgeServer,
    github_pull,
    github_review,
    gitlab_merge_request,
    gitlab_user,
    serve,
)

TOKEN = "ghp_S3cr3tT0k3nV4lu3ThatMustNeverShow0042"
WRONG = "glpat-An0therS3cr3tThatIsNotValid0077"
SECRETS = (TOKEN, WRONG)


@pytest.fixture(autouse=True)
def no_token_in_output(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    for secret in SECRETS:
        assert secret not in out and secret not in err
        assert not [r for r in caplog.records if secret in r.getMessage()]


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def github() -> Iterator[ForgeServer]:
    yield from serve(GITHUB, TOKEN)


@pytest.fixture
def gitlab() -> Iterator[ForgeServer]:
    yield from serve(GITLAB, TOKEN)


def github_client(server: ForgeServer, token: str = TOKEN, **config: str) -> ForgeClient:
    client = forge_for({"type": "github", "repository": "acme/registry", "apiUrl": server.url, **config}, None,
                       {"GITHUB_TOKEN": token})
    assert client is not None
    return client


def gitlab_client(server: ForgeServer, token: str = TOKEN, **config: str) -> ForgeClient:
    client = forge_for({"type": "gitlab", "repository": "health/ml/registry", "apiUrl": f"{server.url}/api/v4",
                        **config}, None, {"GITLAB_TOKEN": token})
    assert client is not None
    return client


def assert_no_secret(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    seen: BaseException | None = exc
    while seen is not None:
        text += f"{seen}\n{seen!r}\n{getattr(seen, 'hint', '')}\n"
        seen = seen.__cause__ or seen.__context__
    for secret in SECRETS:
        assert secret not in text


# -- GitHub -------------------------------------------------------------------------------------------------------

def test_github_opens_a_pull_request(github: ForgeServer) -> None:
    github.reply("pulls/create", 201, github_pull(7, "acme", "registry", "promote/production/x-1.2.0", "main"))
    client = github_client(github)

    pull = client.open_pull_request("promote/production/x-1.2.0", "main", "Promote x 1.2.0", "Evidence: ✓")

    assert pull == PullRequest(7, "https://github.com/acme/registry/pull/7")
    [sent] = github.requests
    assert (sent.method, sent.raw_path) == ("POST", "/repos/acme/registry/pulls")
    assert sent.body == {"title": "Promote x 1.2.0", "head": "promote/production/x-1.2.0", "base": "main",
                         "body": "Evidence: ✓"}
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["user-agent"] == "charter"
    assert sent.headers["accept"] == "application/vnd.github+json"
    assert sent.headers["x-github-api-version"] == "2022-11-28"
    assert sent.headers["content-type"] == "application/json"
    assert TOKEN not in repr(client)


@pytest.mark.parametrize(("config", "env", "remote", "expected"), [
    ({}, {}, "git@github.com:octo/from-remote.git", "octo/from-remote"),
    ({}, {}, "https://x-access-token:secret@github.com/octo/from-https.git", "octo/from-https"),
    ({}, {"GITHUB_REPOSITORY": "octo/from-env"}, "git@github.com:octo/from-remote.git", "octo/from-env"),
    ({"repository": "octo/from-config"}, {"GITHUB_REPOSITORY": "octo/from-env"}, None, "octo/from-config"),
], ids=["remote-ssh", "remote-https", "environment", "config"])
def test_github_repository_comes_from_config_then_environment_then_remote(
        github: ForgeServer, config: dict[str, str], env: dict[str, str], remote: str | None, expected: str) -> None:
    client = forge_for({"type": "github", **config}, remote,
                       {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url, **env})
    assert client is not None and client.repository == expected
    owner, name = expected.split("/")
    github.reply("pulls/create", 201, github_pull(3, owner, name, "b", "main"))

    client.open_pull_request("b", "main", "t", "")

    assert github.requests[0].raw_path == f"/repos/{expected}/pulls"
    assert github.requests[0].path_params == {"owner": owner, "repo": name}


def test_github_token_may_come_from_gh_token(github: ForgeServer) -> None:
    client = forge_for({"type": "github", "repository": "acme/registry", "apiUrl": github.url}, None,
                       {"GH_TOKEN": WRONG})
    assert client is not None
    with pytest.raises(CharterError) as caught:
        client.open_pull_request("b", "main", "t", "")
    assert "GH_TOKEN" in str(caught.value) and "401" in str(caught.value)
    assert_no_secret(caught.value)


def test_github_finds_the_open_pull_request_of_a_branch(github: ForgeServer) -> None:
    github.reply("pulls/list", 200, [github_pull(12, "acme", "registry", "promote/x", "main", simple=True)])
    github.reply("pulls/list", 200, [])
    client = github_client(github)

    assert client.pull_request_for_branch("promote/x") == PullRequest(12, "https://github.com/acme/registry/pull/12")
    assert client.pull_request_for_branch("promote/y") is None

    first, second = github.calls("pulls/list")
    assert first.query == {"state": "open", "head": "acme:promote/x", "per_page": "1"}
    assert second.query["head"] == "acme:promote/y"


def test_github_approvals_are_each_reviewers_latest_decision_across_pages(github: ForgeServer) -> None:
    history = [("alice", "APPROVED"), ("bob", "APPROVED"), ("carol", "CHANGES_REQUESTED"), ("dave", "APPROVED"),
               (None, "APPROVED"), ("alice", "COMMENTED"), ("bob", "CHANGES_REQUESTED"), ("carol", "APPROVED")]
    history += [("erin", "COMMENTED")] * (100 - len(history))
    history += [("dave", "DISMISSED"), ("frank", "APPROVED"), ("grace", "PENDING")]
    reviews = [github_review(i + 1, login, state) for i, (login, state) in enumerate(history)]
    github.reply("pulls/list-reviews", 200, reviews[:100])
    github.reply("pulls/list-reviews", 200, reviews[100:])

    assert github_client(github).approvals(42) == ["alice", "carol", "frank"]

    pages = github.calls("pulls/list-reviews")
    assert [p.query for p in pages] == [{"per_page": "100", "page": "1"}, {"per_page": "100", "page": "2"}]
    assert pages[0].path_params == {"owner": "acme", "repo": "registry", "pull_number": "42"}


def test_latest_approvals_ignores_what_is_not_a_review() -> None:
    assert latest_approvals([{"user": {"login": "a"}, "state": "APPROVED"}, "noise", {"state": "APPROVED"},
                             {"user": None, "state": "APPROVED"}]) == ["a"]


VALIDATION_FAILED = {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
                     "errors": [{"resource": "PullRequest", "code": "custom",
                                 "message": "A pull request already exists for acme:promote/x."}]}


@pytest.mark.parametrize(("status", "body", "words"), [
    (404, GITHUB.not_found, ["acme/registry was not found on GitHub", "404", "GITHUB_TOKEN"]),
    (422, VALIDATION_FAILED, ["422", "A pull request already exists for acme:promote/x."]),
    (403, {"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com"},
     ["403", "Resource not accessible by integration", "GITHUB_TOKEN"]),
    (502, {"message": "Server Error"}, ["GitHub answered 502", "Server Error"]),
])
def test_github_errors_say_what_happened_without_the_token(
        github: ForgeServer, status: int, body: dict[str, Any], words: list[str]) -> None:
    github.reply("pulls/create", status, body)
    with pytest.raises(CharterError) as caught:
        github_client(github).open_pull_request("promote/x", "main", "t", "b")
    message = str(caught.value)
    assert message.startswith("could not open a pull request on acme/registry: ")
    for word in words:
        assert word in message
    assert caught.value.hint
    assert_no_secret(caught.value)


def test_github_wrong_token_is_a_401_error_naming_the_variable_not_the_value(github: ForgeServer) -> None:
    with pytest.raises(CharterError) as caught:
        github_client(github, token=WRONG).pull_request_for_branch("promote/x")
    assert "GitHub refused the token in GITHUB_TOKEN (401 Unauthorized: Bad credentials)" in str(caught.value)
    assert github.requests[0].headers["authorization"] == f"Bearer {WRONG}"
    assert_no_secret(caught.value)


def test_a_forge_that_echoes_the_token_is_scrubbed(github: ForgeServer) -> None:
    github.reply("pulls/create", 422, {"message": f"Validation Failed for {TOKEN}", "documentation_url": "https://docs.github.com",
                                       "errors": [{"code": "custom", "message": f"bad token {TOKEN}"}]})
    with pytest.raises(CharterError) as caught:
        github_client(github).open_pull_request("b", "main", "t", "")
    assert "***" in str(caught.value)
    assert_no_secret(caught.value)


def test_refused_connection_is_an_error_without_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = forge_for({"type": "github", "repository": "acme/registry", "apiUrl": f"http://127.0.0.1:{port}"}, None,
                       {"GITHUB_TOKEN": TOKEN})
    assert client is not None
    with pytest.raises(CharterError) as caught:
        client.open_pull_request("b", "main", "t", "")
    assert f"cannot reach GitHub at http://127.0.0.1:{port}" in str(caught.value)
    assert_no_secret(caught.value)


def test_a_forge_that_does_not_answer_times_out(github: ForgeServer) -> None:
    github.reply("pulls/list", 200, [], delay=1.0)
    client = forge_for({"type": "github", "repository": "acme/registry", "apiUrl": github.url}, None,
                       {"GITHUB_TOKEN": TOKEN}, timeout=0.2)
    assert client is not None
    with pytest.raises(CharterError) as caught:
        client.pull_request_for_branch("b")
    assert "no complete answer within 0.2 s" in str(caught.value)
    assert_no_secret(caught.value)


def test_the_token_is_not_followed_to_another_host(github: ForgeServer) -> None:
    elsewhere = github.url.replace("127.0.0.1", "localhost") + "/repos/acme/registry/pulls"
    github.reply("pulls/list", 301, None, headers={"Location": elsewhere})
    with pytest.raises(CharterError) as caught:
        github_client(github).pull_request_for_branch("b")
    assert "redirected a GET request to localhost (301)" in str(caught.value)
    assert len(github.requests) == 1
    assert_no_secret(caught.value)


def test_the_token_is_sent_only_over_https_or_to_this_machine() -> None:
    with pytest.raises(CharterError, match="not an https:// URL"):
        forge_for({"type": "gitlab", "repository": "g/r", "apiUrl": "http://gitlab.example.org/api/v4"}, None,
                  {"GITLAB_TOKEN": TOKEN})


# -- GitLab -------------------------------------------------------------------------------------------------------

def test_gitlab_opens_a_merge_request(gitlab: ForgeServer) -> None:
    gitlab.reply("postApiV4ProjectsIdMergeRequests", 201,
                 gitlab_merge_request(5, "health/ml/registry", "promote/production/x-1.2.0", "main"))
    client = gitlab_client(gitlab)

    pull = client.open_pull_request("promote/production/x-1.2.0", "main", "Promote x 1.2.0", "Evidence")

    assert pull == PullRequest(5, "https://gitlab.com/health/ml/registry/-/merge_requests/5")
    [sent] = gitlab.requests
    assert sent.raw_path == "/api/v4/projects/health%2Fml%2Fregistry/merge_requests"
    assert sent.path_params == {"id": "health/ml/registry"}
    assert sent.body == {"source_branch": "promote/production/x-1.2.0", "target_branch": "main",
                         "title": "Promote x 1.2.0", "description": "Evidence"}
    assert sent.headers["private-token"] == TOKEN
    assert "authorization" not in sent.headers and "job-token" not in sent.headers
    assert sent.headers["user-agent"] == "charter"


def test_gitlab_ci_job_token_api_url_and_project_come_from_the_environment(gitlab: ForgeServer) -> None:
    client = forge_for({"type": "gitlab"}, "git@gitlab.com:other/remote.git",
                       {"CI_JOB_TOKEN": TOKEN, "CI_API_V4_URL": f"{gitlab.url}/api/v4",
                        "CI_PROJECT_PATH": "health/registry"})
    assert client is not None and client.repository == "health/registry"
    gitlab.reply("getApiV4ProjectsIdMergeRequests", 200, [])

    assert client.pull_request_for_branch("promote/x") is None

    [sent] = gitlab.requests
    assert sent.headers["job-token"] == TOKEN and "private-token" not in sent.headers
    assert sent.raw_path == "/api/v4/projects/health%2Fregistry/merge_requests"
    assert sent.query == {"state": "opened", "source_branch": "promote/x", "per_page": "1"}


def test_gitlab_project_from_a_nested_remote(gitlab: ForgeServer) -> None:
    client = forge_for({"type": "gitlab", "apiUrl": f"{gitlab.url}/api/v4"},
                       "ssh://git@gitlab.example.org:2222/health/ml/team/registry.git", {"GITLAB_TOKEN": TOKEN})
    assert client is not None and client.repository == "health/ml/team/registry"
    gitlab.reply("getApiV4ProjectsIdMergeRequests", 200,
                 [gitlab_merge_request(9, "health/ml/team/registry", "promote/x", "main")])

    assert client.pull_request_for_branch("promote/x") == \
        PullRequest(9, "https://gitlab.com/health/ml/team/registry/-/merge_requests/9")
    assert gitlab.requests[0].path_params["id"] == "health/ml/team/registry"


def test_gitlab_approvals_are_the_approved_by_usernames(gitlab: ForgeServer) -> None:
    gitlab.reply("getApiV4ProjectsIdMergeRequestsMergeRequestIidApprovals", 200,
                 {"iid": 5, "approved": True, "approvals_required": 2, "approvals_left": 0,
                  "approved_by": [{"user": gitlab_user(3, "zoe")}, {"user": gitlab_user(2, "amir")}]})

    assert gitlab_client(gitlab).approvals(5) == ["amir", "zoe"]
    assert gitlab.requests[0].path_params == {"id": "health/ml/registry", "merge_request_iid": "5"}


@pytest.mark.parametrize(("status", "body", "words"), [
    (404, {"message": "404 Project Not Found"}, ["health/ml/registry was not found on GitLab", "404 Project"]),
    (409, {"message": ["Another open merge request already exists for this source branch: !4"]},
     ["409", "Another open merge request already exists"]),
    (422, {"message": {"target_branch": ["is invalid"]}}, ["422", "target_branch is invalid"]),
])
def test_gitlab_errors_say_what_happened_without_the_token(
        gitlab: ForgeServer, status: int, body: dict[str, Any], words: list[str]) -> None:
    gitlab.reply("postApiV4ProjectsIdMergeRequests", status, body)
    with pytest.raises(CharterError) as caught:
        gitlab_client(gitlab).open_pull_request("promote/x", "main", "t", "b")
    assert str(caught.value).startswith("could not open a merge request on health/ml/registry: ")
    for word in words:
        assert word in str(caught.value)
    assert_no_secret(caught.value)


def test_gitlab_wrong_token_is_a_401_error(gitlab: ForgeServer) -> None:
    with pytest.raises(CharterError) as caught:
        gitlab_client(gitlab, token=WRONG).approvals(5)
    assert "GitLab refused the token in GITLAB_TOKEN (401 Unauthorized: 401 Unauthorized)" in str(caught.value)
    assert_no_secret(caught.value)


# -- choosing a forge -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", [None, {}, {"type": "none"}])
def test_no_forge_configured_is_none(config: dict[str, str] | None) -> None:
    assert forge_for(config, "git@github.com:a/b.git", {"GITHUB_TOKEN": TOKEN}) is None


@pytest.mark.parametrize(("forge_type", "words"), [
    ("github", "neither GITHUB_TOKEN nor GH_TOKEN is set"),
    ("gitlab", "neither GITLAB_TOKEN nor CI_JOB_TOKEN is set"),
])
def test_no_token_makes_the_forge_unavailable_with_a_reason(forge_type: str, words: str) -> None:
    with pytest.raises(ForgeUnavailable) as caught:
        forge_for({"type": forge_type, "repository": "a/b"}, None, {"GITHUB_TOKEN": "", "GITLAB_TOKEN": "  "})
    assert words in caught.value.reason
    assert isinstance(caught.value, CharterError) and caught.value.hint


def test_no_repository_makes_the_forge_unavailable() -> None:
    with pytest.raises(ForgeUnavailable, match="cannot tell which GitHub repository"):
        forge_for({"type": "github"}, None, {"GITHUB_TOKEN": TOKEN})
    with pytest.raises(ForgeUnavailable, match="cannot tell which GitLab project"):
        forge_for({"type": "gitlab"}, "/srv/git/registry", {"GITLAB_TOKEN": TOKEN})


def test_a_token_of_several_lines_is_refused_without_showing_it() -> None:
    with pytest.raises(ForgeUnavailable) as caught:
        forge_for({"type": "github", "repository": "a/b"}, None, {"GITHUB_TOKEN": f"{TOKEN}\nX-Injected: 1"})
    assert "GITHUB_TOKEN holds more than one line" in str(caught.value)
    assert_no_secret(caught.value)


def test_an_unknown_forge_type_is_an_error() -> None:
    with pytest.raises(CharterError, match="unknown forge type 'bitbucket'"):
        forge_for({"type": "bitbucket"}, None, {})


# -- links ------------------------------------------------------------------------------------------------------

def test_compare_links() -> None:
    assert compare_link("github", "https://github.com/", "acme/registry", "main", "promote/prod/x-1.0.0") == \
        "https://github.com/acme/registry/compare/main...promote/prod/x-1.0.0?expand=1"
    assert compare_link("gitlab", "https://gitlab.com", "health/ml/registry", "main", "promote/prod/x") == \
        ("https://gitlab.com/health/ml/registry/-/merge_requests/new?merge_request[source_branch]=promote/prod/x"
         "&merge_request[target_branch]=main")
    with pytest.raises(CharterError):
        compare_link("none", "https://example.org", "a/b", "main", "x")


def test_clients_link_to_the_forges_web_pages() -> None:
    github = forge_for({"type": "github", "repository": "acme/registry"}, None, {"GITHUB_TOKEN": TOKEN})
    assert github is not None and github.compare_url("main", "b") == \
        "https://github.com/acme/registry/compare/main...b?expand=1"
    enterprise = forge_for({"type": "github", "repository": "acme/registry"}, None,
                           {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "https://ghe.example.org/api/v3"})
    assert enterprise is not None and enterprise.compare_url("main", "b").startswith("https://ghe.example.org/acme/")
    gitlab = forge_for({"type": "gitlab", "repository": "g/r", "apiUrl": "https://gitlab.example.org/api/v4"}, None,
                       {"GITLAB_TOKEN": TOKEN})
    assert gitlab is not None and gitlab.compare_url("main", "b") == \
        ("https://gitlab.example.org/g/r/-/merge_requests/new?merge_request[source_branch]=b"
         "&merge_request[target_branch]=main")
    in_ci = forge_for({"type": "gitlab", "repository": "g/r"}, None,
                      {"GITLAB_TOKEN": TOKEN, "CI_SERVER_URL": "https://code.example.org"})
    assert in_ci is not None and in_ci.compare_url("main", "b").startswith("https://code.example.org/g/r/-/")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://github.com/acme/registry.git", Remote("github.com", "acme/registry")),
    ("https://user:token@github.com/acme/registry/", Remote("github.com", "acme/registry")),
    ("http://gitlab.local:8080/g/sub/r.git", Remote("gitlab.local:8080", "g/sub/r")),
    ("git@github.com:acme/registry.git", Remote("github.com", "acme/registry")),
    ("gitlab.com:g/r", Remote("gitlab.com", "g/r")),
    ("ssh://git@gitlab.example.org:2222/g/sub/r.git", Remote("gitlab.example.org", "g/sub/r")),
    ("/srv/git/registry.git", None),
    ("https://github.com/only-owner", None),
])
def test_parse_remote(url: str, expected: Remote | None) -> None:
    assert parse_remote(url) == expected


# -- the stand-in forge holds requests to the description ---------------------------------------------------------

def _raw(server: ForgeServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers={"User-Agent": "test", "Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_server_flags_requests_outside_the_description() -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with ForgeServer(GITHUB, TOKEN) as server:
        assert _raw(server, "DELETE", "/repos/acme/registry/pulls", headers=auth) == 404
        assert _raw(server, "POST", "/repos/acme/registry/pulls", {"head": "b", "title": "no base"}, auth) == 400
        assert _raw(server, "POST", "/repos/acme/registry/pulls", {"head": "b", "base": 5}, auth) == 400
        assert _raw(server, "GET", "/repos/acme/registry/pulls?state=opened", headers=auth) == 400
        server.reply("pulls/list", 200, [])
        assert _raw(server, "GET", "/repos/acme/registry/pulls?colour=blue", headers=auth) == 200
        assert _raw(server, "GET", "/repos/acme/registry/pulls") == 401
        server.reply("pulls/list", 200, [{"number": "not a pull request"}])
        assert _raw(server, "GET", "/repos/acme/registry/pulls", headers=auth) == 200
    found = "\n".join(server.violations)
    assert "DELETE /repos/acme/registry/pulls: no operation" in found
    assert "'base' is a required property" in found
    assert "5 is not of type 'string'" in found
    assert "'opened' is not one of" in found
    assert "query parameters not in the description: colour" in found
    assert "no authentication header" in found
    assert "canned 200 reply does not match the description" in found
    assert len(server.violations) == 7


def test_the_gitlab_server_wants_the_project_path_encoded() -> None:
    with ForgeServer(GITLAB, TOKEN) as server:
        server.reply("postApiV4ProjectsIdMergeRequests", 201, gitlab_merge_request(1, "g/r", "b", "main"))
        status = _raw(server, "POST", "/api/v4/projects/g/r/merge_requests",
                      {"source_branch": "b", "target_branch": "main", "title": "t"}, {"PRIVATE-TOKEN": TOKEN})
        assert status == 404
        assert _raw(server, "POST", "/api/v4/projects/g%2Fr/merge_requests", {"source_branch": "b"},
                    {"PRIVATE-TOKEN": TOKEN}) == 400
    assert len(server.violations) == 2
    assert "no operation of gitlab.yaml matches" in server.violations[0]
    assert "'target_branch' is a required property" in server.violations[1]


# -- a forge that misbehaves: drips, floods, rate-limits, echoes the token --------------------------------------------

REVIEWS = [github_review(i, f"reviewer-{i}", "APPROVED") for i in range(1, 21)]


@pytest.mark.parametrize("body_only", [False, True], ids=["from-the-status-line", "body-only"])
def test_a_forge_that_drips_its_answer_is_cut_off_at_the_total_deadline(github: ForgeServer, body_only: bool) -> None:
    # Every read gets a byte well within the timeout: only a deadline over the whole request ends this.
    github.reply("pulls/list-reviews", 200, REVIEWS[:2], drip=0.01, drip_body_only=body_only)
    client = forge_for({"type": "github", "repository": "acme/registry", "apiUrl": github.url}, None,
                       {"GITHUB_TOKEN": TOKEN}, timeout=0.5)
    assert client is not None
    started = time.monotonic()
    with pytest.raises(ForgeTimedOut) as caught:
        client.approvals(7)
    assert time.monotonic() - started < 10  # the whole answer takes half a minute
    assert "no complete answer within 0.5 s" in str(caught.value)
    assert github.sent_bytes < len(json.dumps(REVIEWS[:2]))
    assert_no_secret(caught.value)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
def test_a_huge_answer_is_refused_without_being_read_whole(github: ForgeServer, declare_length: bool) -> None:
    size = 64 * 1024 * 1024
    github.reply("pulls/list-reviews", 200, REVIEWS[:1], pad=size, declare_length=declare_length)
    with pytest.raises(ForgeAnswerTooLarge) as caught:
        github_client(github).approvals(7)
    assert f"more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB" in str(caught.value)
    assert "GitHub" in str(caught.value) and caught.value.hint
    assert github.sent_bytes < size  # the client hung up instead of reading on
    assert_no_secret(caught.value)


def test_an_answer_just_under_the_cap_is_read(github: ForgeServer) -> None:
    github.reply("pulls/list-reviews", 200, REVIEWS[:1], pad=MAX_RESPONSE_BYTES, declare_length=False)
    assert github_client(github).approvals(7) == ["reviewer-1"]


RESET = 1_893_456_000  # 2030-01-01 00:00:00 UTC


@pytest.mark.parametrize("status", [403, 429])
def test_github_rate_limit_says_so_and_when_it_resets(github: ForgeServer, status: int) -> None:
    github.reply("pulls/list-reviews", status,
                 {"message": "API rate limit exceeded for installation ID 1.",
                  "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                 headers={"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                          "x-ratelimit-reset": str(RESET)})
    with pytest.raises(ForgeRateLimited) as caught:
        github_client(github).approvals(7)
    message = str(caught.value)
    assert "rate limit" in message and "until 2030-01-01 00:00 UTC" in message, message
    assert "not allowed" not in message and "API rate limit exceeded" in message
    assert "GITHUB_TOKEN" in message and "2030-01-01 00:00 UTC" in caught.value.hint
    assert_no_secret(caught.value)


def test_github_secondary_rate_limit_uses_retry_after(github: ForgeServer) -> None:
    github.reply("pulls/create", 403, {"message": "You have exceeded a secondary rate limit.",
                                       "documentation_url": "https://docs.github.com/rest"},
                 headers={"retry-after": "120"})
    before = datetime.now(UTC)
    with pytest.raises(ForgeRateLimited) as caught:
        github_client(github).open_pull_request("b", "main", "t", "")
    after = datetime.now(UTC)
    expected = {f"until {(moment + timedelta(seconds=120)).strftime('%Y-%m-%d %H:%M')} UTC"
                for moment in (before, after)}
    assert any(text in str(caught.value) for text in expected), str(caught.value)


def test_a_403_without_rate_limit_headers_stays_a_permission_problem(github: ForgeServer) -> None:
    github.reply("pulls/list-reviews", 403, {"message": "Resource not accessible by integration"},
                 headers={"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(RESET)})
    with pytest.raises(CharterError) as caught:
        github_client(github).approvals(7)
    assert not isinstance(caught.value, ForgeRateLimited)
    assert "not allowed" in str(caught.value)


@pytest.mark.parametrize(("headers", "until"), [
    ({"RateLimit-Reset": str(RESET), "Retry-After": "60"}, "until 2030-01-01 00:00 UTC"),
    ({"Retry-After": "Tue, 01 Jan 2030 00:05:00 GMT"}, "until 2030-01-01 00:05 UTC"),
    ({}, "for now"),
], ids=["ratelimit-reset", "retry-after-date", "no-headers"])
def test_gitlab_429_is_a_rate_limit(gitlab: ForgeServer, headers: dict[str, str], until: str) -> None:
    gitlab.reply("getApiV4ProjectsIdMergeRequestsMergeRequestIidApprovals", 429,
                 {"message": "429 Too Many Requests"}, headers=headers)
    with pytest.raises(ForgeRateLimited) as caught:
        gitlab_client(gitlab).approvals(5)
    assert "GitLab" in str(caught.value) and until in str(caught.value), str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize("padding", [250, 280, 290, 296, 299, 400, 5000])
def test_a_long_message_is_scrubbed_before_it_is_cut(github: ForgeServer, padding: int) -> None:
    # The cut must not leave the start of the token where the whole token would have been scrubbed.
    github.reply("pulls/create", 422, {"message": "x" * padding + f" token {TOKEN} was rejected",
                                       "documentation_url": "https://docs.github.com"})
    with pytest.raises(CharterError) as caught:
        github_client(github).open_pull_request("b", "main", "t", "")
    text = f"{caught.value}\n{caught.value.hint}"
    assert TOKEN[:6] not in text
    assert_no_secret(caught.value)


@pytest.mark.parametrize("form", ["url-encoded", "plus-encoded"])
def test_the_token_is_scrubbed_in_its_encoded_forms(github: ForgeServer, form: str) -> None:
    token = "ghp_a/b+c=d e&f?g0123456789abcdefXYZ"
    encoded = urllib.parse.quote(token, safe="") if form == "url-encoded" else urllib.parse.quote_plus(token)
    server = ForgeServer(GITHUB, token).start()
    try:
        server.reply("pulls/create", 422, {"message": f"bad request: /login?token={encoded}"})
        client = github_client(server, token=token)
        with pytest.raises(CharterError) as caught:
            client.open_pull_request("b", "main", "t", "")
    finally:
        server.stop()
    assert encoded not in str(caught.value) and token not in str(caught.value)
    assert "***" in str(caught.value)


# -- the pull request a CI job runs for --------------------------------------------------------------------------

REVIEW_EVENT = {"action": "submitted", "review": {"id": 1, "state": "approved", "user": {"login": "amir"}},
                "pull_request": {"number": 12, "base": {"ref": "main"}}}


@pytest.mark.parametrize(("content", "expected"), [
    (json.dumps({"pull_request": {"number": 12}}).encode(), 12),
    (json.dumps(REVIEW_EVENT).encode(), 12),  # pull_request_review: the gate re-runs when a review arrives
    (json.dumps({"ref": "refs/heads/main", "commits": []}).encode(), None),  # a push: no pull request
    (json.dumps({"pull_request": None}).encode(), None),
], ids=["pull_request", "pull_request_review", "push", "null"])
def test_the_pull_request_of_a_github_event(tmp_path: Path, content: bytes, expected: int | None) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(content)
    assert pull_request_of_ci_event({"GITHUB_EVENT_PATH": str(event)}) == expected


@pytest.mark.parametrize("content", [
    b"", b"not json", b"\xff\xfe\x00garbage", b"[]", b"42", b'"pull_request"', b"null",
    b'{"pull_request": 5}', b'{"pull_request": [12]}', b'{"pull_request": "12"}',
    b'{"pull_request": {"number": "12"}}', b'{"pull_request": {"number": true}}',
    b'{"pull_request": {"number": 12.5}}', b'{"pull_request": {"number": -3}}', b'{"pull_request": {"number": 0}}',
    b'{"pull_request": {"number": 1' + b"0" * 5000 + b"}}", b'{"pull_request": {}}',
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"pull_request": {"number": 1}, "padding": "' + b"x" * (20 * 1024 * 1024) + b'"}',
], ids=["empty", "not-json", "not-utf8", "list", "number", "string", "null", "pr-number", "pr-list", "pr-string",
        "number-string", "number-bool", "number-float", "number-negative", "number-zero", "number-huge",
        "no-number", "nested-lists", "nested-objects", "huge-file"])
def test_a_malformed_github_event_is_an_error_naming_the_file(tmp_path: Path, content: bytes) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(content)
    with pytest.raises(CiEventUnreadable) as caught:
        pull_request_of_ci_event({"GITHUB_EVENT_PATH": str(event)})
    assert str(event) in str(caught.value) and "GITHUB_EVENT_PATH" in str(caught.value)
    assert len(str(caught.value)) < 500


def test_an_event_path_that_is_not_a_file_is_an_error(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "missing.json"):
        with pytest.raises(CiEventUnreadable, match="GITHUB_EVENT_PATH"):
            pull_request_of_ci_event({"GITHUB_EVENT_PATH": str(path)})


@pytest.mark.parametrize(("iid", "expected"), [("12", 12), ("0", None), ("12abc", None), ("1" * 5000, None),
                                               ("١٢", None), ("", None)])
def test_the_merge_request_of_a_gitlab_job(iid: str, expected: int | None) -> None:
    assert pull_request_of_ci_event({"CI_MERGE_REQUEST_IID": iid}) == expected
