"""A local HTTP server that answers the few GitHub REST calls gdkit makes, and records them.

It is a real HTTP exchange (gdkit's client talks to it over a socket, as to api.github.com):
``GET /orgs/ORG/repos`` (paginated with a ``Link`` header), commit comments and issues. Every
request is kept in ``server.requests`` as (method, path, headers, parsed JSON body).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeGitHub:
    def __init__(self, token: str = "", page_size: int = 2):
        self.token = token
        self.page_size = page_size
        self.repos: dict[str, list[dict]] = {}          # org -> repository objects
        self.comments: dict[tuple[str, str], list[dict]] = {}
        self.issues: dict[str, list[dict]] = {}
        self.requests: list[tuple[str, str, dict, object]] = []
        self.fail: dict[str, int] = {}                   # path -> status to answer with
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else None

            def _send(self, status, data, headers=None):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method):
                body = self._body() if method in ("POST", "PATCH") else None
                parts = urlsplit(self.path)
                with fake._lock:
                    fake.requests.append((method, self.path, dict(self.headers.items()), body))
                if fake.token and self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, {"message": "Bad credentials"})
                if parts.path in fake.fail:
                    return self._send(fake.fail[parts.path], {"message": "refused by the test"})
                status, data, headers = fake.route(method, parts.path, parse_qs(parts.query), body,
                                                   f"http://{self.headers.get('Host')}")
                self._send(status, data, headers)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PATCH(self):
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _page(self, items, query, base, path):
        page = int(query.get("page", ["1"])[0])
        start = (page - 1) * self.page_size
        chunk = items[start:start + self.page_size]
        headers = {}
        if start + self.page_size < len(items):
            headers["Link"] = f'<{base}{path}?page={page + 1}>; rel="next"'
        return 200, chunk, headers

    def route(self, method, path, query, body, base):
        parts = path.strip("/").split("/")
        with self._lock:
            if method == "GET" and len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
                if parts[1] not in self.repos:
                    return 404, {"message": "Not Found"}, {}
                return self._page(self.repos[parts[1]], query, base, path)
            if len(parts) == 6 and parts[0] == "repos" and parts[3] == "commits" and parts[5] == "comments":
                key = (f"{parts[1]}/{parts[2]}", parts[4])
                if method == "GET":
                    return self._page(self.comments.get(key, []), query, base, path)
                if method == "POST":
                    comment = {"id": len(self.comments.get(key, [])) + 1, "body": body["body"]}
                    self.comments.setdefault(key, []).append(comment)
                    return 201, comment, {}
            if len(parts) >= 4 and parts[0] == "repos" and parts[3] == "issues":
                repo = f"{parts[1]}/{parts[2]}"
                issues = self.issues.setdefault(repo, [])
                if len(parts) == 4 and method == "GET":
                    return self._page(issues, query, base, path)
                if len(parts) == 4 and method == "POST":
                    issue = {"number": len(issues) + 1, "title": body["title"], "body": body["body"], "state": "open"}
                    issues.append(issue)
                    return 201, issue, {}
                if len(parts) == 5 and method == "PATCH":
                    issue = next((i for i in issues if i["number"] == int(parts[4])), None)
                    if issue is None:
                        return 404, {"message": "Not Found"}, {}
                    issue.update(body)
                    return 200, issue, {}
        return 404, {"message": "Not Found"}, {}
