"""The catalogue: every cause ``nimctl doctor`` can report, its severity and its fix, as data.

A cause identifier names what is wrong (``gpu-quota-exceeded``); a fix identifier names what to do
(``request-gpu-quota``). Both appear in the text and ``--json`` output, and scripts match on them:
never rename one. The fix texts are :mod:`nimctl.doctor.fixes` (``str.format`` templates; the rule
that reports the cause passes the fields they name, ``{ns}`` is always there).

The rules that report these causes live in the area modules (``scheduling``, ``scaleup``,
``capacity``, ``nodes``, ``images``, ``secrets``, ``storage``, ``lifecycle``, ``workloads``,
``autoscaling``, ``gateway``, ``policies``).
"""

from __future__ import annotations

from typing import NamedTuple

from nimctl.doctor.fixes import FIXES
from nimctl.doctor.report import ASLEEP, ERROR, WAITING, WARNING

__all__ = ["CAUSES", "FIXES", "Cause"]


class Cause(NamedTuple):
    severity: str
    fix: str


# cause -> (severity, fix). Tests and scripts rely on these identifiers: never rename one.
CAUSES: dict[str, Cause] = {
    "no-nim-pods": Cause(ERROR, "check-release-namespace"),
    "resource-quota-exceeded": Cause(ERROR, "raise-resource-quota"),
    "pod-create-failed": Cause(ERROR, "describe-workload"),
    "gpu-quota-exceeded": Cause(ERROR, "request-gpu-quota"),
    "gpu-zone-stockout": Cause(ERROR, "use-other-zones"),
    "gpu-scale-up-failed": Cause(ERROR, "check-autoscaler-errors"),
    "gpu-pool-max-reached": Cause(ERROR, "raise-pool-max-nodes"),
    # A GPU pool's ComputeClass: nimctl/doctor/capacity.py
    "compute-class-exhausted": Cause(ERROR, "add-capacity-source"),
    "on-fallback-capacity": Cause(WARNING, "expect-fallback-cost"),
    "gpu-scale-up-in-progress": Cause(WAITING, "wait-for-gpu-node"),
    "gpu-scale-up-stalled": Cause(ERROR, "check-gpu-node-provisioning"),
    "gpu-driver-not-installed": Cause(ERROR, "set-gpu-driver-version"),
    "gpu-driver-installing": Cause(WAITING, "wait-for-gpu-driver"),
    "node-starting": Cause(WAITING, "wait-for-node-ready"),
    "node-went-not-ready": Cause(WAITING, "wait-for-node-recovery"),
    "node-going-away": Cause(WAITING, "wait-for-replacement-pod"),
    "node-not-ready": Cause(ERROR, "check-node"),
    "gpu-unhealthy": Cause(ERROR, "replace-unhealthy-gpu-node"),
    "gpu-driver-install-stuck": Cause(ERROR, "check-gpu-driver-installer"),
    "insufficient-gpu": Cause(ERROR, "add-gpu-capacity"),
    "untolerated-taint": Cause(ERROR, "add-toleration"),
    "node-selector-matches-no-pool": Cause(ERROR, "fix-node-selector"),
    "pod-too-large-for-node": Cause(ERROR, "fit-requests-to-node"),
    "insufficient-node-resources": Cause(ERROR, "add-capacity-or-lower-requests"),
    "unschedulable": Cause(ERROR, "read-scheduler-message"),
    "image-pull-unauthorized": Cause(ERROR, "fix-ngc-pull-secret"),
    "image-pull-no-credentials": Cause(ERROR, "create-image-pull-secret"),
    "pull-secret-not-found": Cause(ERROR, "create-image-pull-secret"),
    "image-pull-not-entitled": Cause(ERROR, "get-nim-entitlement"),
    "image-pull-forbidden": Cause(ERROR, "check-ngc-entitlement"),
    "image-not-found": Cause(ERROR, "fix-image-reference"),
    "mirror-pull-forbidden": Cause(ERROR, "grant-node-artifact-reader"),
    "mirror-repository-not-found": Cause(ERROR, "fix-mirror-repository"),
    "mirror-upstream-failed": Cause(ERROR, "fix-mirror-upstream"),
    "image-pull-failed": Cause(ERROR, "check-image-pull"),
    "image-pulling": Cause(WAITING, "wait-for-image-pull"),
    "secret-not-found": Cause(ERROR, "create-api-key-secret"),
    "secret-key-not-found": Cause(ERROR, "add-secret-key"),
    "container-config-error": Cause(ERROR, "fix-container-config"),
    "volume-mount-failed": Cause(ERROR, "fix-volume-mount"),
    "gcsfuse-sidecar-missing": Cause(ERROR, "enable-gcsfuse-sidecar"),
    "gcsfuse-bucket-forbidden": Cause(ERROR, "grant-bucket-access"),
    "gcsfuse-bucket-not-found": Cause(ERROR, "fix-bucket-name"),
    "gcsfuse-credentials-pending": Cause(WAITING, "wait-for-workload-identity"),
    "volume-zone-conflict": Cause(ERROR, "keep-cache-in-gpu-zone"),
    "volume-zone-conflict-regional-possible": Cause(ERROR, "use-regional-disk"),
    "pvc-storage-class-not-found": Cause(ERROR, "fix-storage-class"),
    "pvc-no-storage-class": Cause(ERROR, "set-storage-class"),
    "pvc-provisioning-failed": Cause(ERROR, "fix-provisioning"),
    "pvc-provisioning": Cause(WAITING, "wait-for-volume"),
    "pvc-provisioner-stuck": Cause(ERROR, "check-csi-driver"),
    "pvc-pending": Cause(ERROR, "describe-pvc"),
    "model-loading": Cause(WAITING, "wait-for-model-load"),
    "startup-probe-budget-exceeded": Cause(ERROR, "extend-startup-budget"),
    "readiness-probe-failing": Cause(ERROR, "check-readiness"),
    "liveness-probe-failing": Cause(ERROR, "check-liveness"),
    "pod-not-ready": Cause(WAITING, "wait-for-ready"),
    "oom-killed": Cause(ERROR, "raise-memory-limit"),
    "crash-loop": Cause(ERROR, "read-previous-logs"),
    "container-waiting": Cause(ERROR, "describe-pod"),
    "pod-failed": Cause(ERROR, "describe-pod"),
    "node-shutdown": Cause(WAITING, "wait-for-replacement-pod"),
    "release-asleep": Cause(ASLEEP, "wake-when-needed"),
    "release-paused": Cause(ERROR, "hand-back-to-hpa"),
    "node-below-scale-to-zero": Cause(WARNING, "upgrade-nodes-for-scale-to-zero"),
    "hpa-metric-pending": Cause(WAITING, "wait-for-first-metric"),
    "hpa-metric-unavailable": Cause(ERROR, "fix-hpa-metric"),
    "metrics-api-unavailable": Cause(ERROR, "fix-metrics-adapter"),
    # The Gateway in front of the releases: nimctl/doctor/gateway.py, policies.py
    "gateway-programming": Cause(WAITING, "wait-for-gateway"),
    "route-pending": Cause(WAITING, "wait-for-gateway"),
    "policy-pending": Cause(WAITING, "wait-for-gateway"),
    "gateway-not-accepted": Cause(ERROR, "check-gateway-class"),
    "gateway-address-not-usable": Cause(ERROR, "fix-gateway-address"),
    "gateway-not-programmed": Cause(ERROR, "read-gateway-status"),
    "gateway-controller-missing": Cause(ERROR, "enable-gateway-controller"),
    "gateway-proxy-subnet-missing": Cause(ERROR, "create-proxy-only-subnet"),
    "gateway-load-balancer-error": Cause(ERROR, "fix-load-balancer-error"),
    "gateway-invalid": Cause(ERROR, "fix-gateway-spec"),
    "gateway-no-address": Cause(ERROR, "read-gateway-status"),
    "route-not-accepted": Cause(ERROR, "fix-route-parent"),
    "route-backend-not-found": Cause(ERROR, "create-route-backend"),
    "route-ref-not-permitted": Cause(ERROR, "keep-backends-in-namespace"),
    "route-refs-unresolved": Cause(ERROR, "read-route-status"),
    "route-backend-not-ready": Cause(ERROR, "drain-or-fix-version"),
    "route-unsupported-field": Cause(ERROR, "remove-unsupported-route-field"),
    "health-check-policy-missing": Cause(ERROR, "add-health-check-policy"),
    "health-check-mismatch": Cause(ERROR, "fix-health-check-policy"),
    "health-check-before-ready": Cause(ERROR, "check-readiness-path"),
    "backend-policy-missing": Cause(WARNING, "add-backend-policy"),
    "policy-not-attached": Cause(ERROR, "fix-policy-target"),
    "cache-of-removed-version": Cause(WARNING, "delete-retained-cache"),
}
