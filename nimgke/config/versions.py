"""The versions of each model: one Helm release per (tag, pool), and the share of traffic each gets.

A model has a *main* version (its ``tag`` on its ``pool``) and at most one *canary* (``canary:``).
Each version is its own ``nim-llm`` release named from the model's release, the tag and the pool
(``llama3-8b-1-0-3``; ``llama3-8b-1-1-2-green`` on greenPool), with its own StatefulSet, cache PVC
and Service. A StatefulSet rolling update replaces the one pod a model has, so changing the tag in
place would mean minutes without a server; instead a new tag is a new release that starts beside
the old one, and promotion renames nothing: after ``canary.weight: 100`` and then ``tag: <new>``
(the canary block removed), the release of the new tag already exists with the same values, so
nothing restarts, and the old one is removed.

The names follow the chart (``../shared/reference/nim-llm-1.3.0/templates/_helpers.tpl``,
``nim-llm.fullname``): the StatefulSet and the Service are ``<release>-nim-llm``, or ``<release>``
when the release name contains ``nim-llm``, cut at 63 characters; the headless Service adds
``-sts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nimgke.config._base import NAMESPACE, Problem
from nimgke.config.check_nim import _DNS_1035, _check_model, _release_name
from nimgke.config.pools import MAIN_POOL, pool_budget, pool_view
from nimgke.config.resolved import ModelPlan, StackConfig
from nimgke.config.settings import ModelSettings, StackSettings

CHART = "nim-llm"
# Services are DNS-1035 labels (a letter first; k8s.io/apimachinery validation
# NameIsDNS1035Label, used by ValidateServiceName): the model's stable Service is named after its
# release, and the chart's Service after each version's.
DNS_1035 = _DNS_1035
DNS_LABEL_MAX = 63
# A StatefulSet's pods carry the label controller-revision-hash = "<StatefulSet name>-<hash>"
# (kubernetes pkg/controller/history/controller_history.go ControllerRevisionName, hash =
# rand.SafeEncodeString of an FNV-32 sum, up to 10 characters; statefulset's setPodRevision), and a
# label value is at most 63 characters: a StatefulSet named longer than 52 gets no pod
# (kubernetes/kubernetes#64023, "must be no more than 63 characters").
STATEFULSET_NAME_MAX = DNS_LABEL_MAX - 1 - 10
MAIN, CANARY = "main", "canary"


def tag_slug(tag: str) -> str:
    """A tag as a DNS label fragment: ``1.1.2`` -> ``1-1-2``, ``1.0.3_RC1`` -> ``1-0-3-rc1``."""
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def version_release(model_release: str, tag: str, pool: str) -> str:
    """The Helm release of one version: the model's release, the tag, and the pool if not gpu."""
    suffix = "" if pool == MAIN_POOL else f"-{pool}"
    return f"{model_release}-{tag_slug(tag)}{suffix}"


def chart_fullname(release: str) -> str:
    """``nim-llm.fullname`` of the chart: the StatefulSet's and the Service's name."""
    name = release if CHART in release else f"{release}-{CHART}"
    return name[:DNS_LABEL_MAX].rstrip("-")


def route_prefix(model_release: str) -> str:
    """The path under which the Gateway serves a model's OpenAI API (``/<release>/v1``)."""
    return f"/{model_release}/v1"


@dataclass(frozen=True)
class Version:
    """One release of a model, resolved."""

    model: str
    """The model's release name: its stable Service and its route."""
    index: int
    """Position in ``nim.models`` (for messages)."""
    role: str
    """``main`` or ``canary``."""
    release: str
    """The Helm release of this version."""
    pool: str
    weight: int
    """Percent of the model's requests this version gets."""
    plan: ModelPlan

    @property
    def service(self) -> str:
        """The chart's Service of this version (the Gateway's backend)."""
        return chart_fullname(self.release)


def canary_model(m: ModelSettings) -> ModelSettings | None:
    """The model as its canary runs it: the canary's tag, and its image, replicas and pool where
    it sets them (the model's otherwise). A profile id belongs to one tag's model manifest
    (:data:`nimgke.models.L4_PROFILES`): the canary inherits the model's ``profile`` only for the
    same tag (a move to greenPool); for a new tag it is ``canary.profile``, else the catalog's pin
    for that tag, else none (and ``pulumi preview`` warns)."""
    c = m.canary
    if c is None:
        return None
    inherited = m.profile if c.tag.strip() == m.tag.strip() else None
    return m.model_copy(
        update={
            "tag": c.tag,
            "image": c.image if c.image is not None else m.image,
            "profile": c.profile if c.profile is not None else inherited,
            "replicas": c.replicas if c.replicas is not None else m.replicas,
            "pool": c.pool if c.pool is not None else m.pool,
            "canary": None,
        }
    )


_OWN_FIELDS = {"tag": "tag", "image": "image"}
"""Fields whose problems, found on the canary, are the canary's own settings."""


def plan_canary(
    i: int, m: ModelSettings, s: StackSettings
) -> tuple[list[Problem], ModelPlan | None]:
    """The canary's resolved values, checked like a model on the canary's pool. Problems of the
    model's own settings on the model's pool are the model's (reported once, by check_nim)."""
    cm = canary_model(m)
    if cm is None:
        return [], None
    found, plan = _check_model(i, cm, pool_view(s, cm.pool), pool_budget(s, cm.pool))
    key = f"{NAMESPACE}:nim.models[{i}]"
    problems = []
    for p in found:
        field = p.key.removeprefix(f"{key}.")
        if field in _OWN_FIELDS and (field != "image" or m.canary and m.canary.image):
            problems.append(Problem(f"{key}.canary.{field}", p.value, p.rule, p.fix))
        elif cm.pool != m.pool and field in ("name", "cpu", "memory"):
            # The same request on another machine: the canary's pool is what does not fit.
            problems.append(
                Problem(
                    f"{key}.canary.pool",
                    cm.pool,
                    f"on this pool, nim.models[{i}].{field} = {p.value!r}: {p.rule}",
                    p.fix,
                )
            )
    return problems, plan


def model_versions(
    i: int, m: ModelSettings, main: ModelPlan, canary: ModelPlan | None
) -> list[Version]:
    weight = m.canary.weight if m.canary is not None and canary is not None else 0
    release = main.release
    out = [
        Version(
            release, i, MAIN, version_release(release, main.tag, m.pool), m.pool, 100 - weight, main
        )
    ]
    if canary is not None:
        out.append(
            Version(
                release,
                i,
                CANARY,
                version_release(release, canary.tag, canary.pool),
                canary.pool,
                weight,
                canary,
            )
        )
    return out


def versions(cfg: StackConfig) -> list[Version]:
    """Every version of every model of a validated stack, mains first within each model."""
    s = cfg.settings
    by_release = {p.release: p for p in cfg.models}
    out: list[Version] = []
    for i, m in enumerate(s.nim.models):
        main = by_release[_release_name(m)]
        _, canary = plan_canary(i, m, s)
        out += model_versions(i, m, main, canary)
    return out


def stable_target(model_versions: list[Version]) -> Version:
    """The version a model's stable Service selects: the one that takes all the traffic (the
    canary at weight 100), else the main one. A Service selector cannot split traffic."""
    return next((v for v in model_versions if v.weight == 100), model_versions[0])
