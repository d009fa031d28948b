"""A small client for the parts of GitHub's REST API the inbox, the crisis actions and `slots suggest
--github` use, and nothing else; and `propose_change`, the one pull request a command keeps for a file.

It runs inside the scheduled workflow: the token is the job's GITHUB_TOKEN, the repository
GITHUB_REPOSITORY ("owner/name") and the API GITHUB_API_URL (GitHub Enterprise, or a test's local server).
Every request carries the headers GitHub's reference asks for
(https://docs.github.com/en/rest/about-the-rest-api/api-versions: `X-GitHub-Api-Version`;
https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api: `Accept:
application/vnd.github+json`, `Authorization: Bearer`). The token is registered for redaction, so no
message this module raises can print it.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from postwright.credentials import redact, remember

API_VERSION = "2022-11-28"
# the Link header's next page (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api)
_NEXT_PAGE = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    """GitHub refused or could not be reached; the message says which request and what GitHub said."""


@dataclass(frozen=True, slots=True)
class Repository:
    full_name: str
    private: bool
    default_branch: str
    html_url: str


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    title: str
    body: str
    html_url: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    html_url: str
    title: str = ""
    body: str = ""


class GitHub:
    """One repository through the REST API; each method is one documented endpoint."""

    def __init__(
        self,
        repository: str,
        token: str,
        api_url: str = "https://api.github.com",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, not {repository!r}")
        remember(token)
        self.repository = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "postwright",
            },
            timeout=30.0,
            transport=transport,
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> GitHub:
        """The workflow's own repository and token; what is missing is named (never its value)."""
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise GitHubError(
                f"{' and '.join(missing)} not set: run inside a GitHub Actions job, or pass the job's token "
                "as GITHUB_TOKEN (the engagement job in publish.yml does)"
            )
        api_url = env.get("GITHUB_API_URL") or "https://api.github.com"
        return cls(env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"], api_url)

    # -- repository ------------------------------------------------------------------------------------

    def repo(self) -> Repository:
        """GET /repos/{owner}/{repo} (https://docs.github.com/en/rest/repos/repos#get-a-repository)."""
        body = self._json("GET", "")
        return Repository(body["full_name"], bool(body["private"]), body["default_branch"], body["html_url"])

    # -- issues and labels -----------------------------------------------------------------------------

    def open_issues(self, label: str) -> list[Issue]:
        """GET /repos/{owner}/{repo}/issues?labels=…&state=open, every page; pull requests (which the
        endpoint also lists, with a `pull_request` key) left out
        (https://docs.github.com/en/rest/issues/issues#list-repository-issues)."""
        found = self._pages("/issues", {"labels": label, "state": "open", "per_page": "100"})
        return [_issue(item) for item in found if "pull_request" not in item]

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> Issue:
        """POST /repos/{owner}/{repo}/issues (https://docs.github.com/en/rest/issues/issues#create-an-issue)."""
        return _issue(self._json("POST", "/issues", {"title": title, "body": body, "labels": list(labels)}))

    def update_issue_body(self, number: int, body: str) -> None:
        """PATCH /repos/{owner}/{repo}/issues/{issue_number}
        (https://docs.github.com/en/rest/issues/issues#update-an-issue)."""
        self._json("PATCH", f"/issues/{number}", {"body": body})

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """POST /repos/{owner}/{repo}/labels; 422 `already_exists` is fine
        (https://docs.github.com/en/rest/issues/labels#create-a-label)."""
        payload = {"name": name, "color": color, "description": description}
        self._request("POST", "/labels", payload, ok=(422,))

    # -- branches, files and pull requests -------------------------------------------------------------

    def branch_sha(self, branch: str) -> str | None:
        """GET /repos/{owner}/{repo}/git/ref/heads/{branch}: the commit it points at, None when absent
        (https://docs.github.com/en/rest/git/refs#get-a-reference)."""
        response = self._request("GET", f"/git/ref/heads/{branch}", ok=(404,))
        return None if response.status_code == 404 else response.json()["object"]["sha"]

    def create_branch(self, branch: str, sha: str) -> None:
        """POST /repos/{owner}/{repo}/git/refs (https://docs.github.com/en/rest/git/refs#create-a-reference)."""
        self._json("POST", "/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha})

    def reset_branch(self, branch: str, sha: str) -> None:
        """PATCH /repos/{owner}/{repo}/git/refs/heads/{branch} with force
        (https://docs.github.com/en/rest/git/refs#update-a-reference)."""
        self._json("PATCH", f"/git/refs/heads/{branch}", {"sha": sha, "force": True})

    def file(self, path: str, ref: str) -> tuple[bytes, str]:
        """GET /repos/{owner}/{repo}/contents/{path}?ref=…: the bytes and the blob sha an update names
        (https://docs.github.com/en/rest/repos/contents#get-repository-content)."""
        body = self._json("GET", f"/contents/{path}", params={"ref": ref})
        if body.get("type") != "file" or body.get("encoding") != "base64":
            raise GitHubError(f"{path} on {ref} is not a file GitHub gives as base64")
        return base64.b64decode(body["content"]), body["sha"]

    def put_file(self, path: str, content: bytes, *, sha: str, branch: str, message: str) -> None:
        """PUT /repos/{owner}/{repo}/contents/{path}: one commit on `branch`
        (https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents)."""
        payload = {
            "message": message,
            "content": base64.b64encode(content).decode("ascii"),
            "sha": sha,
            "branch": branch,
        }
        self._json("PUT", f"/contents/{path}", payload)

    def open_pulls(self, head_branch: str) -> list[PullRequest]:
        """GET /repos/{owner}/{repo}/pulls?state=open&head=owner:branch
        (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests)."""
        owner = self.repository.split("/")[0]
        found = self._pages("/pulls", {"state": "open", "head": f"{owner}:{head_branch}", "per_page": "100"})
        return [_pull(item) for item in found]

    def create_pull(self, title: str, head: str, base: str, body: str) -> PullRequest:
        """POST /repos/{owner}/{repo}/pulls (https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request)."""
        return _pull(self._json("POST", "/pulls", {"title": title, "head": head, "base": base, "body": body}))

    def update_pull(self, number: int, title: str, body: str) -> None:
        """PATCH /repos/{owner}/{repo}/pulls/{pull_number}
        (https://docs.github.com/en/rest/pulls/pulls#update-a-pull-request)."""
        self._json("PATCH", f"/pulls/{number}", {"title": title, "body": body})

    # -- plumbing --------------------------------------------------------------------------------------

    def _pages(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = self._url(path)
        query: Mapping[str, str] | None = params
        while url:
            response = self._send("GET", url, None, query, ())
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {path}: expected a list, GitHub answered {type(page).__name__}")
            items.extend(page)
            found = _NEXT_PAGE.search(response.headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)
        return items

    def _json(
        self, method: str, path: str, payload: Any = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        body = self._request(method, path, payload, params=params).json()
        if not isinstance(body, dict):
            raise GitHubError(f"{method} {path or '/'}: expected an object from GitHub")
        return body

    def _request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        ok: Sequence[int] = (),
    ) -> httpx.Response:
        return self._send(method, self._url(path), payload, params, ok)

    def _url(self, path: str) -> str:
        return f"/repos/{self.repository}{path}"

    def _send(
        self, method: str, url: str, payload: Any, params: Mapping[str, str] | None, ok: Sequence[int]
    ) -> httpx.Response:
        where = f"{method} {httpx.URL(url).path}"
        try:
            response = self.http.request(method, url, json=payload, params=params)
        except httpx.HTTPError as error:
            reason = f"{where}: {type(error).__name__}: GitHub could not be reached"
            raise GitHubError(redact(reason)) from None
        if response.is_success or response.status_code in ok:
            return response
        raise GitHubError(redact(f"{where}: {response.status_code} {_message(response)}"))


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """One pull request from `branch` whose only change is `path` on the default branch, as `edit` makes
    it from that file's bytes (None: the change is not needed there). `marker`, an HTML comment that
    heads the body, names what is proposed: an open request with another marker is out of date."""

    branch: str
    path: str
    edit: Callable[[bytes], bytes | None]
    title: str
    body: str
    message: str  # the commit's
    marker: str = ""


@dataclass(frozen=True, slots=True)
class Proposal:
    """What propose_change did: `url` is the pull request's link ("" when there is none)."""

    outcome: Literal["opened", "updated", "open", "unneeded"]
    url: str
    base: str = ""  # the default branch, where it was asked


def propose_change(github: GitHub, change: ChangeRequest, *, refresh: bool = False) -> Proposal:
    """Keep one open pull request for `change`, found again by its branch.

    None open: the branch is started again from the default branch (a leftover of a request closed
    unmerged is reset), the file committed there, and the pull request opened. One open: left as it is,
    unless `refresh` and its body lacks `marker` (the proposal changed since): then its file is made
    again from the default branch's, committed on top (never a reset, which would drop what a person
    pushed to it), and its title and body replaced. Nothing to change on the default branch: nothing
    is made."""
    pulls = github.open_pulls(change.branch)
    if pulls and (not refresh or change.marker in pulls[0].body):
        return Proposal("open", pulls[0].html_url)
    base = github.repo().default_branch
    wanted = change.edit(github.file(change.path, base)[0])
    if wanted is None:
        return Proposal("unneeded", pulls[0].html_url if pulls else "", base)
    body = f"{change.marker}\n{change.body}" if change.marker else change.body
    if pulls:
        carried, blob = github.file(change.path, change.branch)
        if carried != wanted:
            github.put_file(change.path, wanted, sha=blob, branch=change.branch, message=change.message)
        github.update_pull(pulls[0].number, change.title, body)
        return Proposal("updated", pulls[0].html_url, base)
    base_sha = github.branch_sha(base)
    if base_sha is None:
        raise GitHubError(f"branch {base} not found")
    if github.branch_sha(change.branch) is None:
        github.create_branch(change.branch, base_sha)
    else:  # left from an earlier request that was closed unmerged: start it again from base
        github.reset_branch(change.branch, base_sha)
    _, blob = github.file(change.path, change.branch)
    github.put_file(change.path, wanted, sha=blob, branch=change.branch, message=change.message)
    return Proposal("opened", github.create_pull(change.title, change.branch, base, body).html_url, base)


def _pull(item: Mapping[str, Any]) -> PullRequest:
    return PullRequest(item["number"], item["html_url"], item.get("title") or "", item.get("body") or "")


def _issue(item: Mapping[str, Any]) -> Issue:
    return Issue(item["number"], item["title"], item.get("body") or "", item["html_url"])


def _message(response: httpx.Response) -> str:
    """GitHub's own words ({"message": …}); a 403 about Actions creating pull requests gets the fix."""
    try:
        message = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        message = response.text[:200]
    if "not permitted to create or approve pull requests" in message:
        message += (
            " (allow it in the repository's Settings → Actions → General → Workflow permissions: "
            "'Allow GitHub Actions to create and approve pull requests')"
        )
    return message or response.reason_phrase
