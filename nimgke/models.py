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


# --- NIM_MODEL_PROFILE on one L4 ----------------------------------------------------------------
#
# NIM ships prebuilt TensorRT-LLM engines for H100/A100/L40S/A10G, not L4; on an L4 it falls back
# to a vLLM ("non-optimized") profile, which NIM picks at start unless NIM_MODEL_PROFILE pins one
# (docs.nvidia.com/nim/large-language-models, "Model profiles"). A profile id belongs to an image
# version's model manifest, so a pin is keyed by (model, tag) and only applies to exactly that
# tag. Where nothing is known, the stack runs without a pin and `pulumi preview` says so
# (nimgke/config/warnings.py).


@dataclass(frozen=True)
class PinnedProfile:
    profile_id: str
    name: str
    """The profile's name as ``list-model-profiles`` prints it."""
    gpu: str
    """The GPU type the pin is for (the pool's ``gpuType``)."""
    gpus: int
    """GPUs per node it runs on (the ``tp`` of the profile)."""
    source: str


L4_PROFILES: dict[tuple[str, str], PinnedProfile] = {
    ("meta/llama3-8b-instruct", "1.0.3"): PinnedProfile(
        profile_id="8835c31752fbc67ef658b20a9f78e056914fdef0660206d82f252d62fd96064d",
        name="vllm-fp16-tp1",
        gpu="nvidia-l4",
        gpus=1,
        source=(
            "`list-model-profiles` of nvcr.io/nim/meta/llama3-8b-instruct 1.0.3 (chart nim-llm "
            "appVersion 1.0.3) on a single 24 GB A10: the only profile 'Compatible with system' "
            "is 8835c317... (vllm-fp16-tp1), every tensorrt_llm profile is for H100/A100/L40S/A10G "
            "(public NIM-on-Kubernetes walkthrough quoting the output, and NIM 1.0 logs 'Selected "
            "profile: 8835c317... (vllm-fp16-tp1)'); the vLLM profile names no GPU, so it is the "
            "one an L4 (24 GB) selects too. NVIDIA, NIM for LLMs 1.0 docs, 'Model Profiles': "
            "NIM_MODEL_PROFILE takes a profile id or name printed by list-model-profiles. "
            "Read 2026-11-28; check it with list-model-profiles on your node."
        ),
    ),
}


def pinned_profile(name: str, tag: str, gpu: str, gpus: int) -> PinnedProfile | None:
    """The known profile for this model, tag and GPU (None: let NIM select, and warn)."""
    pin = L4_PROFILES.get((name, tag))
    if pin is None or pin.gpu != gpu or pin.gpus != gpus:
        return None
    return pin
