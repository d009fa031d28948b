"""GitHub's REST API for one repository, played by a local server, for the inbox and crisis tests.

Each handler checks the request the way GitHub's REST reference documents it (path, method, the
`Authorization: Bearer`, `Accept: application/vnd.github+json` and `X-GitHub-Api-Version` headers, the
required body fields and their types) and answers with the documented status and the fields postwright
reads. A broken rule answers 400 and is kept in `problems`, which the tests assert empty. References:
https://docs.github.com/en/rest/repos/repos#get-a-repository, .../issues/issues (list, create, update),
.../issues/labels#create-a-label, .../git/refs (get, create, update), .../repos/contents (get, create or
update) and .../pulls/pulls (list, create).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes.api import FakeApi, json_response

TOKEN = "ghs_fake-installation-token-0123456789"
OWNER, NAME = "windward", "social"
_API_VERSIONS = {
    "2022-11-28",
    "2026-03-10",
}  # https://docs.github.com/en/rest/about-the-rest-api/api-versions
# an issue body longer than this is refused with 422 (https://github.com/PyGithub/PyGithub/issues/1906 shows
# the answer; https://github.com/googleapis/release-please/issues/1034)
BODY_MAX = 65_536
_ISSUE_FIELDS = {
    "title",
    "body",
    "assignee",
    "state",
    "state_reason",
    "milestone",
    "labels",
    "assignees",
    "type",
}


@dataclass
class FakeIssue:
    number: int
    title: str
    body: str
    labels: list[str]
    pull_request: bool = False

    def json(self, base: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": "open",
            "labels": [{"name": name} for name in self.labels],
            "html_url": f"{base}/{'pull' if self.pull_request else 'issues'}/{self.number}",
        }
        if self.pull_request:
            item["pull_request"] = {"html_url": item["html_url"]}
        return item


@dataclass
class FakeRepo:
    private: bool = False
    default_branch: str = "main"
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit sha
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (branch, path) -> bytes
    pulls: list[dict[str, Any]] = field(default_factory=list)
    pulls_forbidden: bool = False  # the repository does not let Actions open pull requests
    outage: set[int] = field(default_factory=set)  # issues whose update GitHub answers 502 (an outage)


class FakeGitHub(FakeApi):
    """One repository, `windward/social`, with its issues, labels, branches, files and pull requests."""

    def __init__(self, server: HTTPServer, repo: FakeRepo | None = None) -> None:
        super().__init__(server)
        self.repo = repo or FakeRepo()
        self.html = f"https://github.com/{OWNER}/{NAME}"
        base = f"/repos/{OWNER}/{NAME}"
        self.route("GET", base, self._get_repo)
        self.route("GET", f"{base}/issues", self._list_issues)
        self.route("POST", f"{base}/issues", self._create_issue)
        self.route("PATCH", f"{base}/issues/(?P<number>[0-9]+)", self._update_issue)
        self.route("POST", f"{base}/labels", self._create_label)
        self.route("GET", f"{base}/git/ref/heads/(?P<branch>.+)", self._get_ref)
        self.route("POST", f"{base}/git/refs", self._create_ref)
        self.route("PATCH", f"{base}/git/refs/heads/(?P<branch>.+)", self._update_ref)
        self.route("GET", f"{base}/contents/(?P<path>.+)", self._get_file)
        self.route("PUT", f"{base}/contents/(?P<path>.+)", self._put_file)
        self.route("GET", f"{base}/pulls", self._list_pulls)
        self.route("POST", f"{base}/pulls", self._create_pull)
        self.route("PATCH", f"{base}/pulls/(?P<number>[0-9]+)", self._update_pull)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a workflow job has, pointed at this server."""
        return {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": f"{OWNER}/{NAME}",
            "GITHUB_API_URL": self.url,
            **extra,
        }

    def count(self, method: str, prefix: str = "") -> int:
        return sum(
            1
            for seen, path in self.seen
            if seen == method and path.startswith(f"/repos/{OWNER}/{NAME}{prefix}")
        )

    def with_label(self, label: str) -> list[FakeIssue]:
        return [
            issue for issue in self.repo.issues.values() if label in issue.labels and not issue.pull_request
        ]

    # -- checks shared by every endpoint ----------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        """A well-formed but wrong token is GitHub's 401 "Bad credentials", not a broken request."""
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and given != f"Bearer {TOKEN}":
            self.seen.append((request.method, request.path))
            return json_response({"message": "Bad credentials", "status": "401"}, 401)
        return super()._dispatch(request)

    def _checked(self, request: Request) -> Any:
        """The documented headers; the JSON body (None for a GET)."""
        assert request.headers.get("Authorization") == f"Bearer {TOKEN}", "Authorization: Bearer <token>"
        assert request.headers.get("Accept") == "application/vnd.github+json", "Accept header"
        assert request.headers.get("X-GitHub-Api-Version") in _API_VERSIONS, "X-GitHub-Api-Version header"
        if request.method == "GET":
            assert not request.get_data(), "a GET has no body"
            return None
        assert request.mimetype == "application/json", "a JSON body"
        return json.loads(request.get_data())

    # -- repository, issues, labels --------------------------------------------------------------------

    def _get_repo(self, request: Request) -> Response:
        self._checked(request)
        return json_response(
            {
                "full_name": f"{OWNER}/{NAME}",
                "private": self.repo.private,
                "default_branch": self.repo.default_branch,
                "html_url": self.html,
            }
        )

    def _list_issues(self, request: Request) -> Response:
        self._checked(request)
        args = request.args
        assert set(args) <= {"milestone", "state", "assignee", "type", "creator", "mentioned", "labels"} | {
            "sort",
            "direction",
            "since",
            "per_page",
            "page",
        }, f"unknown parameters {sorted(args)}"
        assert args.get("state", "open") in ("open", "closed", "all"), "state"
        assert 1 <= int(args.get("per_page", "30")) <= 100, "per_page at most 100"
        wanted = [label for label in args.get("labels", "").split(",") if label]
        found = [
            issue.json(self.html)
            for issue in sorted(self.repo.issues.values(), key=lambda item: -item.number)
            if all(label in issue.labels for label in wanted)
        ]
        return json_response(found)

    def _create_issue(self, request: Request) -> Response:
        body = self._checked(request)
        assert isinstance(body.get("title"), str) and body["title"], "title is required"
        assert set(body) <= _ISSUE_FIELDS, f"unknown fields {sorted(set(body) - _ISSUE_FIELDS)}"
        assert isinstance(body.get("body", ""), str), "body is a string"
        if len(body.get("body", "")) > BODY_MAX:
            return _too_long()
        labels = body.get("labels", [])
        assert all(isinstance(label, str) for label in labels), "labels are names"
        assert all(label in self.repo.labels for label in labels), (
            "a label is created first (or GitHub makes a grey one)"
        )
        number = max(self.repo.issues, default=0) + 1
        issue = FakeIssue(number, body["title"], body.get("body", ""), list(labels))
        self.repo.issues[number] = issue
        return json_response(issue.json(self.html), 201)

    def _update_issue(self, request: Request, number: str) -> Response:
        body = self._checked(request)
        assert set(body) <= _ISSUE_FIELDS, f"unknown fields {sorted(set(body) - _ISSUE_FIELDS)}"
        issue = self.repo.issues.get(int(number))
        if issue is None:
            return json_response({"message": "Not Found"}, 404)
        if issue.number in self.repo.outage:
            return json_response({"message": "Server Error"}, 502)
        if len(body.get("body", "")) > BODY_MAX:
            return _too_long()
        issue.body = body.get("body", issue.body)
        issue.title = body.get("title", issue.title)
        return json_response(issue.json(self.html))

    def _create_label(self, request: Request) -> Response:
        body = self._checked(request)
        assert isinstance(body.get("name"), str) and body["name"], "name is required"
        color = body.get("color", "ededed")
        assert len(color) == 6 and all(c in "0123456789abcdefABCDEF" for c in color), "color: hex without #"
        if body["name"] in self.repo.labels:
            error = {"resource": "Label", "code": "already_exists", "field": "name"}
            return json_response({"message": "Validation Failed", "errors": [error]}, 422)
        self.repo.labels.add(body["name"])
        return json_response({"name": body["name"], "color": color}, 201)

    # -- refs, contents, pull requests -----------------------------------------------------------------

    def _get_ref(self, request: Request, branch: str) -> Response:
        self._checked(request)
        if branch not in self.repo.refs:
            return json_response({"message": "Not Found"}, 404)
        return json_response(
            {"ref": f"refs/heads/{branch}", "object": {"sha": self.repo.refs[branch], "type": "commit"}}
        )

    def _create_ref(self, request: Request) -> Response:
        body = self._checked(request)
        ref, sha = body.get("ref"), body.get("sha")
        assert isinstance(ref, str) and ref.startswith("refs/") and ref.count("/") >= 2, (
            "ref: refs/heads/<name>"
        )
        assert isinstance(sha, str) and len(sha) == 40, "sha: 40 hex digits"
        branch = ref.removeprefix("refs/heads/")
        if branch in self.repo.refs:
            return json_response({"message": "Reference already exists"}, 422)
        assert sha in self.repo.refs.values(), "sha of a commit the repository has"
        source = next(name for name, value in self.repo.refs.items() if value == sha)
        self._copy_files(source, branch)
        self.repo.refs[branch] = sha
        return json_response({"ref": ref, "object": {"sha": sha, "type": "commit"}}, 201)

    def _update_ref(self, request: Request, branch: str) -> Response:
        body = self._checked(request)
        assert isinstance(body.get("sha"), str) and len(body["sha"]) == 40, "sha is required"
        assert isinstance(body.get("force", False), bool), "force is a boolean"
        if branch not in self.repo.refs:
            return json_response({"message": "Reference does not exist"}, 422)
        source = next(name for name, value in self.repo.refs.items() if value == body["sha"])
        self._copy_files(source, branch)
        self.repo.refs[branch] = body["sha"]
        return json_response(
            {"ref": f"refs/heads/{branch}", "object": {"sha": body["sha"], "type": "commit"}}
        )

    def _copy_files(self, source: str, branch: str) -> None:
        for (where, path), content in list(self.repo.files.items()):
            if where == source:
                self.repo.files[(branch, path)] = content

    def _get_file(self, request: Request, path: str) -> Response:
        self._checked(request)
        branch = request.args.get("ref", self.repo.default_branch)
        content = self.repo.files.get((branch, path))
        if content is None:
            return json_response({"message": "Not Found"}, 404)
        encoded = base64.encodebytes(content).decode()  # GitHub wraps the base64 at 60 characters
        return json_response(
            {"type": "file", "encoding": "base64", "path": path, "content": encoded, "sha": _blob(content)}
        )

    def _put_file(self, request: Request, path: str) -> Response:
        body = self._checked(request)
        assert isinstance(body.get("message"), str) and body["message"], "message is required"
        assert isinstance(body.get("content"), str), "content is required"
        try:
            content = base64.b64decode(body["content"], validate=True)
        except binascii.Error:
            raise AssertionError("content: Base64") from None
        branch = body.get("branch", self.repo.default_branch)
        assert branch in self.repo.refs, "branch exists"
        current = self.repo.files.get((branch, path))
        if current is not None and body.get("sha") != _blob(current):
            return json_response({"message": f"{path} does not match {body.get('sha')}"}, 409)
        self.repo.files[(branch, path)] = content
        self.repo.refs[branch] = hashlib.sha1(content + branch.encode()).hexdigest()
        return json_response(
            {"content": {"path": path, "sha": _blob(content)}, "commit": {"sha": self.repo.refs[branch]}},
            201 if current is None else 200,
        )

    def _list_pulls(self, request: Request) -> Response:
        self._checked(request)
        head = request.args.get("head")
        assert head is None or ":" in head, "head: user:ref-name"
        state = request.args.get("state", "open")
        assert state in ("open", "closed", "all"), "state: open, closed or all"
        found = [
            pull
            for pull in self.repo.pulls
            if (head is None or pull["head"]["label"] == head) and state in ("all", pull["state"])
        ]
        return json_response(found)

    def _create_pull(self, request: Request) -> Response:
        body = self._checked(request)
        for name in ("head", "base", "title"):
            assert isinstance(body.get(name), str) and body[name], f"{name} is required"
        assert body["head"] in self.repo.refs and body["base"] in self.repo.refs, "head and base exist"
        if self.repo.pulls_forbidden:
            message = "GitHub Actions is not permitted to create or approve pull requests."
            return json_response({"message": message}, 403)
        number = max(self.repo.issues, default=0) + 1
        self.repo.issues[number] = FakeIssue(
            number, body["title"], body.get("body", ""), [], pull_request=True
        )
        pull = {
            "number": number,
            "title": body["title"],
            "body": body.get("body"),
            "state": "open",
            "html_url": f"{self.html}/pull/{number}",
            "head": {"ref": body["head"], "label": f"{OWNER}:{body['head']}"},
            "base": {"ref": body["base"]},
        }
        self.repo.pulls.append(pull)
        return json_response(pull, 201)

    def _update_pull(self, request: Request, number: str) -> Response:
        body = self._checked(request)
        allowed = {"title", "body", "state", "base", "maintainer_can_modify"}
        assert set(body) <= allowed, f"unknown fields {sorted(set(body) - allowed)}"
        assert body.get("state", "open") in ("open", "closed"), "state: open or closed"
        pull = next((pull for pull in self.repo.pulls if pull["number"] == int(number)), None)
        if pull is None:
            return json_response({"message": "Not Found"}, 404)
        pull.update({name: body[name] for name in ("title", "body", "state") if name in body})
        return json_response(pull)


def _too_long() -> Response:
    error = {
        "resource": "Issue",
        "code": "custom",
        "field": "body",
        "message": f"body is too long (maximum is {BODY_MAX} characters)",
    }
    return json_response({"message": "Validation Failed", "errors": [error]}, 422)


def _blob(content: bytes) -> str:
    """Git's blob id, as GitHub's `sha` of a file."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
