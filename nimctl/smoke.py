"""``nimctl smoke``: is the NIM answering like an OpenAI server should?

Lists the models (``GET /v1/models``), then sends one non-streaming and one streaming chat
completion (``POST /v1/chat/completions``), checks the OpenAI response shapes, and prints the
time to first token (streaming) and the total time of each request. Exit code 0 when every check
passes, 1 otherwise, with a message that says what failed and what to do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from nimctl import _cli, _http

DEFAULT_PROMPT = "Reply with one short sentence: what is the capital of France?"
DEFAULT_MAX_TOKENS = 32

EXIT_OK = 0
EXIT_FAILED = 1

DESCRIPTION = """\
Is the NIM answering like an OpenAI server should?

Lists the models (GET /v1/models), sends one chat completion and one streaming chat completion
(POST /v1/chat/completions) and checks the OpenAI response shapes. Prints the total time of
each and, for the stream, the time to first token. Exit code 0 when every check passes, 1
otherwise."""


class SmokeFailure(Exception):
    """A check failed; ``str()`` says which and why."""


@dataclass(frozen=True)
class ChatResult:
    """Outcome of one chat completion."""

    text: str
    total_s: float
    ttft_s: float | None = None  # streaming only: time to the first non-empty content delta
    completion_tokens: int | None = None  # from ``usage`` when the server reports it
    chunks: int = 0  # streaming only: JSON events received before ``[DONE]``


# --------------------------------------------------------------------------------------------
# Pure checks over the decoded responses (no I/O).


def check_chat_completion(doc: Any) -> tuple[str, int | None]:
    """Validate a non-streaming ``chat.completion``; return (content, completion_tokens)."""
    where = "POST /v1/chat/completions"
    if not isinstance(doc, dict):
        raise SmokeFailure(f"{where}: expected a JSON object, got {json.dumps(doc)[:120]}")
    if doc.get("error"):
        raise SmokeFailure(f"{where}: the server returned an error: {doc['error']}")
    if doc.get("object", "chat.completion") != "chat.completion":
        raise SmokeFailure(f"{where}: 'object' is {doc['object']!r}, expected 'chat.completion'")
    choices = doc.get("choices")
    if not isinstance(choices, list):
        raise SmokeFailure(f"{where}: the response has no 'choices' list")
    if not choices:
        raise SmokeFailure(f"{where}: 'choices' is empty: the server generated nothing")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise SmokeFailure(f"{where}: choices[0] has no 'message' object")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise SmokeFailure(f"{where}: choices[0].message.content is empty")
    return content, _completion_tokens(doc)


def _completion_tokens(doc: dict[str, Any]) -> int | None:
    usage = doc.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
        return int(usage["completion_tokens"])
    return None


def iter_sse_data(lines: Iterable[bytes]) -> Iterator[str]:
    """Yield the ``data`` of each Server-Sent Event (multi-line data joined by newlines)."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):  # comment / keep-alive
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def consume_stream(
    events: Iterable[str], started: float, clock: Callable[[], float] = time.perf_counter
) -> ChatResult:
    """Check a ``chat.completion.chunk`` stream ending in ``[DONE]``; measure TTFT and total."""
    where = "POST /v1/chat/completions (stream)"
    text: list[str] = []
    ttft: float | None = None
    tokens: int | None = None
    chunks = 0
    done = False
    for number, data in enumerate(events, start=1):
        if data.strip() == "[DONE]":
            done = True
            break
        try:
            chunk = json.loads(data)
        except ValueError:
            raise SmokeFailure(f"{where}: event {number} is not JSON: {data[:120]!r}") from None
        if not isinstance(chunk, dict):
            raise SmokeFailure(f"{where}: event {number} is not a JSON object: {data[:120]!r}")
        if chunk.get("error"):
            raise SmokeFailure(f"{where}: the server sent an error mid-stream: {chunk['error']}")
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise SmokeFailure(f"{where}: event {number} has no 'choices' list: {data[:120]!r}")
        chunks += 1
        tokens = _completion_tokens(chunk) or tokens
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                raise SmokeFailure(f"{where}: event {number} has a choice without 'delta'")
            content = delta.get("content")
            if isinstance(content, str) and content:
                if ttft is None:
                    ttft = clock() - started
                text.append(content)
    total = clock() - started
    if not done:
        raise SmokeFailure(
            f"{where}: the stream ended after {chunks} event(s) without 'data: [DONE]' "
            "(connection cut by a proxy or the server?)"
        )
    if not text:
        raise SmokeFailure(f"{where}: the stream finished but carried no content")
    return ChatResult("".join(text), total, ttft, tokens, chunks)


# --------------------------------------------------------------------------------------------
# Requests.


def _chat_payload(model: str, prompt: str, max_tokens: int, stream: bool) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "stream": stream,
    }


def chat_once(
    base: str, model: str, prompt: str, max_tokens: int, *, api_key: str | None, timeout: float
) -> ChatResult:
    url = f"{base}/v1/chat/completions"
    started = time.perf_counter()
    try:
        doc = _http.request_json(
            "POST",
            url,
            payload=_chat_payload(model, prompt, max_tokens, stream=False),
            api_key=api_key,
            timeout=timeout,
        )
    except _http.HttpProblem as exc:
        raise SmokeFailure(str(exc)) from None
    total = time.perf_counter() - started
    content, tokens = check_chat_completion(doc)
    return ChatResult(content, total, completion_tokens=tokens)


def chat_stream(
    base: str, model: str, prompt: str, max_tokens: int, *, api_key: str | None, timeout: float
) -> ChatResult:
    url = f"{base}/v1/chat/completions"
    started = time.perf_counter()
    try:
        with _http.open_request(
            "POST",
            url,
            payload=_chat_payload(model, prompt, max_tokens, stream=True),
            api_key=api_key,
            timeout=timeout,
            accept="text/event-stream",
        ) as response:
            content_type = response.headers.get("Content-Type", "")
            if "text/event-stream" not in content_type:
                body = _http.read_body(response, "POST", url, timeout)
                raise SmokeFailure(
                    f"POST {url} (stream): expected Content-Type text/event-stream, got "
                    f"{content_type!r}: {body[:120]!r}"
                )
            try:
                return consume_stream(iter_sse_data(response), started)
            except (OSError, ValueError) as exc:  # read timeout / cut connection mid-stream
                raise SmokeFailure(
                    f"POST {url} (stream): reading the stream failed: {exc}"
                ) from None
    except _http.HttpProblem as exc:
        raise SmokeFailure(str(exc)) from None


# --------------------------------------------------------------------------------------------
# CLI.


def _excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return json.dumps(flat if len(flat) <= width else flat[: width - 1] + "…", ensure_ascii=False)


def _fmt_tokens(tokens: int | None) -> str:
    return f"  tokens {tokens}" if tokens is not None else ""


def run(args: argparse.Namespace) -> int:
    try:
        base = _http.normalize_base_url(args.url)
        api_key = _http.resolve_api_key(args.api_key)
        served = _http.list_models(base, api_key=api_key, timeout=args.timeout)
        model = _http.pick_model(args.model, served, base)
    except _http.HttpProblem as exc:
        print(f"smoke: FAIL: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"nimctl smoke {base}")
    print(f"  models        {', '.join(served)}")
    print(f"  using model   {model}")

    failures = 0
    checks: list[tuple[str, Callable[..., ChatResult]]] = [
        ("chat", chat_once),
        ("chat (stream)", chat_stream),
    ]
    for label, check in checks:
        try:
            result = check(
                base, model, args.prompt, args.max_tokens, api_key=api_key, timeout=args.timeout
            )
        except SmokeFailure as exc:
            failures += 1
            print(f"  {label:<13} FAIL", flush=True)
            print(f"smoke: FAIL: {exc}", file=sys.stderr, flush=True)
            continue
        timing = f"total {result.total_s:.2f} s"
        if result.ttft_s is not None:
            timing = f"time to first token {result.ttft_s:.3f} s  {timing}  chunks {result.chunks}"
        print(
            f"  {label:<13} ok  {timing}{_fmt_tokens(result.completion_tokens)}  "
            f"{_excerpt(result.text)}"
        )
    if failures:
        print(f"smoke: FAIL ({failures} of {len(checks)} chat checks failed)", file=sys.stderr)
        return EXIT_FAILED
    print("smoke: PASS")
    return EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        required=True,
        help="base URL of the server, e.g. http://localhost:8000 after "
        "`kubectl port-forward svc/<release> 8000:8000`, or a model's Gateway endpoint "
        "http://<ip>/<release>/v1 (`pulumi stack output endpoints`); a path prefix is kept, a "
        "trailing /v1 is accepted",
    )
    parser.add_argument(
        "--model", help="model id to test (must be listed by /v1/models; default: the first one)"
    )
    parser.add_argument(
        "--api-key",
        help=f"bearer token for a server or gateway that wants one (default: ${_http.API_KEY_ENV}; "
        "NIM itself needs none)",
    )
    parser.add_argument(
        "--timeout",
        type=_cli.positive_float,
        default=_http.DEFAULT_TIMEOUT,
        help="seconds to wait for the connection and for each read (default: %(default)g)",
    )
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help="user message to send")
    parser.add_argument(
        "--max-tokens",
        type=_cli.positive_int,
        default=DEFAULT_MAX_TOKENS,
        help="max_tokens of each completion (default: %(default)s)",
    )


COMMAND = _cli.Command(
    name="smoke",
    summary="check that the NIM answers: models, chat, streaming chat",
    description=DESCRIPTION,
    examples=(
        "kubectl -n nim port-forward svc/llama3-8b 8000:8000 &",
        "nimctl smoke --url http://localhost:8000",
        "nimctl smoke --url http://10.10.0.50/llama3-8b/v1   # the Gateway, in the VPC",
    ),
    arguments=add_arguments,
    run=run,
)
