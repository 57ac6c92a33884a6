"""Render the ``nim-llm`` chart with a real ``helm`` and judge the pods it would create.

Shared by ``nimctl plan --render`` and ``tests/test_chart_render.py``: finding ``helm``, getting
the chart (a directory, or ``helm pull`` from the NGC repository with the key read from the
environment), ``helm template``, the workloads and pod specs in the result, and the Kubernetes
Pod Security Standard ``restricted`` (the level the stack puts on its namespace) as checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CI_HELM = ROOT / ".ci-tools" / "helm"
"""Where ``.ci/run`` installs helm."""
CHART_DIR_ENV = "NIM_LLM_CHART_DIR"
HELM_ENV = "HELM"
NGC_KEY_ENV = "NGC_API_KEY"
NGC_USER = "$oauthtoken"
TIMEOUT_S = 120

WORKLOAD_KINDS = ("StatefulSet", "Deployment", "DaemonSet", "ReplicaSet", "Job")


class ChartError(Exception):
    """helm or the chart is missing, or helm failed; ``str()`` says which and what to do."""


def find_helm(explicit: str | None = None) -> str | None:
    """``explicit``, else ``$HELM``, else ``.ci-tools/helm``, else ``helm`` on PATH."""
    for candidate in (explicit, os.environ.get(HELM_ENV), str(CI_HELM), "helm"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def helm_version(helm: str) -> str:
    """``v4.1.4`` and the like."""
    out = _helm(helm, "version", "--template", "{{.Version}}")
    return out.strip()


def chart_version(chart_dir: Path) -> str:
    """The ``version`` in the chart's ``Chart.yaml``."""
    doc = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    return str(doc.get("version", ""))


def is_chart(path: Path) -> bool:
    return (path / "Chart.yaml").is_file()


def _helm(
    helm: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> str:
    try:
        done = subprocess.run(
            [helm, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ChartError(f"helm {args[0]} failed: {err}") from None
    if done.returncode != 0:
        raise ChartError(f"helm {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def template(
    helm: str, release: str, chart_dir: Path, namespace: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """``helm template`` of one release: every rendered object (test hooks included)."""
    with tempfile.TemporaryDirectory(prefix="nimctl-values-") as tmp:
        path = Path(tmp, "values.json")
        path.write_text(json.dumps(values))
        out = _helm(
            helm, "template", release, str(chart_dir), "--namespace", namespace, "-f", str(path)
        )
    return [d for d in yaml.safe_load_all(out) if d]


@contextmanager
def pulled_chart(helm: str, repo: str, chart: str, version: str, api_key: str) -> Iterator[Path]:
    """``helm pull`` of ``chart`` ``version`` from ``repo`` into a temporary directory.

    The key goes to helm on standard input (never on a command line) into a repository file in
    that temporary directory, which is deleted afterwards with the chart."""
    with tempfile.TemporaryDirectory(prefix="nimctl-chart-") as tmp:
        env = {
            **os.environ,
            "HELM_REPOSITORY_CONFIG": str(Path(tmp, "repositories.yaml")),
            "HELM_REPOSITORY_CACHE": str(Path(tmp, "cache")),
            "HELM_REGISTRY_CONFIG": str(Path(tmp, "registry.json")),
        }
        _helm(
            helm,
            "repo",
            "add",
            "nimctl-plan",
            repo,
            "--username",
            NGC_USER,
            "--password-stdin",
            stdin=api_key,
            env=env,
        )
        _helm(
            helm,
            "pull",
            f"nimctl-plan/{chart}",
            "--version",
            version,
            "--untar",
            "--destination",
            tmp,
            env=env,
        )
        yield Path(tmp, chart)


# --- what the rendered objects would run ------------------------------------------------------


def is_hook(doc: dict[str, Any]) -> bool:
    """A Helm hook (e.g. the chart's ``helm test`` pods): not created by ``helm install``."""
    return "helm.sh/hook" in (doc.get("metadata", {}).get("annotations") or {})


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec an object runs: a Pod's spec or a workload's pod template spec."""
    if doc.get("kind") == "Pod":
        return dict(doc.get("spec") or {})
    if doc.get("kind") in WORKLOAD_KINDS:
        return dict(doc.get("spec", {}).get("template", {}).get("spec") or {})
    return None


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects ``helm install`` creates that run pods (hooks excluded)."""
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS and not is_hook(d)]


# Kubernetes Pod Security Standards, "restricted" (which includes "baseline"), as of Kubernetes
# 1.30+: kubernetes.io/docs/concepts/security/pod-security-standards.
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
RESTRICTED_ADD_CAPABILITIES = {"NET_BIND_SERVICE"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def _containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(field) or []:
            yield f"{field}[{c.get('name', '?')}]", c


def restricted_violations(spec: dict[str, Any]) -> list[str]:
    """Why the Pod Security ``restricted`` admission would refuse this pod spec ([] = admitted)."""
    found: list[str] = []
    psc = spec.get("securityContext") or {}
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            found.append(f"{host}: true is not allowed")
    for vol in spec.get("volumes") or []:
        kinds = set(vol) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            found.append(
                f"volume {vol.get('name')!r} has type {sorted(kinds - RESTRICTED_VOLUME_TYPES)}"
            )
    for sysctl in psc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl.get('name')} is not in the safe set")
    pod_non_root = psc.get("runAsNonRoot") is True
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        found.append(f"securityContext.seccompProfile.type {pod_seccomp} is not allowed")
    if psc.get("runAsUser") == 0:
        found.append("securityContext.runAsUser: 0 (root) is not allowed")
    found += _selinux_apparmor("securityContext", psc)
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        found.append("securityContext.windowsOptions.hostProcess is not allowed")
    for where, c in _containers(spec):
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            found.append(f"{where}: privileged: true")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{where}: allowPrivilegeEscalation must be false")
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append(f"{where}: runAsNonRoot must be true (pod or container)")
        if sc.get("runAsUser") == 0:
            found.append(f"{where}: runAsUser: 0 (root) is not allowed")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in (None, "RuntimeDefault", "Localhost") or (
            seccomp is None and pod_seccomp is None
        ):
            found.append(f"{where}: seccompProfile.type must be RuntimeDefault or Localhost")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            found.append(f"{where}: capabilities.drop must include ALL")
        added = set(caps.get("add") or []) - RESTRICTED_ADD_CAPABILITIES
        if added:
            found.append(f"{where}: capabilities.add {sorted(added)} (only NET_BIND_SERVICE)")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"{where}: hostPort {port['hostPort']} is not allowed")
        if sc.get("procMount") not in (None, "Default"):
            found.append(f"{where}: procMount {sc['procMount']} is not allowed")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"{where}: windowsOptions.hostProcess is not allowed")
        found += _selinux_apparmor(where, sc)
    return found


def _selinux_apparmor(where: str, sc: dict[str, Any]) -> list[str]:
    found = []
    selinux = sc.get("seLinuxOptions") or {}
    if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
        found.append(f"{where}: seLinuxOptions {selinux} is not allowed")
    if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        found.append(f"{where}: appArmorProfile Unconfined is not allowed")
    return found
