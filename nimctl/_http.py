"""Minimal HTTP client (stdlib only) for NIM's OpenAI-compatible API, shared by smoke and bench.

Every failure a user can cause or fix (server not reachable, wrong URL, missing API key, server
error, answer that is not JSON) is raised as :class:`HttpProblem` whose text says what happened
and what to do, so commands print it without a traceback.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

API_KEY_ENV = "NIMCTL_API_KEY"
DEFAULT_TIMEOUT = 60.0
PORT_FORWARD_HINT = (
    "is the port-forward running? kubectl -n nim port-forward svc/<release> 8000:8000 "
    "(`pulumi stack output portForward` prints it); behind the Gateway use the model's endpoint "
    "from inside the VPC (`pulumi stack output endpoints`). A version that sleeps (scaled to zero "
    "when idle, `nimctl doctor` says asleep) has no pod to forward to: `nimctl wake -n nim`, "
    "then start the port-forward once it is ready (about 7 min from zero GPU nodes)"
)
ASLEEP_HINT = (
    "If the version sleeps (scaled to zero when idle: `nimctl doctor` says asleep), this answer is "
    "the load balancer's while no pod runs: with monitoring.hpa.wakeOnRequests the request has "
    "woken it, so retry in a few minutes (about 7 from zero GPU nodes), or wake it first with "
    "`nimctl wake -n nim` (docs/autoscaling.md)"
)
"""What a request to a sleeping version behind the Gateway gets, and when to retry."""
# Envoy's local reply when a route's backend has no healthy endpoint (the GKE Gateway's proxies
# are Envoy: cloud.google.com/load-balancing/docs/proxy-only-subnets; envoyproxy/envoy
# source/common/router/router.cc, "no healthy upstream").
NO_HEALTHY_UPSTREAM = "no healthy upstream"


class HttpProblem(Exception):
    """A request failed in a way the user can act on; ``str()`` is the full message."""


def normalize_base_url(url: str) -> str:
    """``localhost:8000/v1/`` -> ``http://localhost:8000``: the base that ``/v1/...`` goes under."""
    url = url.strip()
    if not url:
        raise HttpProblem("--url is empty; pass the server's base URL, e.g. http://localhost:8000")
    if "://" not in url:
        url = "http://" + url
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise HttpProblem(
            f"--url {url!r} is not an http(s) URL; pass the server's base URL, "
            "e.g. http://localhost:8000"
        )
    path = parsed.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, path, "", ""))


def resolve_api_key(explicit: str | None) -> str | None:
    """``--api-key`` wins; otherwise the ``NIMCTL_API_KEY`` environment variable, if set."""
    if explicit:
        return explicit
    return os.environ.get(API_KEY_ENV) or None


def _error_detail(body: bytes) -> str:
    """The server's own error message from an OpenAI / vLLM / FastAPI error body, shortened."""
    text = body.decode("utf-8", "replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        for key in ("message", "detail", "error"):
            if doc.get(key):
                return str(doc[key])[:300]
    return text[:300]


def _http_error(method: str, url: str, status: int, body: bytes, api_key: str | None) -> str:
    detail = _error_detail(body)
    where = f"{method} {url} returned HTTP {status}"
    suffix = f" (server said: {detail})" if detail else ""
    if status in (401, 403):
        if api_key:
            return (
                f"{where}{suffix}: the API key was rejected. Check --api-key / ${API_KEY_ENV} "
                "(this is the bearer token of the server or gateway, not the NGC key)."
            )
        return (
            f"{where}{suffix}: the server or a gateway in front of it wants a bearer token. "
            f"Pass --api-key or set ${API_KEY_ENV}."
        )
    if status == 404:
        return f"{where}{suffix}: not found."
    if status == 503 and NO_HEALTHY_UPSTREAM in detail:
        return (
            f"{where}{suffix}: the load balancer has no healthy backend for this route (its "
            "health check, /v1/health/ready on port 8000, fails for every pod of the version the "
            "request went to). Run `nimctl doctor`: it checks the route, its HealthCheckPolicy "
            f"and the pods. {ASLEEP_HINT}."
        )
    if status == 503:
        return (
            f"{where}{suffix}: service unavailable. The model may still be loading "
            "(GET /v1/health/ready answers 200 once it is ready); run `nimctl doctor`."
        )
    if status >= 500:
        return (
            f"{where}{suffix}: server error. Check the NIM logs: "
            "kubectl -n nim logs -l app.kubernetes.io/name=nim-llm --tail=100"
        )
    return f"{where}{suffix}."


def _connection_error(method: str, url: str, exc: BaseException, timeout: float) -> str:
    reason = getattr(exc, "reason", exc)
    host = urllib.parse.urlsplit(url).netloc
    if isinstance(reason, TimeoutError):
        return (
            f"{method} {url}: no answer within {timeout:g} s (--timeout). "
            "A NIM that is still loading can be slow to answer; run `nimctl doctor`."
        )
    if isinstance(reason, ConnectionRefusedError):
        return f"cannot connect to {host}: connection refused; {PORT_FORWARD_HINT}"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve host {host!r}: {reason}; check --url"
    if isinstance(reason, http.client.RemoteDisconnected | ConnectionResetError):
        return f"{method} {url}: the server closed the connection without answering ({reason})"
    return f"cannot connect to {host} ({reason}); {PORT_FORWARD_HINT}"


@contextmanager
def open_request(
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    accept: str = "application/json",
) -> Iterator[http.client.HTTPResponse]:
    """Open a request and yield the (unread) 2xx response; raise :class:`HttpProblem` otherwise."""
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Accept": accept, "User-Agent": "nimctl"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp is not None else b""
        exc.close()
        raise HttpProblem(_http_error(method, url, exc.code, body, api_key)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise HttpProblem(_connection_error(method, url, exc, timeout)) from None
    with response:
        yield response


def read_body(response: http.client.HTTPResponse, method: str, url: str, timeout: float) -> bytes:
    try:
        return response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise HttpProblem(_connection_error(method, url, exc, timeout)) from None


def request_json(
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    api_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """Send a request and return the decoded JSON body."""
    with open_request(method, url, payload=payload, api_key=api_key, timeout=timeout) as response:
        body = read_body(response, method, url, timeout)
    if not body.strip():
        raise HttpProblem(f"{method} {url} returned an empty body (HTTP {response.status})")
    try:
        return json.loads(body)
    except ValueError:
        excerpt = body[:120].decode("utf-8", "replace")
        raise HttpProblem(
            f"{method} {url} did not return JSON (HTTP {response.status}, "
            f"Content-Type {response.headers.get('Content-Type')!r}): {excerpt!r}"
        ) from None


def list_models(base: str, *, api_key: str | None, timeout: float) -> list[str]:
    """GET ``/v1/models`` and return the served model ids, checking the OpenAI list shape."""
    url = f"{base}/v1/models"
    try:
        doc = request_json("GET", url, api_key=api_key, timeout=timeout)
    except HttpProblem as exc:
        if "HTTP 404" in str(exc):
            raise HttpProblem(
                f"{exc} {base} does not look like an OpenAI-compatible server: pass the base URL "
                "(e.g. http://localhost:8000 for a port-forward of svc/<release>, or the Gateway "
                "endpoint http://<ip>/<release>/v1)."
            ) from None
        raise
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise HttpProblem(
            f"GET {url}: expected an OpenAI model list {{'object': 'list', 'data': [...]}}, "
            f"got {json.dumps(doc)[:160]}"
        )
    ids: list[str] = []
    for entry in doc["data"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise HttpProblem(f"GET {url}: a model entry has no 'id': {json.dumps(entry)[:160]}")
        ids.append(entry["id"])
    if not ids:
        raise HttpProblem(
            f"GET {url}: the server lists no models. NIM lists its model once loaded; "
            "run `nimctl doctor`."
        )
    return ids


def pick_model(requested: str | None, served: list[str], url: str) -> str:
    """The ``--model`` the user asked for (which must be served), else the first one served."""
    if requested is None:
        return served[0]
    if requested not in served:
        raise HttpProblem(
            f"model {requested!r} is not served by {url}; it serves: {', '.join(served)}. "
            "Pass one of these with --model (or omit --model to use the first)."
        )
    return requested
