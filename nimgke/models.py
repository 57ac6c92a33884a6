"""The NIM images this project knows, and how much GPU memory and cache each needs.

Parameter counts are from the models' Hugging Face model cards (meta-llama/*, read 2026-11-28).
Image names follow NGC's catalog (``nvcr.io/nim/<publisher>/<model>``); the tags listed are
examples that were published, not a support statement: pin the tag you tested in the stack file.

Memory figures are ESTIMATES computed here, not measured: weights = parameters x bytes per
parameter of the precision; the GPU must hold the weights plus a KV-cache and activation margin
of ``KV_CACHE_MARGIN`` (20 %) of the weights. The model cache volume must hold the downloaded
checkpoint plus a locally built engine or converted weights (``CACHE_FACTOR`` x weights) plus
``CACHE_HEADROOM_GIB`` for tokenizer, configs and logs.
"""

from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_PARAM: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
KV_CACHE_MARGIN = 0.20
CACHE_FACTOR = 1.5
CACHE_HEADROOM_GIB = 5.0


@dataclass(frozen=True)
class NimModel:
    name: str
    """The OpenAI model id NIM serves (``model.name`` in the chart)."""
    image: str
    params_billion: float
    default_precision: str = "bf16"
    example_tag: str = ""
    host_memory_gb: float | None = None
    """Host (CPU) memory NIM wants while loading, from NVIDIA's NIM 1.3.0 support matrix "rough
    guide" (llama 8b ~15 GB, llama 70b ~131 GB; read 2026-11-28). None where NVIDIA gives none."""


MODELS: dict[str, NimModel] = {
    m.name: m
    for m in (
        NimModel(
            "meta/llama3-8b-instruct",
            "nvcr.io/nim/meta/llama3-8b-instruct",
            8.03,
            example_tag="1.0.3",
            host_memory_gb=15,
        ),
        NimModel(
            "meta/llama-3.1-8b-instruct",
            "nvcr.io/nim/meta/llama-3.1-8b-instruct",
            8.03,
            example_tag="1.3.3",
            host_memory_gb=15,
        ),
        NimModel(
            "meta/llama3-70b-instruct",
            "nvcr.io/nim/meta/llama3-70b-instruct",
            70.6,
            example_tag="1.0.3",
            host_memory_gb=131,
        ),
        NimModel(
            "meta/llama-3.1-70b-instruct",
            "nvcr.io/nim/meta/llama-3.1-70b-instruct",
            70.6,
            example_tag="1.3.3",
            host_memory_gb=131,
        ),
        NimModel(
            "meta/llama-3.2-1b-instruct",
            "nvcr.io/nim/meta/llama-3.2-1b-instruct",
            1.24,
            example_tag="1.8.5",
        ),
        NimModel(
            "meta/llama-3.2-3b-instruct",
            "nvcr.io/nim/meta/llama-3.2-3b-instruct",
            3.21,
            example_tag="1.8.5",
        ),
    )
}


def weights_gb(params_billion: float, precision: str) -> float:
    """Size of the weights in GB (10^9 bytes)."""
    return params_billion * BYTES_PER_PARAM[precision]


def gpu_memory_needed_gb(params_billion: float, precision: str) -> float:
    """ESTIMATE: weights plus the KV-cache margin, in GB."""
    return weights_gb(params_billion, precision) * (1 + KV_CACHE_MARGIN)


def cache_needed_gib(params_billion: float, precision: str) -> float:
    """ESTIMATE: model cache volume needed for checkpoint plus engine, in GiB."""
    weights_gib = weights_gb(params_billion, precision) * 1e9 / 1024**3
    return weights_gib * CACHE_FACTOR + CACHE_HEADROOM_GIB


def model_for_image(image: str) -> NimModel | None:
    for model in MODELS.values():
        if model.image == image:
            return model
    return None
