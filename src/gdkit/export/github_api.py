"""A small client for the few GitHub REST calls the course workflow makes.

``gdkit collect`` lists an organisation's repositories (GitHub Classroom names each student's
copy ``<prefix>-<username>``) and ``gdkit publish`` posts feedback as a commit comment or an
issue. The base URL comes from ``$GITHUB_API_URL`` (set on every Actions runner, also on GitHub
Enterprise Server) or ``--api-url``, so tests point it at a local HTTP server. The token comes
from ``$GDKIT_GITHUB_TOKEN`` only, never from the command line, and never appears in a message.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from gdkit.errors import GdkitError

DEFAULT_API = "https://api.github.com"
DEFAULT_SERVER = "https://github.com"
TOKEN_ENV = "GDKIT_GITHUB_TOKEN"
API_VERSION = "2022-11-28"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(GdkitError):
    """A GitHub API call failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    status: int
    data: object
    headers: dict


def api_url(given: str | None = None) -> str:
    """The REST API's base URL: ``given``, else ``$GITHUB_API_URL``, else api.github.com."""
    return (given or os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")


def server_url(given: str | None = None) -> str:
    """Where repositories are cloned from: ``given``, else ``$GITHUB_SERVER_URL``, else github.com."""
    return (given or os.environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER).rstrip("/")


def token_from_env(environ=None) -> str:
    """The token in ``$GDKIT_GITHUB_TOKEN`` ('' when unset)."""
    return ((environ if environ is not None else os.environ).get(TOKEN_ENV) or "").strip()


class GitHubClient:
    """JSON over HTTPS with a bearer token; every failure is a one-line :class:`GitHubError`."""

    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 30.0):
        self.base_url = api_url(base_url)
        self.token = token_from_env() if token is None else token
        self.timeout = timeout

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path  # a pagination link, as GitHub returned it
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, body: dict | None = None) -> Response:
        url = self._url(path)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION,
                   "User-Agent": "gdkit"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        shown = urllib.parse.urlsplit(url).path or "/"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:
                raw = answer.read()
                status, answer_headers = answer.status, dict(answer.headers.items())
        except urllib.error.HTTPError as exc:
            detail = ""
            try:
                detail = str(json.loads(exc.read().decode("utf-8", "replace")).get("message", ""))
            except (ValueError, AttributeError, OSError):
                pass
            hint = {401: "the token is missing or invalid: set the GDKIT_GITHUB_TOKEN secret",
                    403: "the token lacks a permission (or a rate limit was hit)",
                    404: "not found, or the token cannot see it"}.get(exc.code, "")
            words = "; ".join(w for w in (" ".join(detail.split())[:200], hint) if w)
            raise GitHubError(f"GitHub API {method} {shown}: HTTP {exc.code}" + (f" ({words})" if words else ""),
                              exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubError(f"GitHub API {method} {shown}: no answer from {self.base_url} ({reason}); "
                              "check --api-url and the network") from None
        try:
            payload = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except ValueError:
            raise GitHubError(f"GitHub API {method} {shown}: the answer is not JSON; check --api-url",
                              status) from None
        return Response(status, payload, answer_headers)

    def get(self, path: str):
        return self.request("GET", path).data

    def post(self, path: str, body: dict):
        return self.request("POST", path, body).data

    def patch(self, path: str, body: dict):
        return self.request("PATCH", path, body).data

    def paginate(self, path: str, limit: int = 100) -> list:
        """Every item of a list endpoint, following ``Link: rel="next"`` (at most ``limit`` pages)."""
        items: list = []
        url: str | None = path + ("&" if "?" in path else "?") + "per_page=100"
        for _ in range(limit):
            if url is None:
                break
            answer = self.request("GET", url)
            if not isinstance(answer.data, list):
                raise GitHubError(f"GitHub API GET {urllib.parse.urlsplit(self._url(url)).path}: "
                                  "expected a list; check --api-url", answer.status)
            items.extend(answer.data)
            link = {k.lower(): v for k, v in answer.headers.items()}.get("link", "")
            found = _NEXT.search(link)
            url = found.group(1) if found else None
        return items
