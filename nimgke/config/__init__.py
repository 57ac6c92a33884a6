"""Read and validate the whole stack configuration into typed objects, before anything is created.

One entry point for the Pulumi program (:func:`load_from_pulumi`) and one for tools that read a
stack file without the Pulumi CLI (:func:`load_stack_file`). Both run the same two passes:

1. shape: pydantic models (strict: ``"2"`` is not a number and ``yes`` is not a boolean),
   :mod:`~nimgke.config.settings`, reported by :mod:`~nimgke.config.shape`;
2. meaning: the rules of each area against the hardware and model catalogs, one module each:
   :mod:`~nimgke.config.check_cluster` (project, region, zones, pools),
   :mod:`~nimgke.config.check_nim` (chart, model cache, models, replicas),
   :mod:`~nimgke.config.check_rollout` (canaries, greenPool, version names, headroom, Gateway;
   versions resolved in :mod:`~nimgke.config.versions`),
   :mod:`~nimgke.config.check_security` (control plane, NGC key, maintenance, budget),
   :mod:`~nimgke.config.check_monitoring` (dashboard, alerts),
   :mod:`~nimgke.config.check_autoscaling` (the HPA: GKE versions, sleeping, wake signals),
   :mod:`~nimgke.config.check_capacity` (the priorities of each GPU pool's ComputeClass),
   run in that order by :func:`~nimgke.config.loading.parse`.

Every mistake becomes a :class:`Problem` naming the config key, the value, the rule and a fix; all
problems of a pass are reported together in one :class:`ConfigError` (a ``pulumi.RunError``, which
Pulumi prints without a Python traceback). Risks that are not errors are
:mod:`~nimgke.config.warnings`. Adding a rule: one function in the area's module and one row in
``tests/test_config_validation.py``.
"""

from nimgke.config._base import (
    NAMESPACE,
    NGC_KEY,
    PROJECT_KEY,
    REGIONAL_CACHE_CLASS_PREFIX,
    STORAGE_CLASSES,
    ConfigError,
    Problem,
    _parse_cpu_milli,
    _parse_quantity_gib,
)
from nimgke.config.loading import load_from_pulumi, load_stack_file, parse, read_stack_file
from nimgke.config.resolved import ModelPlan, StackConfig
from nimgke.config.settings import StackSettings
from nimgke.models import MODELS

__all__ = [
    "MODELS",
    "NAMESPACE",
    "NGC_KEY",
    "PROJECT_KEY",
    "REGIONAL_CACHE_CLASS_PREFIX",
    "STORAGE_CLASSES",
    "ConfigError",
    "ModelPlan",
    "Problem",
    "StackConfig",
    "StackSettings",
    "_parse_cpu_milli",
    "_parse_quantity_gib",
    "load_from_pulumi",
    "load_stack_file",
    "parse",
    "read_stack_file",
]
