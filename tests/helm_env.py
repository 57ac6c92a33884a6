"""The helm binary and nim-llm chart the ``helm``-marked tests render with, or why they skip.

Found like ``nimctl plan --render`` finds them: ``$HELM``, ``.ci-tools/helm`` (``.ci/run`` installs
it there) or ``helm`` on PATH, and the unpacked chart in ``$NIM_LLM_CHART_DIR``. On a machine
without them the tests skip with the reason; with ``NIM_LLM_RENDER_REQUIRED=1`` (``.ci/run`` sets
it) a missing helm or chart fails the run instead, so CI cannot silently skip the render.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nimctl import chart

HELM = chart.find_helm()
_DIR = os.environ.get(chart.CHART_DIR_ENV)
CHART = Path(_DIR).resolve() if _DIR else None
REQUIRED = os.environ.get("NIM_LLM_RENDER_REQUIRED") == "1"
MISSING = (
    None
    if HELM and CHART and chart.is_chart(CHART)
    else f"set {chart.CHART_DIR_ENV} to an unpacked nim-llm chart and install helm to render it"
    f" (helm: {HELM or 'not found'}; {chart.CHART_DIR_ENV}: {_DIR or 'not set'})"
)


def require_chart() -> tuple[str, Path]:
    """helm and the chart directory, or skip (fail when required) at module level."""
    if MISSING is not None:
        if REQUIRED:
            pytest.fail(f"NIM_LLM_RENDER_REQUIRED=1 but: {MISSING}", pytrace=False)
        pytest.skip(MISSING, allow_module_level=True)
    assert HELM is not None and CHART is not None
    return HELM, CHART
