"""AIPerf, the program ``nimctl bench`` runs: NVIDIA AIPerf (``aiperf profile``, PyPI package
``aiperf``, checked with 0.13.0), the presets, the plan of a sweep and its command lines.

AIPerf is not imported: it is a separate program with heavy dependencies, best installed in its
own virtualenv (see INSTALL below).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

AIPERF_VERSION = "0.13.0"
AIPERF_ENV = "NIMCTL_AIPERF"
INSTALL = (
    f"python3 -m venv ~/.venvs/aiperf && ~/.venvs/aiperf/bin/pip install 'aiperf=={AIPERF_VERSION}'"
)
EXPORT_FILE = "profile_export_aiperf.json"  # AIPerf's summary export in each artifact dir
CONSOLE_LOG = "aiperf-console.log"
LEVEL_PREFIX = "concurrency-"
RANDOM_SEED = 42


class BenchError(Exception):
    """A problem the user can fix; ``str()`` is the message."""


@dataclass(frozen=True)
class Preset:
    """A workload shape swept over concurrency levels."""

    name: str
    description: str
    isl: int  # input (prompt) tokens per request
    osl: int  # output tokens per request (ignore_eos makes the server produce exactly this)
    concurrencies: tuple[int, ...]
    min_requests: int  # per level
    requests_per_stream: int  # per level: concurrency x this, at least min_requests

    def request_count(self, concurrency: int) -> int:
        return max(self.min_requests, concurrency * self.requests_per_stream)


SWEEP = (1, 2, 4, 8, 16)
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("quick", "check the setup in a few minutes: 128 in / 64 out", 128, 64, (1, 4), 4, 2),
        Preset(
            "chat",
            "interactive chat: 512 in / 256 out; TTFT and per-stream tokens/s",
            512,
            256,
            SWEEP,
            8,
            2,
        ),
        Preset(
            "summarize",
            "long prompt, short answer: 2048 in / 256 out; prefill-bound, stresses TTFT",
            2048,
            256,
            SWEEP,
            8,
            2,
        ),
        Preset(
            "generate",
            "short prompt, long answer: 256 in / 512 out; decode-bound, stresses ITL and "
            "aggregate tokens/s",
            256,
            512,
            SWEEP,
            8,
            2,
        ),
    )
}


@dataclass(frozen=True)
class Plan:
    """Everything needed to build the AIPerf command lines of one sweep."""

    aiperf: str
    url: str
    model: str
    preset: Preset
    out_dir: Path
    concurrencies: tuple[int, ...]
    isl: int
    osl: int
    tokenizer: str = "builtin"
    request_count: int | None = None  # fixed per level, else from the preset
    request_timeout: float = 600.0
    api_key: str | None = None

    def requests_at(self, concurrency: int) -> int:
        return self.request_count or self.preset.request_count(concurrency)


def level_dir(out_dir: Path, concurrency: int) -> Path:
    return out_dir / f"{LEVEL_PREFIX}{concurrency:03d}"


def aiperf_command(plan: Plan, concurrency: int) -> list[str]:
    """The ``aiperf profile`` command line for one concurrency level (flags of aiperf 0.13.0)."""
    cmd = [
        plan.aiperf,
        "profile",
        "--model",
        plan.model,
        "--url",
        plan.url,
        "--endpoint-type",
        "chat",
        "--streaming",
        "--concurrency",
        str(concurrency),
        "--request-count",
        str(plan.requests_at(concurrency)),
        "--warmup-request-count",
        str(concurrency),
        "--isl",
        str(plan.isl),
        "--isl-stddev",
        "0",
        "--osl",
        str(plan.osl),
        "--osl-stddev",
        "0",
        # Generate exactly --osl tokens (NIM/vLLM honour ignore_eos), so levels compare.
        "--extra-inputs",
        "ignore_eos:true",
        # Count tokens from the server's usage: no Hugging Face tokenizer download needed for
        # the metrics (the tokenizer only shapes the synthetic prompts).
        "--use-server-token-count",
        "--tokenizer",
        plan.tokenizer,
        "--random-seed",
        str(RANDOM_SEED),
        "--request-timeout-seconds",
        f"{plan.request_timeout:g}",
        "--artifact-dir",
        str(level_dir(plan.out_dir, concurrency)),
        "--ui-type",
        "none",
        # No DCGM exporter next to the client, and NIM serves /v1/metrics, which AIPerf 0.13.0
        # does not scrape (it looks for <url>/metrics): skip both collectors.
        "--no-gpu-telemetry",
        "--no-server-metrics",
    ]
    if plan.api_key:
        cmd += ["--api-key", plan.api_key]
    return cmd


def redacted(cmd: Sequence[str]) -> str:
    """Shell-quoted command with the value of --api-key hidden."""
    shown = list(cmd)
    for i, arg in enumerate(shown[:-1]):
        if arg == "--api-key":
            shown[i + 1] = "<redacted>"
    return shlex.join(shown)


def find_aiperf(explicit: str | None) -> str:
    """--aiperf PATH, else $NIMCTL_AIPERF, else ``aiperf`` on PATH."""
    candidate = explicit or os.environ.get(AIPERF_ENV)
    if candidate:
        path = Path(candidate).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(candidate)
        if found:
            return found
        raise BenchError(
            f"AIPerf not found at {candidate!r} (--aiperf / ${AIPERF_ENV}). Install it into its "
            f"own virtualenv: {INSTALL}, then pass --aiperf ~/.venvs/aiperf/bin/aiperf"
        )
    found = shutil.which("aiperf")
    if found:
        return found
    raise BenchError(
        "AIPerf is not installed (no `aiperf` on PATH). Install it into its own virtualenv: "
        f"{INSTALL}, then pass --aiperf ~/.venvs/aiperf/bin/aiperf (or set ${AIPERF_ENV}, or "
        "put it on PATH)."
    )
