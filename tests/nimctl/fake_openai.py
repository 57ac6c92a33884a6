"""A tiny OpenAI-compatible server for tests, bound to 127.0.0.1 on an ephemeral port.

It mimics what NIM (vLLM/TRT-LLM backends) returns for ``GET /v1/models`` and
``POST /v1/chat/completions`` (streaming and not), and can be switched into broken modes so that
``nimctl smoke`` can be tested against each failure a real deployment shows.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODEL = "meta/llama3-8b-instruct"

# Modes that break the server in one specific way.
MODES = (
    "ok",
    "models-404",  # /v1/models is not there (wrong base URL)
    "chat-500",  # the chat endpoint fails with 500
    "models-malformed",  # /v1/models answers with something that is not JSON
    "chat-malformed",  # non-streaming chat answers with truncated JSON
    "empty-choices",  # non-streaming chat answers with "choices": []
    "no-models",  # /v1/models lists nothing
    "stream-no-done",  # the stream ends without "data: [DONE]"
    "stream-no-content",  # the stream only carries empty deltas
    "stream-malformed",  # one SSE event is not JSON
    "no-healthy-upstream",  # behind the Gateway: Envoy's 503 when no backend passes its check
)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-stream (timeout tests) is expected, not news


class FakeOpenAI:
    """Start with ``with FakeOpenAI(mode=...) as server:``; ``server.url`` is the base URL."""

    def __init__(
        self,
        *,
        mode: str = "ok",
        models: tuple[str, ...] = (DEFAULT_MODEL,),
        api_key: str | None = None,
        token_delay: float = 0.0,
        prefix: str = "",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.models = models
        self.api_key = api_key
        self.token_delay = token_delay
        self.prefix = prefix.rstrip("/")
        """Like the Gateway's HTTPRoute (``/<release>/v1`` -> ``/v1``, URLRewrite
        ReplacePrefixMatch): only paths under it are served, with the prefix removed."""
        self.received: list[str] = []
        """The request paths as the client sent them (before the prefix is removed)."""
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _error(message: str, code: int, type_: str) -> dict[str, Any]:
    # vLLM / NIM error body shape.
    return {"object": "error", "message": message, "type": type_, "param": None, "code": code}


def _make_handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        # -- helpers -------------------------------------------------------------------------
        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj).encode())

        def _route(self) -> bool:
            """The Gateway's part: strip the model's prefix, or answer 404 like a route that
            matches nothing; 503 with Envoy's body when no backend is healthy."""
            server.received.append(self.path)
            if server.prefix:
                if not (self.path == server.prefix or self.path.startswith(server.prefix + "/")):
                    self._send(404, b"", "text/plain")
                    return False
                self.path = self.path[len(server.prefix) :] or "/"
            if server.mode == "no-healthy-upstream":
                self._send(503, b"no healthy upstream", "text/plain")
                return False
            return True

        def _authorized(self) -> bool:
            """With ``api_key`` set, answer 401 unless the request carries that bearer token."""
            if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                self._json(401, _error("Unauthorized", 401, "AuthenticationError"))
                return False
            return True

        # -- endpoints ---------------------------------------------------------------------------
        def do_GET(self) -> None:
            if not self._route():
                return
            server.requests.append(("GET", self.path, None))
            if not self._authorized():
                return
            if self.path == "/v1/models" and server.mode != "models-404":
                if server.mode == "models-malformed":
                    self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
                    return
                data = [] if server.mode == "no-models" else server.models
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {
                                "id": m,
                                "object": "model",
                                "created": 1720000000,
                                "owned_by": "system",
                                "root": m,
                                "parent": None,
                                "max_model_len": 8192,
                            }
                            for m in data
                        ],
                    },
                )
                return
            if self.path == "/v1/health/ready":
                self._json(200, {"object": "health.response", "message": "Service is ready."})
                return
            self._json(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            if not self._route():
                return
            server.requests.append(("POST", self.path, body))
            if not self._authorized():
                return
            if self.path != "/v1/chat/completions":
                self._json(404, {"detail": "Not Found"})
                return
            if server.mode == "chat-500":
                self._json(500, _error("CUDA out of memory", 500, "InternalServerError"))
                return
            model = body.get("model")
            if model not in server.models:
                self._json(
                    404, _error(f"The model `{model}` does not exist.", 404, "NotFoundError")
                )
                return
            n_tokens = int(body.get("max_completion_tokens") or body.get("max_tokens") or 8)
            if body.get("stream"):
                self._stream(model, n_tokens, body)
            else:
                self._complete(model, n_tokens)

        def _complete(self, model: str, n_tokens: int) -> None:
            if server.mode == "chat-malformed":
                self._send(200, b'{"id": "chat-1", "object": "chat.completion", "choi')
                return
            choices = (
                []
                if server.mode == "empty-choices"
                else [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": " ok" * n_tokens},
                        "logprobs": None,
                        "finish_reason": "length",
                        "stop_reason": None,
                    }
                ]
            )
            self._json(
                200,
                {
                    "id": "chat-1",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": choices,
                    "usage": {
                        "prompt_tokens": 12,
                        "total_tokens": 12 + n_tokens,
                        "completion_tokens": n_tokens,
                    },
                },
            )

        def _stream(self, model: str, n_tokens: int, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(payload: str) -> None:
                self.wfile.write(f"data: {payload}\n\n".encode())
                self.wfile.flush()

            def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
                return json.dumps(
                    {
                        "id": "chat-2",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                        ],
                    }
                )

            event(chunk({"role": "assistant", "content": ""}))
            for i in range(n_tokens):
                if server.token_delay:
                    time.sleep(server.token_delay)
                if server.mode == "stream-malformed" and i == 1:
                    event('{"id": "chat-2", "choices": [')
                    continue
                content = "" if server.mode == "stream-no-content" else " ok"
                event(chunk({"content": content}))
            event(chunk({}, finish="length"))
            options = body.get("stream_options") or {}
            if options.get("include_usage"):
                event(
                    json.dumps(
                        {
                            "id": "chat-2",
                            "object": "chat.completion.chunk",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [],
                            "usage": {
                                "prompt_tokens": 12,
                                "total_tokens": 12 + n_tokens,
                                "completion_tokens": n_tokens,
                            },
                        }
                    )
                )
            if server.mode != "stream-no-done":
                event("[DONE]")

    return Handler
