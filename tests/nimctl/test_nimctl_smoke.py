"""``nimctl smoke`` against a fake OpenAI-compatible server on 127.0.0.1 (ephemeral port)."""

from __future__ import annotations

import pytest
from fake_openai import DEFAULT_MODEL, FakeOpenAI

from nimctl import smoke


def test_passes_against_a_healthy_server(run_cli) -> None:
    with FakeOpenAI() as server:
        code, out, err = run_cli(smoke, "smoke", "--url", server.url, "--max-tokens", "5")
    assert code == 0, err
    assert err == ""
    assert f"using model   {DEFAULT_MODEL}" in out
    assert "  chat          ok  total " in out
    assert "  chat (stream) ok  time to first token " in out
    assert "tokens 5" in out  # usage.completion_tokens of the non-streaming answer
    assert out.rstrip().endswith("smoke: PASS")
    posts = [body for method, path, body in server.requests if method == "POST"]
    assert [b["stream"] for b in posts] == [False, True]
    assert all(b["model"] == DEFAULT_MODEL and b["max_tokens"] == 5 for b in posts)
    assert ("GET", "/v1/models", None) in server.requests


def test_uses_the_first_listed_model_unless_told(run_cli) -> None:
    with FakeOpenAI(models=("meta/llama3-8b-instruct", "meta/llama3-70b-instruct")) as server:
        code, out, _ = run_cli(smoke, "smoke", "--url", server.url)
        assert code == 0
        assert "using model   meta/llama3-8b-instruct" in out
        code, out, _ = run_cli(
            smoke, "smoke", "--url", server.url, "--model", "meta/llama3-70b-instruct"
        )
        assert code == 0
        assert server.requests[-1][2]["model"] == "meta/llama3-70b-instruct"


def test_accepts_url_without_scheme_and_with_v1_suffix(run_cli) -> None:
    with FakeOpenAI() as server:
        bare = server.url.removeprefix("http://") + "/v1/"
        code, out, _ = run_cli(smoke, "smoke", "--url", bare)
    assert code == 0
    assert f"nimctl smoke {server.url}" in out


def test_connection_refused(run_cli, free_port: int) -> None:
    code, out, err = run_cli(smoke, "smoke", "--url", f"http://127.0.0.1:{free_port}")
    assert code == 1
    assert f"smoke: FAIL: cannot connect to 127.0.0.1:{free_port}: connection refused" in err
    assert "port-forward svc/<release> 8000:8000" in err
    assert "pulumi stack output endpoints" in err
    assert "pulumi stack output portForward" in err
    # a sleeping version has no pod to forward to: how to wake it
    assert "has no pod to forward to: `nimctl wake -n nim`" in err
    assert out == ""


def test_401_without_a_key_says_to_pass_one(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIMCTL_API_KEY", raising=False)
    with FakeOpenAI(api_key="s3cret") as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url)
    assert code == 1
    assert "GET " + server.url + "/v1/models returned HTTP 401" in err
    assert "wants a bearer token. Pass --api-key or set $NIMCTL_API_KEY" in err


def test_401_with_a_wrong_key_says_it_was_rejected(run_cli) -> None:
    with FakeOpenAI(api_key="s3cret") as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url, "--api-key", "wrong")
    assert code == 1
    assert "HTTP 401" in err
    assert "the API key was rejected" in err
    assert "not the NGC key" in err


def test_api_key_from_environment(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIMCTL_API_KEY", "s3cret")
    with FakeOpenAI(api_key="s3cret") as server:
        code, out, err = run_cli(smoke, "smoke", "--url", server.url)
    assert code == 0, err
    assert "smoke: PASS" in out


def test_404_on_models_means_wrong_base_url(run_cli) -> None:
    with FakeOpenAI(mode="models-404") as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url)
    assert code == 1
    assert "/v1/models returned HTTP 404" in err
    assert "does not look like an OpenAI-compatible server" in err


def test_500_fails_both_chat_checks_with_the_server_message(run_cli) -> None:
    with FakeOpenAI(mode="chat-500") as server:
        code, out, err = run_cli(smoke, "smoke", "--url", server.url)
    assert code == 1
    assert "  chat          FAIL" in out
    assert "  chat (stream) FAIL" in out
    assert "/v1/chat/completions returned HTTP 500 (server said: CUDA out of memory)" in err
    assert "kubectl -n nim logs -l app.kubernetes.io/name=nim-llm" in err
    assert "smoke: FAIL (2 of 2 chat checks failed)" in err


def test_unknown_model_lists_what_is_served(run_cli) -> None:
    with FakeOpenAI() as server:
        code, out, err = run_cli(smoke, "smoke", "--url", server.url, "--model", "meta/llama-9000")
    assert code == 1
    assert (
        f"model 'meta/llama-9000' is not served by {server.url}; it serves: {DEFAULT_MODEL}" in err
    )
    assert not [r for r in server.requests if r[0] == "POST"]  # stopped before chatting
    assert out == ""


@pytest.mark.parametrize(
    ("mode", "message", "failed"),
    [
        (
            "models-malformed",
            "/v1/models did not return JSON (HTTP 200, Content-Type 'text/html')",
            None,
        ),
        ("no-models", "the server lists no models", None),
        ("chat-malformed", "/v1/chat/completions did not return JSON", 1),
        ("empty-choices", "'choices' is empty: the server generated nothing", 1),
        ("stream-no-done", "the stream ended after 10 event(s) without 'data: [DONE]'", 1),
        ("stream-no-content", "the stream finished but carried no content", 1),
        ("stream-malformed", '(stream): event 3 is not JSON: \'{"id": "chat-2", "choices": [\'', 1),
    ],
)
def test_malformed_or_empty_responses(run_cli, mode: str, message: str, failed: int | None) -> None:
    with FakeOpenAI(mode=mode) as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url, "--max-tokens", "8")
    assert code == 1
    assert message in err
    if failed is not None:
        assert f"smoke: FAIL ({failed} of 2 chat checks failed)" in err


def test_stream_read_timeout(run_cli) -> None:
    with FakeOpenAI(token_delay=1.0) as server:
        code, out, err = run_cli(
            smoke, "smoke", "--url", server.url, "--timeout", "0.3", "--max-tokens", "2"
        )
    assert code == 1
    assert "  chat          ok" in out  # the non-streaming answer is not delayed
    assert "(stream): reading the stream failed: timed out" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["smoke"], "the following arguments are required: --url"),
        (["smoke", "--url", "x", "--timeout", "0"], "must be > 0, got 0"),
        (["smoke", "--url", "x", "--max-tokens", "many"], "'many' is not an integer"),
    ],
)
def test_argument_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        smoke.COMMAND.build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_url_is_a_clear_failure(run_cli) -> None:
    code, _, err = run_cli(smoke, "smoke", "--url", "ftp://example")
    assert code == 1
    assert "--url 'ftp://example' is not an http(s) URL" in err


def test_sse_parser_joins_multiline_data_and_skips_comments() -> None:
    lines = [
        b": keep-alive\r\n",
        b"event: message\r\n",
        b'data: {"a":\r\n',
        b"data: 1}\r\n",
        b"\r\n",
        b"data:[DONE]\n",
    ]
    assert list(smoke.iter_sse_data(lines)) == ['{"a":\n1}', "[DONE]"]


def test_time_to_first_token_is_the_first_non_empty_delta() -> None:
    ticks = iter([0.25, 0.5, 0.9])
    chunk = '{"choices": [{"delta": {"content": %s}}]}'
    events = [chunk % '""', chunk % '"Hi"', chunk % '" there"', "[DONE]"]
    result = smoke.consume_stream(events, started=0.0, clock=lambda: next(ticks))
    assert result.text == "Hi there"
    assert result.ttft_s == 0.25
    assert result.total_s == 0.5
    assert result.chunks == 3


def test_error_event_mid_stream_is_reported() -> None:
    with pytest.raises(smoke.SmokeFailure, match="sent an error mid-stream: .*KV cache"):
        smoke.consume_stream(['{"error": {"message": "KV cache full"}}'], started=0.0)


def test_help_describes_the_checks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        smoke.COMMAND.build_parser().parse_args(["smoke", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "GET /v1/models" in text
    assert "time to first token" in text
    assert "--api-key" in text and "NIMCTL_API_KEY" in text


# --- a model's Gateway endpoint, http://<ip>/<release>/v1 ----------------------------------


@pytest.mark.parametrize(
    "url_path", ["/llama3-8b/v1", "/llama3-8b/v1/", "/llama3-8b"], ids=["v1", "slash", "bare"]
)
def test_passes_against_a_gateway_endpoint_with_a_path_prefix(run_cli, url_path: str) -> None:
    """The HTTPRoute serves /<release>/v1/... (rewritten to /v1/...): smoke keeps the prefix."""
    with FakeOpenAI(prefix="/llama3-8b") as server:
        code, out, err = run_cli(
            smoke, "smoke", "--url", server.url + url_path, "--max-tokens", "3"
        )
    assert code == 0, err
    assert f"nimctl smoke {server.url}/llama3-8b" in out
    assert out.rstrip().endswith("smoke: PASS")
    assert server.received == [
        "/llama3-8b/v1/models",
        "/llama3-8b/v1/chat/completions",
        "/llama3-8b/v1/chat/completions",
    ]


def test_the_gateway_without_the_models_prefix_is_not_found(run_cli) -> None:
    with FakeOpenAI(prefix="/llama3-8b") as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url)
    assert code == 1
    assert f"GET {server.url}/v1/models returned HTTP 404" in err
    assert "or the Gateway endpoint http://<ip>/<release>/v1" in err


def test_no_healthy_backend_behind_the_gateway_points_at_doctor(run_cli) -> None:
    with FakeOpenAI(prefix="/llama3-8b", mode="no-healthy-upstream") as server:
        code, _, err = run_cli(smoke, "smoke", "--url", server.url + "/llama3-8b/v1")
    assert code == 1
    assert "returned HTTP 503 (server said: no healthy upstream)" in err
    assert "the load balancer has no healthy backend for this route" in err
    assert "/v1/health/ready on port 8000" in err
    assert "nimctl doctor" in err
    # what a sleeping version behind the Gateway answers, and when to retry
    assert "this answer is the load balancer's while no pod runs" in err
    assert "retry in a few minutes (about 7 from zero GPU nodes)" in err
    assert "`nimctl wake -n nim`" in err
