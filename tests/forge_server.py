"""A stand-in forge for the tests: a local HTTP server that holds every request to the forge's published OpenAPI.

Each request must name an operation of the description (method and path template), carry only declared query
parameters, pass openapi-core's validation of its parameters, body and security, and authenticate with the forge's
header. Anything else is a violation: recorded, answered with an error, and failed by the fixture at teardown.
Replies are canned per operation by the test, and each is itself validated against the operation's response schema
(or, for an error status the operation describes without a body or not at all, the forge's generic error schema).

A reply may also misbehave the way a broken or hostile server does, after the request passed validation: `drip`
sends the answer one byte at a time (from the status line, or only the body), `pad` makes a well-formed body huge
(streamed, with or without a Content-Length). Rate limits need no special mode: they are a status and headers.

The descriptions are in tests/forge_openapi/ (see the README there). The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

DESCRIPTIONS = Path(__file__).resolve().parent / "forge_openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@functools.cache
def load_description(name: str) -> dict[str, Any]:
    path = DESCRIPTIONS / name
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@functools.cache
def _openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(load_description(name)))  # checks the description itself, once


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    pattern: re.Pattern[str]
    query: frozenset[str]
    spec: dict[str, Any]


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0  # seconds between single bytes (0: all at once)
    drip_body_only: bool = False  # drip after the headers, not from the status line
    pad: int = 0  # a JSON array body padded with spaces to this many bytes, streamed
    declare_length: bool = True  # send Content-Length with a padded body (False: the body ends when the server closes)


@dataclass
class Recorded:
    """One request as the server saw it: the raw path, decoded path parameters, query, headers, JSON body."""

    method: str
    raw_path: str
    operation_id: str | None
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass(frozen=True)
class Forge:
    """What differs between forges: the description, how a request authenticates, what an error looks like."""

    description: str
    auth_headers: dict[str, str]  # header name -> prefix before the token ("Bearer ", or "" for GitLab's)
    error_schema: str  # JSON pointer of the generic error body in the description
    unauthorized: dict[str, Any]
    not_found: dict[str, Any]


GITHUB = Forge("github.json", {"authorization": "Bearer "}, "/components/schemas/basic-error",
               {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"},
               {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
GITLAB = Forge("gitlab.yaml", {"private-token": "", "job-token": "", "authorization": "Bearer "},
               "/components/schemas/Error", {"message": "401 Unauthorized"}, {"message": "404 Not Found"})


class _OpenAPIRequest:
    """openapi-core's Request protocol over what the handler read. The path stays percent-encoded, as sent."""

    def __init__(self, host_url: str, path: str, method: str, query: list[tuple[str, str]], headers: Headers,
                 body: bytes | None) -> None:
        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(query), header=headers,
                                            cookie=ImmutableMultiDict())
        self.body = body
        self.content_type = (headers.get("Content-Type") or "application/octet-stream").lower()


class _OpenAPIResponse:
    def __init__(self, reply: Reply, data: bytes) -> None:
        self.status_code = reply.status
        self.data = data
        self.headers = Headers({"Content-Type": "application/json", **reply.headers})
        self.content_type = "application/json"


def _operations(spec: dict[str, Any]) -> list[Operation]:
    found: list[Operation] = []
    for template, item in spec["paths"].items():
        shared = item.get("parameters", [])
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$")
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            params = [_resolve(spec, p) for p in (*shared, *operation.get("parameters", []))]
            query = frozenset(p["name"] for p in params if p.get("in") == "query")
            found.append(Operation(method.upper(), template, operation["operationId"], pattern, query, operation))
    return found


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


class ForgeServer:
    """The stand-in: `reply()` cans answers per operationId; `requests` and `violations` are for assertions."""

    def __init__(self, forge: Forge, token: str) -> None:
        self.forge = forge
        self.token = token
        self.spec = load_description(forge.description)
        self.openapi = _openapi(forge.description)
        self.operations = _operations(self.spec)
        self.host_url = self.spec["servers"][0]["url"]  # the server stands in for the forge's own host
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self._replies: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        registry: Registry[Any] = Registry().with_resource("urn:forge", Resource(self.spec, DRAFT4))
        self._error_validator = OAS30Validator({"$ref": f"urn:forge#{forge.error_schema}"}, registry=registry)
        self.sent_bytes = 0  # body bytes written for the last padded or dripped reply (before the client hung up)

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> ForgeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the tests read stderr for leaks

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ForgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- test side --------------------------------------------------------------------------------------------
    def reply(self, operation_id: str, status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None,
              delay: float = 0.0, drip: float = 0.0, drip_body_only: bool = False, pad: int = 0,
              declare_length: bool = True) -> None:
        """Answer the next request to `operation_id` with this (replies are used once each, in order)."""
        assert any(op.operation_id == operation_id for op in self.operations), f"no operation {operation_id}"
        self._replies[operation_id].append(Reply(status, body, headers or {}, delay, drip, drip_body_only, pad,
                                                 declare_length))

    def calls(self, operation_id: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation_id == operation_id]

    # -- server side ------------------------------------------------------------------------------------------
    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        target = urlsplit(handler.path)
        raw_path = target.path
        query = parse_qsl(target.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                self._violation(f"{method} {raw_path}: body is not JSON")
        operation, params = self._match(method, raw_path)
        with self._lock:
            self.requests.append(Recorded(method, raw_path, operation.operation_id if operation else None,
                                          {k: unquote(v) for k, v in params.items()}, dict(query), headers, body))
        where = f"{method} {raw_path}"
        if operation is None:
            self._violation(f"{where}: no operation of {self.forge.description} matches")
            self._send(handler, Reply(404, self.forge.not_found))
            return
        where = f"{operation.operation_id} ({where})"
        unknown = sorted({name for name, _ in query} - operation.query)
        if unknown:
            self._violation(f"{where}: query parameters not in the description: {', '.join(unknown)}")
        if headers.get("user-agent") is None:
            self._violation(f"{where}: no User-Agent header")
        presented = self._presented_token(headers)
        if presented is None:
            self._violation(f"{where}: no authentication header ({', '.join(self.forge.auth_headers)})")
        request = _OpenAPIRequest(self.host_url, raw_path, method, query, Headers(list(handler.headers.items())),
                                  raw_body or None)
        errors = self._request_errors(request)
        if errors:
            self._violation(f"{where}: {errors}")
            self._send(handler, Reply(400, {"message": f"400 Bad request - {errors}"}))
            return
        if presented != self.token:
            self._send(handler, Reply(401, self.forge.unauthorized))
            return
        with self._lock:
            queue = self._replies.get(operation.operation_id)
            reply = queue.popleft() if queue else None
        if reply is None:
            self._violation(f"{where}: no canned reply left")
            self._send(handler, Reply(500, {"message": "no canned reply"}))
            return
        data = json.dumps(reply.body).encode("utf-8") if reply.body is not None else b""
        self._check_reply(where, operation, request, reply, data)
        if reply.delay:
            time.sleep(reply.delay)
        self._send(handler, reply, data)

    def _match(self, method: str, raw_path: str) -> tuple[Operation | None, dict[str, str]]:
        for operation in self.operations:
            if operation.method != method:
                continue
            match = operation.pattern.match(raw_path)
            if match:
                names = re.findall(r"\{([^}]+)\}", operation.template)
                return operation, dict(zip(names, match.groups(), strict=True))
        return None, {}

    def _presented_token(self, headers: dict[str, str]) -> str | None:
        for name, prefix in self.forge.auth_headers.items():
            value = headers.get(name)
            if value is not None and value.startswith(prefix):
                return value[len(prefix):]
        return None

    def _request_errors(self, request: _OpenAPIRequest) -> str:
        try:
            self.openapi.validate_request(request)
        except Exception as exc:  # openapi-core raises a family of errors; each is a violation
            return _describe(exc)
        return ""

    def _check_reply(self, where: str, operation: Operation, request: _OpenAPIRequest, reply: Reply,
                     data: bytes) -> None:
        if 300 <= reply.status < 400:
            return  # a redirect: nothing in the body to hold to a schema
        described = operation.spec.get("responses", {}).get(str(reply.status))
        if described is not None and "content" in _resolve(self.spec, described):
            try:
                self.openapi.validate_response(request, _OpenAPIResponse(reply, data))
            except Exception as exc:
                self._violation(f"{where}: canned {reply.status} reply does not match the description: "
                                f"{_describe(exc)}")
            return
        if reply.status < 400:
            self._violation(f"{where}: canned status {reply.status} has no body described for this operation")
            return
        problems = [e.message for e in self._error_validator.iter_errors(reply.body)]
        if problems:
            self._violation(f"{where}: canned {reply.status} error body is not the forge's error shape: {problems}")

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply, data: bytes | None = None) -> None:
        if data is None:
            data = json.dumps(reply.body).encode("utf-8") if reply.body is not None else b""
        try:
            if reply.pad:
                self._send_padded(handler, reply, data)
            elif reply.drip:
                self._send_dripping(handler, reply, data)
            else:
                handler.send_response(reply.status)
                self._send_headers(handler, reply, len(data))
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client gave up (the timeout and size tests)

    @staticmethod
    def _send_headers(handler: BaseHTTPRequestHandler, reply: Reply, length: int | None) -> None:
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        if length is not None:
            handler.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()

    def _send_padded(self, handler: BaseHTTPRequestHandler, reply: Reply, data: bytes) -> None:
        """`data` (a JSON array) with spaces after its `[` up to `reply.pad` bytes: still valid JSON, only huge."""
        assert data.startswith(b"["), "a padded reply must be a JSON array"
        handler.send_response(reply.status)
        self._send_headers(handler, reply, reply.pad if reply.declare_length else None)
        handler.close_connection = True
        chunk = b" " * 65536
        left = reply.pad - len(data)
        handler.wfile.write(b"[")
        while left > 0:
            handler.wfile.write(chunk[:left])
            self.sent_bytes += min(left, len(chunk))
            left -= len(chunk)
        handler.wfile.write(data[1:])

    def _send_dripping(self, handler: BaseHTTPRequestHandler, reply: Reply, data: bytes) -> None:
        """One byte every `reply.drip` seconds: each read gets something, so only a total deadline ends it."""
        handler.send_response_only(reply.status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        head = b"".join(handler._headers_buffer) + b"\r\n"  # type: ignore[attr-defined]
        handler._headers_buffer = []  # type: ignore[attr-defined]
        if reply.drip_body_only:
            handler.wfile.write(head)
            handler.wfile.flush()
            head = b""
        for byte in head + data:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            self.sent_bytes += 1
            time.sleep(reply.drip)


def _describe(exc: BaseException) -> str:
    """openapi-core nests the useful part (schema errors) in causes and attributes; bring it to one short line."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen)
        parts.append(f"{type(seen).__name__}: {text if len(text) <= 160 else text[:157] + '...'}")
        for error in getattr(seen, "schema_errors", None) or []:
            where = "/".join(str(p) for p in getattr(error, "absolute_path", []))
            parts.append(f"{where or '(top)'}: {getattr(error, 'message', error)}")
        for error in getattr(seen, "errors", None) or []:
            if isinstance(error, BaseException):
                parts.append(_describe(error))
        seen = seen.__cause__
    return " | ".join(dict.fromkeys(parts))


@functools.cache
def _example(name: str) -> dict[str, Any]:
    value = load_description("github.json")["components"]["examples"][name]["value"]
    return value[0] if isinstance(value, list) else value


def github_pull(number: int, owner: str, name: str, head: str, base: str, *, simple: bool = False) -> dict[str, Any]:
    """A pull request as GitHub returns it: GitHub's own published example, with this one's number and branches."""
    pull = copy.deepcopy(_example("pull-request-simple-items" if simple else "pull-request"))
    web = f"https://github.com/{owner}/{name}"
    pull.update(number=number, html_url=f"{web}/pull/{number}", state="open",
                url=f"https://api.github.com/repos/{owner}/{name}/pulls/{number}")
    pull["head"]["ref"], pull["base"]["ref"] = head, base
    for team in pull.get("requested_teams", []):
        team.setdefault("type", "organization")  # the published example predates the schema's required `type`
    return pull


def github_review(review_id: int, login: str | None, state: str) -> dict[str, Any]:
    """A review as GitHub lists it (GitHub's published example), by `login` (None: a deleted account)."""
    review = copy.deepcopy(_example("pull-request-review-items"))
    review.update(id=review_id, state=state)
    if login is None:
        review["user"] = None
    else:
        review["user"]["login"] = login
    return review


def gitlab_merge_request(iid: int, project: str, head: str, base: str, *, state: str = "opened") -> dict[str, Any]:
    return {"id": 1000 + iid, "iid": iid, "project_id": 7, "title": "Promote", "description": "body",
            "state": state, "created_at": "2026-01-31T10:00:00Z", "updated_at": "2026-01-31T10:00:00Z",
            "source_branch": head, "target_branch": base, "source_project_id": 7, "target_project_id": 7,
            "author": gitlab_user(1, "promoter"), "draft": False,
            "web_url": f"https://gitlab.com/{project}/-/merge_requests/{iid}"}


def gitlab_user(user_id: int, username: str) -> dict[str, Any]:
    return {"id": user_id, "username": username, "name": username.title(), "state": "active",
            "avatar_url": None, "web_url": f"https://gitlab.com/{username}"}


def serve(forge: Forge, token: str) -> Iterator[ForgeServer]:
    """For a pytest fixture: a started server, stopped afterwards, whose violations fail the test."""
    server = ForgeServer(forge, token).start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.violations, "requests or replies that break the forge's OpenAPI description:\n" + \
        "\n".join(server.violations)
