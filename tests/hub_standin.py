"""A stand-in for the Hugging Face Hub on 127.0.0.1, speaking the part of it `hf_hub_download` uses.

huggingface_hub 2.4 sends HEAD then GET to ``/{repo_id}/resolve/{revision}/{filename}``; a reply with
``X-Repo-Commit``, ``ETag`` and ``Content-Length`` is enough for a download into the cache, and a 404
with ``X-Error-Code: EntryNotFound`` reports a missing file. Anything else (e.g. ``/api/...``, which it
may GET first) gets a plain 404, which it tolerates. Every request is recorded so tests can assert what
was, and what was not, fetched.

    with HubStandin() as hub:
        hub.add_folder("org/model", revision, folder)
        ... point huggingface_hub at hub.url ...
        assert hub.requests == [...]
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class HubStandin:
    """Serves ``files[(repo_id, revision, filename)] = bytes`` until the ``with`` block ends."""

    def __init__(self, files: dict[tuple[str, str, str], bytes] | None = None):
        self.files: dict[tuple[str, str, str], bytes] = dict(files or {})
        self.requests: list[tuple[str, str]] = []  # (method, path), in arrival order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_folder(self, repo_id: str, revision: str, folder: Path, skip=("manifest.json",)) -> None:
        """Serve every file of ``folder`` (the manifest is a local pin, not part of the repo)."""
        for path in Path(folder).iterdir():
            if path.is_file() and path.name not in skip:
                self.files[(repo_id, revision, path.name)] = path.read_bytes()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stand-in first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def resolve_requests(self) -> list[tuple[str, str]]:
        """The file requests only (leaves out ``/api/...`` look-ups huggingface_hub makes on its own)."""
        return [r for r in self.requests if "/resolve/" in r[1]]

    def __enter__(self) -> "HubStandin":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def _lookup(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a request path, as the Hub would answer it."""
        head, sep, tail = unquote(urlsplit(path).path).lstrip("/").partition("/resolve/")
        revision, _, filename = tail.partition("/")
        if not sep or not filename:
            return 404, {}, b"not found"
        if not any(repo == head for repo, _, _ in self.files):
            return 404, {"X-Error-Code": "RepoNotFound"}, b"repository not found"
        body = self.files.get((head, revision, filename))
        if body is None:
            return 404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": revision}, b"entry not found"
        return (
            200,
            {
                "X-Repo-Commit": revision,
                "ETag": f'"{hashlib.sha256(body).hexdigest()}"',
                "Content-Type": "application/octet-stream",
            },
            body,
        )

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, with_body: bool) -> None:
                standin._record(self.command, self.path)
                status, headers, body = standin._lookup(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(with_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(with_body=True)

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        return Handler


def point_huggingface_hub_at(url: str, monkeypatch, hf_home: Path) -> None:
    """Aim an already-imported huggingface_hub at ``url``, online, keeping its own files under ``hf_home``.

    huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE once, at import, so setting the
    environment is too late in-process; these are the constants 2.4 consults at call time (URLs are
    built from ``HUGGINGFACE_CO_URL_TEMPLATE``; ``ENDPOINT`` also serves its ``/api/agent-harnesses``
    look-up, whose answer it caches in ``AGENT_HARNESSES_PATH``). Subprocesses use the environment.
    """
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(hf_home / ".agent_harnesses.json"))
